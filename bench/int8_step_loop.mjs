// A sampling loop of a run's int8 (or float32) network for profilers: one warm-up call, then `reps` samplings of
// batch 64 with 4 Euler steps, and the mean time per network evaluation. Loading the run (the data source, the
// checkpoint) takes seconds, so start a sampling profiler after it: e.g.
//   perf record -D 8000 -g node bench/int8_step_loop.mjs runs/q28s runs/q28s/int8-ptq.safetensors int8 10
//   perf report --no-children --sort dso,symbol -g none
// Run: npm run build:ts && node bench/int8_step_loop.mjs <run> <int8 checkpoint> [int8|float32|mixed] [reps=10]
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
require('../dist/models');
const { openPrecision } = require('../dist/cli/int8');

const [run, file, mode = 'int8', repsArg = '10'] = process.argv.slice(2);
if (!run || !file) { console.error('usage: node bench/int8_step_loop.mjs <run> <int8 checkpoint> [int8|float32|mixed] [reps]'); process.exit(2); }
tf.setNumThreads(Number(process.env.TENSORFIELD_NUM_THREADS ?? 1));
const pr = openPrecision(run, mode, file, 5, () => {});
tf.manualSeed(7);
pr.sample(64, { steps: 2 }).x.dispose();
const t0 = performance.now();
let nfe = 0;
for (let r = 0; r < Number(repsArg); r++) {
  tf.manualSeed(7);
  const s = pr.sample(64, { steps: 4 });
  nfe += s.nfe;
  s.x.dispose();
}
console.log(`${mode}: ${((performance.now() - t0) / nfe).toFixed(2)} ms per network evaluation (batch 64, ${nfe} evaluations, ${tf.info().threads} thread(s))`);
pr.dispose();
