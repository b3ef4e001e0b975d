// The likelihood-control bound with learned fields: (b, s) networks trained briefly on the Gaussian pair of
// scripts/interpolant-likelihood-control.js (rho0 = N(0, I_2), rho1 = N((1.5, -1), diag(0.5², 0.8²)), linear path,
// brownian gamma), where the exact fields are known, so
//   L_b - min L_b = ½ int E|b^ - b|² dt and L_s - min L_s = ½ int E|s^ - s|² dt   (SI.fieldExcess, Monte Carlo).
// rho1^ (the forward SDE with the learned fields, Euler-Maruyama) is no longer Gaussian, so the KL is estimated as
//   KL(rho1 || rho1^) = E_rho1[log rho1] + H(rho1, rho1^),
// the cross-entropy by k-nearest neighbours (metrics.knnCrossEntropy) between fresh rho1 points and the SDE's
// samples. The estimator's floor: the same computation with exact rho1 draws in place of the SDE's samples.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const SI = require('../dist/models/interpolants');
const { resolveOptions } = require('../dist/registry');
const { GaussianMixture } = require('../dist/data/gmm');
const { knnCrossEntropy } = require('../dist/metrics/knn');
const { run: runSolver } = require('../dist/samplers/solvers');
const { saveLinePlot } = require('../dist/io/plot');
const { runRecord } = require('../dist/cli/record');

const DEFAULTS = { seed: 0, steps: 2000, batch: 1000, hidden: 64, layers: 3, lr: 2e-3, n: 10000, seeds: 3, sdeSteps: 200,
  eps: '0.1,0.5,1,2', k: 5, excessN: 100000 };
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/interpolant-likelihood-control-learned.js <outDir> [--flag value ...]' });
fs.mkdirSync(out, { recursive: true });
const log = (...a) => console.log(...a);
const evalSeeds = Array.from({ length: o.seeds }, (_, i) => 100 + i);
const record = runRecord('Gaussian pair N(0, I2) -> N(mu, diag sd²), learned (b, s) (scripts/interpolant-likelihood-control-learned.js)',
  { n: o.n, seeds: { train: o.seed, ...Object.fromEntries(evalSeeds.map((s) => [`eval${s}`, s])) } });
log(`training seed ${o.seed}; KL on n = ${o.n} per eval seed (${evalSeeds.join(', ')}); commit ${record.git ? record.git.commit.slice(0, 12) : 'unknown'}`);

const MU = [1.5, -1], SD = [0.5, 0.8];
const rho0 = new GaussianMixture({ means: [[0, 0]], std: 1, name: 'normal' });
const rho1 = new GaussianMixture({ means: [MU], std: [SD], name: 'target' });
const I = SI.interpolant({ path: 'linear', gamma: 'brownian' });
const E = new SI.GaussianMixtureInterpolant(I, rho0, rho1);

tf.manualSeed(o.seed);
const options = resolveOptions(SI.interpolantMethod, { path: 'linear', gamma: 'brownian', fields: 'bs', lr: o.lr, hidden: o.hidden, layers: o.layers });
const run = SI.interpolantMethod.create({ name: 'gaussian-pair', kind: 'points', itemShape: [2] }, options);
const t0 = Date.now();
let smooth = NaN;
for (let i = 0; i < o.steps; i++) {
  const loss = tf.tidy(() => run.trainStep(rho1.sample(o.batch), i));
  smooth = Number.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
  if ((i + 1) % 500 === 0) log(`step ${i + 1}/${o.steps} loss ${smooth.toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
const trainSeconds = (Date.now() - t0) / 1000;
const nets = run.evalNetwork();
const { b, s } = SI.samplingFields(I, 'bs', nets);

tf.manualSeed(o.seed + 1000);
const x0e = tf.keep(rho0.sample(o.excessN)), x1e = tf.keep(rho1.sample(o.excessN));
const exB = SI.fieldExcess(I, b, (x, t) => E.b(x, t), x0e, x1e);
const exS = SI.fieldExcess(I, s, (x, t) => E.s(x, t), x0e, x1e);
log(`L_b - min = ${exB.value.toFixed(5)} ± ${exB.stdErr.toFixed(5)}, L_s - min = ${exS.value.toFixed(5)} ± ${exS.stdErr.toFixed(5)} (n ${o.excessN})`);

const meanSe = (a) => {
  const m = a.reduce((u, v) => u + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((u, v) => u + (v - m) ** 2, 0) / Math.max(a.length - 1, 1));
  return { mean: m, se: sd / Math.sqrt(a.length) };
};
/** KL(rho1 || law of y) per eval seed: E[log rho1(x)] + H_knn(x, y) on fresh x ~ rho1. */
const klOf = (y) => {
  const x = rho1.sample(o.n);
  const lp = rho1.logProb(x).dataSync();
  const h = knnCrossEntropy(x, y, { k: o.k });
  let m = 0;
  for (let i = 0; i < lp.length; i++) m += lp[i] + h.perPoint[i];
  x.dispose();
  return m / lp.length;
};

const floorKls = evalSeeds.map((seed) => { tf.manualSeed(seed); const y = rho1.sample(o.n); const v = klOf(y); y.dispose(); return v; });
const floor = meanSe(floorKls);
log(`estimator floor (exact rho1 draws as "samples"): ${floor.mean.toFixed(5)} ± ${floor.se.toFixed(5)}`);

const rows = [];
for (const eps of String(o.eps).split(',').map(Number)) {
  const kls = evalSeeds.map((seed) => {
    tf.manualSeed(seed);
    const xs = rho0.sample(o.n);
    const r = runSolver(SI.sdeSampler(b, s, xs, { eps, steps: o.sdeSteps, method: 'euler-maruyama' }));
    const v = klOf(r.x);
    r.x.dispose(); xs.dispose();
    return v;
  });
  const kl = meanSe(kls);
  const bound = SI.likelihoodControlBound(exB.value, exS.value, eps);
  rows.push({ eps, kl, kls, bound });
  log(`eps ${eps}: KL ${kl.mean.toFixed(5)} ± ${kl.se.toFixed(5)}  bound ${bound.toFixed(5)}  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
const gate = { boundHolds: rows.every((r) => r.kl.mean <= r.bound + 2 * r.kl.se) };
log('gate:', JSON.stringify(gate));
saveLinePlot(path.join(out, 'likelihood-control-learned.svg'), {
  title: 'Learned (b, s): KL(rho1 || rho1^) (kNN) and the bound', xLabel: 'eps', yLabel: 'nats', logX: true,
  series: [{ name: 'KL (kNN)', x: rows.map((r) => r.eps), y: rows.map((r) => r.kl.mean) },
    { name: 'bound', x: rows.map((r) => r.eps), y: rows.map((r) => r.bound) },
    { name: 'estimator floor', x: rows.map((r) => r.eps), y: rows.map(() => floor.mean) }],
});
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ record, options: o, trainSeconds, threads: tf.getNumThreads(),
  excess: { b: exB, s: exS }, floor: { ...floor, seeds: floorKls }, rows, gate }, null, 2));
log(`wrote ${out}/results.json (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
