// The demo's U-Net (tensorfield demo: EDM on fashion14, 16 base channels, levels x1 x2, attention in the middle)
// exported with tf.io.exportOnnx, fp32 and int8 QDQ (after quantizeModel), run by onnxruntime-node beside
// tensorfield's own fp32 and int8 forward: the same model, weights, inputs and batch; one forward, no grad,
// median of timed calls after warm-up; and each output's relative L2 error against tensorfield fp32.
// int8 comes twice: as quantizeModel makes it by default (float outputs; ORT runs its Convs as DequantizeLinear +
// float Conv) and with quantizeOutputs (each layer's output coded to uint8 too; ORT fuses QLinearConv).
// Also lists the ops ORT's optimizer left in each graph (whether it fused the QDQ pairs into integer kernels).
// Run: npm run build:ts && node bench/onnx_ort.mjs [threads=1] [batch=64]   (onnxruntime-node: a devDependency)
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { opCounts } from './onnx_ops.mjs';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const ort = require('onnxruntime-node');

const T = Number(process.argv[2] ?? 1), B = Number(process.argv[3] ?? 64);
tf.setNumThreads(T);
const info = tf.info();
console.log(`U-Net 1x14x14 (16 ch) batch ${B} | tensorfield ${info.isa}, int8 kernel ${info.int8Kernel} | onnxruntime-node ${ort.env.versions.common} | ${info.cpu} | ${T} thread(s) | node ${process.version}`);

const make = () => { tf.manualSeed(0); return new tf.nn.models.UNet({ inChannels: 1, imageSize: 14, baseChannels: 16, channelMult: [1, 2], numResBlocks: 1, groups: 8, noiseScale: 100 }).eval(); };
const f32 = make(), q = make(), qo = make();
tf.manualSeed(1);
// calibration as `tensorfield quantize` sees it: noisy images at EDM's c_noise = ln(sigma) / 4 over its sigma range
const calib = Array.from({ length: 8 }, () => { const s = tf.rand([32]).mul(Math.log(80 / 0.002)).add(Math.log(0.002)); return [tf.randn([32, 1, 14, 14]), s.div(4)]; });
const report = tf.quant.quantizeModel(q, calib);
// the same with every layer's output coded too (quantizeOutputs): the form ORT fuses into QLinearConv
tf.quant.quantizeModel(qo, calib, { quantizeOutputs: true });
const x = tf.randn([B, 1, 14, 14]), t = tf.rand([B]).mul(2.7).sub(1.6);

async function median(fn, n = 21) {
  for (let i = 0; i < 3; i++) await fn();
  const ts = [];
  for (let i = 0; i < n; i++) { const s = performance.now(); await fn(); ts.push(performance.now() - s); }
  ts.sort((a, b) => a - b);
  return ts[n >> 1];
}
const rel = (a, ref) => { let n = 0, d = 0; for (let i = 0; i < ref.length; i++) { n += (a[i] - ref[i]) ** 2; d += ref[i] ** 2; } return Math.sqrt(n / d); };

const ref = tf.noGrad(() => f32.forward(x, t)).dataSync();
const rows = [];
for (const [name, m] of [['fp32', f32], ['int8', q], ['int8 coded outputs', qo]]) {
  const y = tf.noGrad(() => m.forward(x, t)).dataSync();
  const ms = await median(() => tf.noGrad(() => tf.tidy(() => { m.forward(x, t); })));
  rows.push({ engine: 'tensorfield', model: name, 'median ms': ms.toFixed(2), 'images/s': (B / ms * 1e3).toFixed(0), 'rel err vs tf fp32': rel(y, ref).toExponential(2) });
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-onnx-bench-'));
const fused = {};
for (const [name, m] of [['fp32', f32], ['int8 QDQ', q], ['int8 QDQ coded outputs', qo]]) {
  const r = tf.io.exportOnnx(m, [x, t], { inputNames: ['x', 't'] });
  r.output.dispose();
  const optimized = path.join(tmp, `${name.replace(/ /g, '_')}.opt.onnx`);
  const sess = await ort.InferenceSession.create(r.bytes, {
    executionProviders: ['cpu'], intraOpNumThreads: T, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', optimizedModelFilePath: optimized, logSeverityLevel: 3,
  });
  const feeds = { x: new ort.Tensor('float32', x.dataSync(), x.shape), t: new ort.Tensor('float32', t.dataSync(), t.shape) };
  const y = (await sess.run(feeds)).output.data;
  const ms = await median(() => sess.run(feeds));
  rows.push({ engine: 'onnxruntime', model: name, 'median ms': ms.toFixed(2), 'images/s': (B / ms * 1e3).toFixed(0), 'rel err vs tf fp32': rel(y, ref).toExponential(2) });
  fused[name] = opCounts(new Uint8Array(fs.readFileSync(optimized)));
}
fs.rmSync(tmp, { recursive: true, force: true });
console.table(rows);
console.log(`int8 layers: ${report.filter((l) => l.quantized).length} of ${report.length} (every Linear / Conv2d)`);
for (const [k, v] of Object.entries(fused)) console.log(`ORT optimized graph, ${k}: ${v}`);
