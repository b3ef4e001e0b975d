// `tensorfield bench --int8` (no --run): every int8 path of this CPU's kernel on the issue's shapes, GOP/s and the
// fraction of the measured peak (one core's dot-instruction rate times the threads), next to float32 GEMM. The
// side-by-side runs against PyTorch's engines and onnxruntime live in bench/ (int8_gemm.mjs, int8_torch.py,
// onnx_ort.mjs): they need Python or a devDependency, which an installed CLI does not have.
import * as tf from '../index';
import { timeIt } from './timing';

const Q = tf.quant;


export interface Int8BenchRow { path: string; shape: string; ms: number; gops: number; ofPeak: number | null }
export interface Int8BenchResult { kernel: string; isa: string; cpu: string; threads: number; peakGops: number; rows: Int8BenchRow[] }

/** The int8 engine's paths timed on this CPU (medians of >= 5 calls over `minMs` each). */
export function benchInt8(log: (s: string) => void = (s) => console.log(s), minMs = 300): Int8BenchResult {
  const info = tf.info();
  const threads = info.threads;
  const kernel = Q.int8Kernel();
  const peak = Q.int8PeakGops();
  const pool = peak * threads;
  log(`int8 kernel ${kernel} (float32 ${info.isa}) | ${info.cpu} | ${threads} thread(s)`);
  log(peak > 0
    ? `peak: one core issues the kernel's dot instruction at ${peak.toFixed(1)} GOP/s (register-only chains); % of peak below is against ${threads} x that`
    : `peak: the '${kernel}' kernel has no probe; no % of peak`);
  const rows: Int8BenchRow[] = [];
  const add = (path: string, shape: string, ops: number, ms: number, int8 = true) => {
    const gops = ops / (ms * 1e6);
    const ofPeak = int8 && pool > 0 ? gops / pool : null;
    rows.push({ path, shape, ms, gops, ofPeak });
    log(`| ${path} | ${shape} | ${ms.toFixed(3)} ms | ${gops.toFixed(1)} ${int8 ? 'GOP/s' : 'GFLOP/s'} | ${ofPeak === null ? '-' : `${(100 * ofPeak).toFixed(0)} %`} |`);
  };
  log('| path | shape | median | rate | of peak |');
  log('|---|---|---|---|---|');
  tf.tidy(() => {
    tf.manualSeed(0);
    for (const [M, K, N] of [[256, 1024, 1024], [512, 512, 512], [1024, 1024, 1024]]) {
      const shape = `${M}x${K}x${N}`, ops = 2 * M * K * N;
      const x = tf.randn([M, K]);
      const w = new Q.PackedInt8Weight(tf.randint(-127, 128, [N, K], { dtype: 'int8' }));
      const ws = tf.full([N], 0.01), xq = Q.dynamicQParams(x), codes = Q.quantize(x, xq.scale, xq.zeroPoint);
      const out = { scale: 0.05, zeroPoint: 128 };
      add('u8 x s8 -> s32 (the integer product)', shape, ops, timeIt(() => tf.tidy(() => { Q.int8Linear(codes, xq, w, { wScale: ws, out: 'int32' }); }), minMs));
      add('int8 Linear, static: u8 in, u8 out', shape, ops, timeIt(() => tf.tidy(() => {
        Q.int8Linear(codes, xq, w, { wScale: ws, out: 'uint8', outScale: out.scale, outZero: out.zeroPoint });
      }), minMs));
      add('int8 Linear, dynamic: f32 in, f32 out', shape, ops, timeIt(() => tf.tidy(() => { Q.int8Linear(x, 'dynamic', w, { wScale: ws }); }), minMs));
      const wf = tf.randn([K, N]);
      add('float32 matmul (for comparison)', shape, ops, timeIt(() => tf.tidy(() => { x.matmul(wf); }), minMs), false);
      w.dispose();
    }
    // a U-Net convolution: 3x3, 64 -> 64 channels at 28x28, batch 32, float32 in (coded) and out
    const [B, C, O, H] = [32, 64, 64, 28];
    const shape = `conv 3x3 ${C}->${O} @${H}x${H}, batch ${B}`, ops = 2 * B * H * H * C * O * 9;
    const x = tf.randn([B, C, H, H]);
    const wq = tf.randint(-127, 128, [O, 9 * C], { dtype: 'int8' });
    const w = new Q.PackedInt8Weight(wq);
    const xq = Q.dynamicQParams(x), ws = tf.full([O], 0.01);
    add('int8 Conv2d, static: f32 in, f32 out', shape, ops, timeIt(() => tf.tidy(() => { Q.int8Conv2d(x, xq, w, [3, 3], { wScale: ws }, { padding: 1 }); }), minMs));
    const wf = tf.randn([O, C, 3, 3]);
    add('float32 conv2d (for comparison; Winograd, rate in direct-convolution FLOP)', shape, ops, timeIt(() => tf.tidy(() => { tf.conv2d(x, wf, { padding: 1 }); }), minMs), false);
    w.dispose();
  });
  log('PyTorch (oneDNN, fbgemm) and onnxruntime on the same shapes: bench/int8_gemm.mjs, bench/int8_torch.py (bench/RESULTS.md)');
  return { kernel, isa: info.isa, cpu: info.cpu, threads, peakGops: peak, rows };
}
