// Wall time per native entry point during one sampling-step network evaluation (no grad) of a trained run's
// network, float32 and (given an int8 checkpoint) int8: which ops the step spends its time in.
// Every function of the addon's exports is wrapped before the library loads (as bench/op_profile.mjs does).
// Run: npm run build:ts && TENSORFIELD_ADDON=cpu node bench/eval_profile.mjs <run> [int8 file] [threads=1] [batch=64] [reps=10]
import { createRequire } from 'module';
import path from 'path';
import { fileURLToPath } from 'url';
const require = createRequire(import.meta.url);
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = require(path.join(root, 'build', 'Release', 'tensorfield.node'));
let acc = new Map();
let on = false;
for (const [k, f] of Object.entries(addon)) {
  if (typeof f !== 'function' || /^[A-Z]/.test(k)) continue;
  addon[k] = function (...a) {
    if (!on) return f.apply(this, a);
    const s = performance.now();
    try { return f.apply(this, a); } finally {
      const e = acc.get(k) ?? { ms: 0, n: 0 }; e.ms += performance.now() - s; e.n++; acc.set(k, e);
    }
  };
}
const tf = require('../dist/index.js');
require('../dist/models');
const { openRun } = require('../dist/cli/train.js');
const [dir, int8File] = process.argv.slice(2, 4);
if (!dir) { console.error('usage: node bench/eval_profile.mjs <run> [int8 file] [threads=1] [batch=64] [reps=10]'); process.exit(2); }
const T = Number(process.argv[4] ?? 1), B = Number(process.argv[5] ?? 64), R = Number(process.argv[6] ?? 10);
tf.setNumThreads(T);
const nets = [['float32', openRun(dir, () => {}).run.evalNetwork().eval()]];
if (int8File && int8File !== '-') {
  const q = openRun(dir, () => {}).run.evalNetwork().eval();
  const { floats } = tf.quant.loadInt8Checkpoint(int8File, q);
  for (const f of floats.values()) f.dispose();
  nets.push(['int8', q]);
}
tf.manualSeed(0);
const x = tf.keep(tf.randn([B, ...nets[0][1].spec.itemShape])), c = tf.keep(tf.full([B], 0));
console.log(`${dir} | ${tf.info().isa} | ${tf.info().cpu} | ${T} thread(s), batch ${B}, ${R} evaluations`);
for (const [name, m] of nets) {
  const run = () => { const y = tf.noGrad(() => m.forward(x, c)); y.dataSync(); y.dispose(); };
  for (let i = 0; i < 3; i++) run();
  acc = new Map(); on = true;
  const t0 = performance.now();
  for (let i = 0; i < R; i++) run();
  const total = (performance.now() - t0) / R;
  on = false;
  const rows = [...acc].map(([k, e]) => [k, e.ms / R, e.n / R]).sort((a, b) => b[1] - a[1]);
  const inNative = rows.reduce((s, r) => s + r[1], 0);
  console.log(`\n${name}: ${total.toFixed(1)} ms per evaluation, in native calls ${inNative.toFixed(1)} ms`);
  for (const [k, ms, n] of rows.slice(0, 30)) console.log(`  ${k.padEnd(28)} ${ms.toFixed(2).padStart(9)} ms ${(100 * ms / total).toFixed(1).padStart(5)} % ${n.toFixed(0).padStart(6)} calls`);
}
