// int8 GEMM against our own fp32 GEMM, in one run, on the issue's shapes (256x1024x1024 and squares).
// Rows: the integer product (uint8 codes in, int32 out: what ORT's MatMulInteger computes), the int8 Linear with
// float in/out and dynamic activation coding (what PyTorch's dynamic quantized Linear computes), and fp32 matmul.
// Median of >= 15 timed calls after warm-up. Run: `npm run build:ts && node bench/int8_gemm.mjs [threads]`.
// The core's peaks for the same instructions are measured by bench/int8_peak.cpp (see bench/RESULTS.md).
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const Q = tf.quant;

const T = Number(process.argv[2] ?? process.env.TENSORFIELD_NUM_THREADS ?? 1);
tf.setNumThreads(T);
const info = tf.info();
console.log(`tensorfield int8 kernel ${info.int8Kernel} (fp32 ${info.isa}) | ${info.cpu} | ${T} thread(s) | node ${process.version}`);

function median(fn, { min = 15, budgetMs = 3000 } = {}) {
  for (let i = 0; i < 3; i++) fn();
  const ts = [];
  const t0 = performance.now();
  while (ts.length < min || (performance.now() - t0 < budgetMs && ts.length < 200)) {
    const s = performance.now();
    fn();
    ts.push(performance.now() - s);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}

const shapes = [[256, 1024, 1024], [512, 512, 512], [1024, 1024, 1024], [2048, 2048, 2048]];
// the fraction of the peak: one core's dot-instruction rate (GemmU8S8::dot_chains) times the threads
const peak = Q.int8PeakGops(0.3);
console.log(peak > 0 ? `peak: ${peak.toFixed(1)} GOP/s per core (${Q.int8Kernel()} dot instruction, register-only chains); x ${T} threads = ${(peak * T).toFixed(1)}` : 'peak: no probe for this kernel');
console.log('| M x K x N | int8 u8·s8→s32 | int8 Linear static u8 in/out | int8 Linear f32 in/out (dynamic) | dynamic / static time | fp32 matmul | int8 / fp32 | static, % of peak |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [M, K, N] of shapes) {
  tf.manualSeed(1);
  const ops = 2 * M * K * N;
  const xq = tf.randint(0, 256, [M, K], { dtype: 'uint8' });
  const xf = tf.randn([M, K]);
  const wq = tf.randint(-127, 128, [N, K], { dtype: 'int8' });
  const ws = tf.rand([N]).mul(0.01).add(0.001);
  const pw = new Q.PackedInt8Weight(wq);
  const wf = tf.randn([K, N]);
  const tInt = median(() => Q.int8Linear(xq, { scale: 1, zeroPoint: 0 }, pw, { wScale: ws, out: 'int32' }).dispose());
  const tDyn = median(() => Q.int8Linear(xf, 'dynamic', pw, { wScale: ws }).dispose());
  // static: uint8 codes in, uint8 codes out (what PyTorch's static quantized Linear and oneDNN's u8 path compute)
  const tSta = median(() => Q.int8Linear(xq, { scale: 0.02, zeroPoint: 128 }, pw, { wScale: ws, out: 'uint8', outScale: 0.1, outZero: 128 }).dispose());
  const tF = median(() => xf.matmul(wf).dispose());
  const g = (t) => (ops / t / 1e6).toFixed(1);
  console.log(`| ${M}x${K}x${N} | ${g(tInt)} GOP/s (${tInt.toFixed(2)} ms) | ${g(tSta)} GOP/s | ${g(tDyn)} GOP/s | ${(tDyn / tSta).toFixed(2)}x | ${g(tF)} GFLOP/s | ${(tF / tInt).toFixed(2)}x | ${peak > 0 ? `${(100 * ops / tSta / 1e6 / (peak * T)).toFixed(0)} %` : '-'} |`);
  for (const t of [xq, xf, ws, wf]) t.dispose();
  pw.dispose();
}
