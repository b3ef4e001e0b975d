#!/usr/bin/env node
// Seed-0 probe of an FDP training configuration on bandlimited64, cheaper than a full run (no sampling): trains
// --steps steps and prints the mean training loss per 100 steps, then the held-out loss at fixed t (256 test
// functions, first-order adaptation) next to the zero predictor's. Every probe it ran is listed in
// lib/models/fdp/results/seed0-tuning.json. --tmax < 1 shrinks t's range (to see whether the model can learn at
// low noise at all).
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/fdp/probe.js [--flag value ...]
'use strict';
const tf = require('../../dist/index.js');
const fdp = require('../../dist/models/fdp');
const { openDataSource } = require('../../dist/data/sources');
const { parseFlags } = require('../flags');

const DEFAULTS = {
  steps: 500, batch: 32, hidden: 64, layers: 4, innerSteps: 3, innerLr: 1e-2, metaSgd: 0, yInput: 0, order: 'second',
  curriculum: 0, lr: 1e-3, warmup: 100, optimizer: 'adabelief', seed: 0, tmax: 1, clip: 1, innerClip: 1, xNorm: 0,
};
const { o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/fdp/probe.js [--flag value ...]', min: 0, max: 0 });
tf.setNumThreads(1);
const src = openDataSource('bandlimited64');
const P = src.itemShape[0];
tf.manualSeed(o.seed);
const sde = new fdp.HeatSDE({ grid: [P], xNorm: o.xNorm > 0 ? o.xNorm : undefined });
const net = new fdp.FdpDenoiser({ grid: [P], channels: 1, hidden: o.hidden, layers: o.layers, innerSteps: o.innerSteps, innerLr: o.innerLr,
  metaSgd: o.metaSgd === 1, yInput: o.yInput === 1, innerClip: o.innerClip }, sde);
const tr = new fdp.FdpTrainer(net, { lr: o.lr, warmup: o.warmup, decaySteps: o.steps, optimizer: o.optimizer, order: o.order, curriculum: o.curriculum, clip: o.clip });
if (o.tmax < 1) { const draw = tr.times.bind(tr); tr.times = (B) => draw(B).map((v) => v * o.tmax); }
let acc = 0, n = 0;
const t0 = Date.now();
for (let s = 1; s <= o.steps; s++) {
  acc += tf.tidy(() => tr.step(src.batch(o.batch).reshape([o.batch, 1, P]))); n++;
  if (s % 100 === 0) { console.log(`step ${s} loss ${(acc / n).toFixed(4)} ${((Date.now() - t0) / s).toFixed(0)} ms/step`); acc = 0; n = 0; }
}
// The loss of the best LINEAR denoiser (per-mode Wiener filter) under the code's weight b / r: the data's modes
// k = 1..3 carry E|c_k|^2 = P E[a_k^2] / 4 = P / (12 k^2) (a_k ~ U(0, 1) / k, ortho DFT), every other mode 0, so
// the error of mode k is s n / (k_t^2 s + n) with n = (r / b)(1 - k_t^2). A reference, not a bound: the data are
// not Gaussian, so a nonlinear denoiser can go below it.
function wienerFloor(t) {
  const m = sde.modes, I = sde.integral(t);
  let sum = 0;
  for (let q = 0; q < m.w2.length; q++) {
    const k = Math.round(Math.sqrt(m.w2[q]) / sde.freqScale);
    const s = k >= 1 && k <= 3 ? P / (12 * k * k) : 0;
    if (s === 0) continue;
    const kt = Math.exp(-m.b[q] * I), noise = (m.r[q] / m.b[q]) * (1 - kt * kt);
    sum += m.mult[q] * (m.b[q] / m.r[q]) * s * noise / (kt * kt * s + noise);
  }
  return sum;
}
// held-out loss at fixed t: the trained (not EMA) weights, the same 256 test functions and noise for every probe
tf.manualSeed(999);
const x0 = src.real(256).reshape([256, 1, P]);
for (const t of [0.02, 0.1, 0.3, 0.6]) {
  const ts = new Float64Array(256).fill(t);
  const y = tf.noGrad(() => sde.marginal(x0, ts));
  const model = tf.tidy(() => fdp.fdpLoss(net.predict(y, ts, 'first'), x0, sde, 'code', ts).item());
  const zero = tf.noGrad(() => fdp.fdpLoss(tf.zeros(x0.shape), x0, sde, 'code', ts).item());
  console.log(`t=${t}: model ${model.toFixed(4)} zero ${zero.toFixed(4)} linear floor ${wienerFloor(t).toFixed(4)}`);
}
