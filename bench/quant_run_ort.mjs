// Issue 26's comparison with onnxruntime-node on the *trained* network of a run: one sampling-step network
// evaluation (EDM's F(c_in x, c_noise), batch B, no grad) in tensorfield float32 and int8 (the int8 checkpoint
// that `tensorfield quantize` wrote: the paper's scheme, inputs and outputs of every int8 layer coded), and the
// same two networks exported with tf.io.exportOnnx (float32; int8 as QDQ) and run by onnxruntime-node: medians of
// timed calls after warm-up, alternating engines round by round, each output's relative L2 error against
// tensorfield float32 (inputs: noisy test-set-shaped images at three of the sampler's levels), and the ops ORT's
// optimizer left in each graph (whether it fused the QDQ pairs into QLinearConv / QLinearMatMul).
// Run: npm run build:ts && node bench/quant_run_ort.mjs <run> <int8 file> [threads=1] [batch=64] [rounds=15]
import { createRequire } from 'module';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { opCounts } from './onnx_ops.mjs';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
require('../dist/models');
const ort = require('onnxruntime-node');
const { openRun } = require('../dist/cli/train.js');

const [dir, int8File] = process.argv.slice(2, 4);
if (!dir || !int8File) { console.error('usage: node bench/quant_run_ort.mjs <run> <int8 file> [threads=1] [batch=64] [rounds=15]'); process.exit(2); }
const T = Number(process.argv[4] ?? 1), B = Number(process.argv[5] ?? 64), R = Number(process.argv[6] ?? 15);
tf.setNumThreads(T);
const info = tf.info();

const f32 = openRun(dir, () => {}).run.evalNetwork().eval();
const q = openRun(dir, () => {}).run.evalNetwork().eval();
const { floats } = tf.quant.loadInt8Checkpoint(int8File, q);
for (const f of floats.values()) f.dispose();
const shape = [B, ...f32.spec.itemShape];
console.log(`${dir}: network input ${shape.join('x')} | tensorfield ${info.isa}, int8 kernel ${info.int8Kernel} | onnxruntime-node ${ort.env.versions.common} | ${info.cpu} | ${T} thread(s) | node ${process.version}`);

// EDM's network input at level sigma: c_in (x0 + sigma n) has unit-order variance; c_noise = ln(sigma) / 4
tf.manualSeed(0);
const sd = 0.5;
const inputs = [0.05, 1, 20].map((sigma) => {
  const x0 = tf.rand(shape).mul(2).sub(1);  // image-range stand-in for x0 (only the error figures use it)
  const x = x0.add(tf.randn(shape).mul(sigma)).mul(1 / Math.sqrt(sigma * sigma + sd * sd));
  return { sigma, x, c: tf.full([B], Math.log(sigma) / 4) };
});
const timed = inputs[1];

const rel = (a, ref) => { let n = 0, d = 0; for (let i = 0; i < ref.length; i++) { n += (a[i] - ref[i]) ** 2; d += ref[i] ** 2; } return Math.sqrt(n / d); };

const refs = inputs.map(({ x, c }) => tf.noGrad(() => f32.forward(x, c)).dataSync());
const engines = [];
for (const [name, m] of [['float32', f32], ['int8', q]]) {
  engines.push({ engine: 'tensorfield', model: name, run: async ({ x, c }) => { const y = tf.noGrad(() => m.forward(x, c)); const d = y.dataSync(); y.dispose(); return d; } });
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-onnx-run-'));
const graphs = {};
for (const [name, m] of [['float32', f32], ['int8 QDQ', q]]) {
  const r = tf.io.exportOnnx(m, [timed.x, timed.c], { inputNames: ['x', 't'] });
  r.output.dispose();
  const optimized = path.join(tmp, `${name.replace(/ /g, '_')}.opt.onnx`);
  const sess = await ort.InferenceSession.create(r.bytes, {
    executionProviders: ['cpu'], intraOpNumThreads: T, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all', optimizedModelFilePath: optimized, logSeverityLevel: 3,
  });
  graphs[name] = opCounts(new Uint8Array(fs.readFileSync(optimized)));
  const feeds = ({ x, c }) => ({ x: new ort.Tensor('float32', x.dataSync(), x.shape), t: new ort.Tensor('float32', c.dataSync(), c.shape) });
  engines.push({ engine: 'onnxruntime', model: name, run: async (inp) => (await sess.run(feeds(inp))).output.data });
}
fs.rmSync(tmp, { recursive: true, force: true });

const rows = [];
for (const e of engines) {
  const errs = [];
  for (let i = 0; i < inputs.length; i++) errs.push(rel(await e.run(inputs[i]), refs[i]));
  for (let i = 0; i < 3; i++) await e.run(timed);  // warm-up
  e.ts = [];
  e.errs = errs;
}
for (let r = 0; r < R; r++) {
  for (const e of engines) { const s = performance.now(); await e.run(timed); e.ts.push(performance.now() - s); }
}
const med = (ts) => { const s = [...ts].sort((a, b) => a - b); return s[s.length >> 1]; };
const base = med(engines[0].ts);
for (const e of engines) {
  const ms = med(e.ts);
  rows.push({ engine: e.engine, model: e.model, 'median ms': ms.toFixed(1), 'images/s': (B / ms * 1e3).toFixed(0), 'speed vs tf float32': (base / ms).toFixed(2),
    [`rel err vs tf float32 (sigma ${inputs.map((i) => i.sigma).join(' / ')})`]: e.errs.map((v) => v.toExponential(1)).join(' / ') });
}
console.table(rows);
for (const [k, v] of Object.entries(graphs)) console.log(`ORT optimized graph, ${k}: ${v}`);
if (process.env.BENCH_JSON) fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ dir, int8File, threads: T, batch: B, rounds: R, cpu: info.cpu, isa: info.isa, int8Kernel: info.int8Kernel, ort: ort.env.versions.common, rows, graphs }, null, 1));
