// int8 256x1024x1024 side by side in one process: tensorfield against onnxruntime-node (MatMulInteger u8s8->s32,
// QLinearMatMul u8s8->u8, DynamicQuantizeLinear+MatMulInteger float->float, fp32 MatMul), same shapes, same
// thread count, medians of timed calls after warm-up. PyTorch's quantized Linear: bench/int8_torch.py.
// Setup (npm and Debian only; nothing is fetched at run time):
//   ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix /tmp/ort onnxruntime-node   # CPU EP is bundled
//   apt-get install -y python3-onnx && cp -r ../shared/baselines /tmp/baselines && /usr/bin/python3 /tmp/baselines/make_onnx.py
// Run: ORT=/tmp/ort/node_modules/onnxruntime-node ORT_MODELS=/tmp/baselines/models node bench/int8_compare.mjs [threads]
import { createRequire } from 'module';
import * as fs from 'fs';
import * as path from 'path';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const Q = tf.quant;

const T = Number(process.argv[2] ?? 1);
tf.setNumThreads(T);
const info = tf.info();
console.log(`int8 256x1024x1024 | tensorfield int8 kernel ${info.int8Kernel} | ${info.cpu} | ${T} thread(s)`);
const [M, K, N] = [256, 1024, 1024];
const ops = 2 * M * K * N;

async function median(fn, n = 21) {
  for (let i = 0; i < 3; i++) await fn();
  const ts = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); await fn(); ts.push(performance.now() - s); }
  ts.sort((a, b) => a - b);
  return ts[n >> 1];
}
const rows = [];
const row = (who, what, ms) => rows.push([who, what, ms]);

tf.manualSeed(0);
const xq = tf.randint(0, 256, [M, K], { dtype: 'uint8' }), xf = tf.randn([M, K]);
const pw = new Q.PackedInt8Weight(tf.randint(-127, 128, [N, K], { dtype: 'int8' }));
const ws = tf.rand([N]).mul(0.01).add(0.001), bias = tf.randn([N]);
const wf = tf.randn([K, N]);
row('tensorfield', 'u8·s8→s32 (= MatMulInteger)', await median(() => Q.int8Linear(xq, { scale: 1, zeroPoint: 0 }, pw, { wScale: ws, out: 'int32' }).dispose()));
row('tensorfield', 'u8 in → u8 out, bias (= QLinearMatMul / static quantized Linear)', await median(() =>
  Q.int8Linear(xq, { scale: 0.02, zeroPoint: 128 }, pw, { wScale: ws, bias, out: 'uint8', outScale: 0.05, outZero: 128 }).dispose()));
row('tensorfield', 'f32 → f32, dynamic activation coding (= dynamic quantized Linear)', await median(() => Q.int8Linear(xf, 'dynamic', pw, { wScale: ws, bias }).dispose()));
row('tensorfield', 'fp32 matmul', await median(() => xf.matmul(wf).dispose()));

if (process.env.ORT && process.env.ORT_MODELS) {
  const ort = require(process.env.ORT);
  const D = process.env.ORT_MODELS;
  const manifest = JSON.parse(fs.readFileSync(path.join(D, 'manifest.json'), 'utf8'));
  const opts = { executionProviders: ['cpu'], intraOpNumThreads: T, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' };
  for (const name of ['matmulinteger_u8s8_256x1024x1024', 'qlinearmatmul_u8s8_256x1024x1024', 'dynquant_matmul_256x1024x1024', 'matmul_f32_256x1024x1024']) {
    const m = manifest.find((e) => e.name === name);
    if (!m) { console.log(`(no ONNX model ${name})`); continue; }
    const sess = await ort.InferenceSession.create(path.join(D, m.file), opts);
    const feeds = {};
    for (const [k, [dt, shape]] of Object.entries(m.inputs)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = dt === 'uint8' ? Uint8Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 24) : Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      feeds[k] = new ort.Tensor(dt, data, shape);
    }
    row('onnxruntime-node', m.op ?? m.name, await median(() => sess.run(feeds)));
  }
} else {
  console.log('(onnxruntime-node not given: set ORT and ORT_MODELS, see the header)');
}
console.log('| engine | path | ms | GOP/s |');
console.log('|---|---|---|---|');
for (const [who, what, ms] of rows) console.log(`| ${who} | ${what} | ${ms.toFixed(2)} | ${(ops / ms / 1e6).toFixed(1)} |`);
