// Wall time per native entry point during one sampling-step network evaluation (no grad) of a trained run's
// network, float32 and (given an int8 checkpoint) int8: which ops the step spends its time in.
// The addon's entry points are timed by bench/native_timer.mjs. Each evaluation runs inside tidy(): tensors left
// to the garbage collector are freed late and their pages faulted in again, which inflates the ops that allocate.
// Run: npm run build:ts && TENSORFIELD_ADDON=cpu node bench/eval_profile.mjs <run> [int8 file] [threads=1] [batch=64] [reps=10]
import { createRequire } from 'module';
import { timeNativeCalls } from './native_timer.mjs';
const require = createRequire(import.meta.url);
const timer = timeNativeCalls();
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
  const run = () => tf.tidy(() => { tf.noGrad(() => m.forward(x, c)).dataSync(); });
  for (let i = 0; i < 3; i++) run();
  timer.acc.clear(); timer.on = true;
  const t0 = performance.now();
  for (let i = 0; i < R; i++) run();
  const total = (performance.now() - t0) / R;
  timer.on = false;
  const rows = [...timer.acc].map(([k, e]) => [k, e.ms / R, e.n / R]).sort((a, b) => b[1] - a[1]);
  const inNative = rows.reduce((s, r) => s + r[1], 0);
  console.log(`\n${name}: ${total.toFixed(1)} ms per evaluation, in native calls ${inNative.toFixed(1)} ms`);
  for (const [k, ms, n] of rows.slice(0, 30)) console.log(`  ${k.padEnd(28)} ${ms.toFixed(2).padStart(9)} ms ${(100 * ms / total).toFixed(1).padStart(5)} % ${n.toFixed(0).padStart(6)} calls`);
}
