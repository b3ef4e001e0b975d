// FDP inner-loop step cost (issue 22): the Gabor INR 4x64 (skip connections, input (x, t)) adapted per sample by
// 3 SGD steps on the code's spectral inner loss, then the outer spectral loss and its backward -- second order
// (through the inner steps), first order, and the adaptation alone (first order, and 'inference': sampling's cost per
// drift evaluation).
// Shapes are the 1-D experiment's: batch 32, 64 grid points. Medians of REPS runs after a warm-up.
// Run: npm run build:ts && TENSORFIELD_NUM_THREADS=1 node bench/fdp_inner.mjs
// PyTorch side (the same computation, per-sample weights as bmm, double backward):
//   OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/fdp_inner_torch.py 1
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const fdp = require('../dist/models/fdp/index.js');
const reps = Number(process.env.REPS ?? 11);
const B = Number(process.env.B ?? 32), P = 64;
tf.manualSeed(0);

function median(fn) {
  const run = () => tf.tidy(() => { fn(); });
  run();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    run();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

const sde = new fdp.HeatSDE({ grid: [P] });
const net = new fdp.FdpDenoiser({ grid: [P], channels: 1, hidden: 64, layers: 4, innerSteps: 3, innerLr: 1e-2 }, sde);
const x0 = tf.keep(tf.randn([B, 1, P]).mul(0.5));
const t = Float64Array.from({ length: B }, (_, i) => 0.05 + (0.9 * i) / B);
const y = tf.keep(sde.marginal(x0, t));
const outer = (order) => {
  const l = fdp.fdpLoss(net.predict(y, t, order), x0, sde, 'code', t);
  net.zeroGrad();
  l.backward();
};
const rows = {
  device: 'cpu', threads: tf.getNumThreads(), batch: B, points: P, params: net.numParameters(),
  adapt_first_order_ms: median(() => net.predict(y, t, 'first')),
  // what the sampler runs since 2026-12-07: no outer graph, each inner step's activations freed after its gradient
  adapt_inference_ms: median(() => net.predict(y, t, 'inference')),
  step_first_order_ms: median(() => outer('first')),
  step_second_order_ms: median(() => outer('second')),
};
console.log(JSON.stringify(rows, null, 1));
