#!/usr/bin/env node
// The learned 2-D checks of issue 9 (stochastic interpolants): a base density -> the checkerboard of the official
// repository ([-4, 4]², 8 dark squares of side 2, so the exact NLL is ln 32 = 3.466 nats), trained through the
// CLI's `interpolant` method and evaluated on 20000 samples and on held-out target points:
//   - in-support fraction and sliced W2 of the probability-flow ODE and of the forward SDE for each eps;
//   - held-out NLL by the ODE (RK4, exact 2-D divergence, backward from x1 to the base);
//   - the SDE likelihood estimator on a subset, paired with the ODE value on the same points.
//
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/interpolant-2d.js <outDir> [--flag value ...]
//
// --base gaussian (one-sided linear path, Gaussian -> checkerboard) or 8gaussians (linear path with brownian
// gamma, density to density). On one-sided paths the SDE's diffusion is eps (1 - t) (the score carries
// 1 / alpha(t), unbounded at t = 1); on two-sided paths it is eps. Writes <outDir>/results.json, eps-sweep.svg,
// loss.svg and scatter PNGs; prints the tables. Every number comes from this run. Flags: DEFAULTS below.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const SI = require('../dist/models/interpolants');
const { resolveOptions } = require('../dist/registry');
const { Checkerboard } = require('../dist/data/toy');
const { GaussianMixture, eightGaussians } = require('../dist/data/gmm');
const { slicedWasserstein } = require('../dist/metrics/samples');
const { run: runSolver } = require('../dist/samplers/solvers');
const { saveLinePlot, saveScatterPNG } = require('../dist/io/plot');
const { saveSafetensors, loadSafetensors } = require('../dist/io/safetensors');
const { runRecord } = require('../dist/cli/record');

const DEFAULTS = {
  seed: 0, base: 'gaussian', fields: 'bs',
  // The official notebook: MLPs 4 x 256, Adam 2e-3 with StepLR(1500, 0.4), batch 2000, 7000 steps.
  hidden: 256, layers: 4, lr: 2e-3, lrStep: 1500, lrGamma: 0.4, batch: 1000, steps: 5000, emaGamma: 7,
  // Evaluation.
  n: 20000, sampleSteps: 100, eps: '0,0.1,0.5,1,2', nllN: 2000, nllSteps: 100,
  sdeNllN: 200, sdeNllPaths: 16, sdeNllSteps: 200, sdeNllEps: 0.5,
  // The trained evaluation networks (EMA weights) are saved to <outDir>/nets.safetensors; --load <file> skips
  // training and evaluates saved networks (the training options must match; they are checked).
  load: '',
  // eps(t): 'const' (two-sided: eps; one-sided: eps (1 - t)), 'gamma' (two-sided: eps · gamma(t) / max gamma,
  // vanishing where the learned s = -eta / gamma is least accurate), or 'bell' (either: eps · 4 t (1 - t), vanishing
  // at both ends).
  epsShape: 'const',
  // 'sde': only the SDE sweep; 'nll': only the held-out likelihoods (both with --load, to compare eps schedules
  // on saved networks).
  only: '',
};


const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/interpolant-2d.js <outDir> [--flag value ...]' });
if (!['gaussian', '8gaussians'].includes(o.base)) throw new Error(`--base must be gaussian or 8gaussians, got ${o.base}`);
fs.mkdirSync(out, { recursive: true });
const log = (...a) => console.log(...a);
// what every number below was computed on: sample counts, seed, commit and command
const record = { ...runRecord(`${o.base} -> checkerboard (scripts/interpolant-2d.js)`, { n: o.n, seeds: { seed: o.seed } }),
  nllN: o.nllN, sdeNllN: o.sdeNllN };
log(`n = ${o.n} samples, held-out NLL on ${o.nllN}, SDE likelihood on ${o.sdeNllN}; seed ${o.seed}; commit ${record.git ? record.git.commit.slice(0, 12) : 'unknown'}`);
tf.manualSeed(o.seed);

const target = new Checkerboard({ squareSize: 2 });
const trueNll = Math.log(target.area);
const pathName = o.base === 'gaussian' ? 'one-sided-linear' : 'linear';
const rho0 = o.base === 'gaussian' ? new GaussianMixture({ means: [[0, 0]], std: 1, name: 'normal' }) : eightGaussians();
const I = SI.interpolant({ path: pathName, gamma: o.base === 'gaussian' ? undefined : 'brownian' });
const options = resolveOptions(SI.interpolantMethod, {
  path: pathName, base: o.base, fields: o.fields, lr: o.lr, hidden: o.hidden, layers: o.layers, emaGamma: o.emaGamma,
});
const run = SI.interpolantMethod.create({ name: 'checkerboard', kind: 'points', itemShape: [2] }, options);

// Training, with the notebook's step decay of the rate.
const losses = [];
const t0 = Date.now();
let smooth = NaN;
const trainKey = JSON.stringify({ seed: o.seed, base: o.base, fields: o.fields, hidden: o.hidden, layers: o.layers, lr: o.lr,
  lrStep: o.lrStep, lrGamma: o.lrGamma, batch: o.batch, steps: o.steps, emaGamma: o.emaGamma });
for (let i = 0; i < (o.load ? 0 : o.steps); i++) {
  run.optimizer.groups.forEach((g) => { g.lr = o.lr * o.lrGamma ** Math.floor(i / o.lrStep); });
  const loss = tf.tidy(() => run.trainStep(target.sample(o.batch), i));
  if (!Number.isFinite(loss)) throw new Error(`loss ${loss} at step ${i}`);
  smooth = Number.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
  if ((i + 1) % 50 === 0) losses.push([i + 1, smooth]);
  if ((i + 1) % 500 === 0 || i + 1 === o.steps) {
    const s = (Date.now() - t0) / 1000;
    log(`step ${i + 1}/${o.steps}  loss ${smooth.toFixed(4)}  ${((i + 1) / s).toFixed(1)} steps/s  eta ${((o.steps - i - 1) * s / (i + 1)).toFixed(0)} s`);
  }
}
const trainSeconds = (Date.now() - t0) / 1000;
if (!o.load) saveLinePlot(path.join(out, 'loss.svg'), { title: `interpolant ${o.base} -> checkerboard: smoothed loss (b + s)`, xLabel: 'step', yLabel: 'loss',
  series: [{ name: 'loss', x: losses.map((p) => p[0]), y: losses.map((p) => p[1]) }] });

const nets = run.evalNetwork();
if (o.load) {
  const { tensors, metadata } = loadSafetensors(o.load);
  if (metadata.train !== trainKey) throw new Error(`${o.load} was trained with ${metadata.train}; this run asks for ${trainKey}`);
  nets.loadStateDict(tensors);
  log(`networks loaded from ${o.load}`);
} else {
  saveSafetensors(path.join(out, 'nets.safetensors'), nets.stateDict(), { train: trainKey });
}
const { b, s } = SI.samplingFields(I, o.fields, nets);
// Evaluation draws from its own stream, so a run from saved networks reproduces the trained run's numbers.
tf.manualSeed(o.seed + 500);
const ref = tf.keep(target.sample(o.n));
const drawBase = (n) => (o.base === 'gaussian' ? tf.randn([n, 2]) : rho0.sample(n));

function sampleMetrics(x) {
  return tf.tidy(() => {
    const lp = target.logProb(x).dataSync();
    let inside = 0;
    for (let i = 0; i < lp.length; i++) if (Number.isFinite(lp[i])) inside++;
    const v = x.dataSync();
    const finite = v.every(Number.isFinite);
    return { inSupport: inside / lp.length, sw2: finite ? slicedWasserstein(x, ref) : NaN };
  });
}

// One base draw shared by every sampler, so the rows differ only by the dynamics.
const x0 = tf.keep(drawBase(o.n));
const rows = [];
function evalSampler(name, solver, eps) {
  const s0 = Date.now();
  const r = runSolver(solver);
  const m = sampleMetrics(r.x);
  const row = { sampler: name, eps, nfe: r.nfe, ...m, seconds: (Date.now() - s0) / 1000 };
  rows.push(row);
  log(`${name.padEnd(26)} nfe ${String(r.nfe).padStart(4)}  in-support ${m.inSupport.toFixed(4)}  SW2 ${m.sw2.toFixed(4)}`);
  saveScatterPNG(r.x, path.join(out, `samples-${name.replace(/[^a-z0-9.]+/gi, '-')}.png`));
  r.x.dispose();
  return row;
}
const gammaMax = Math.max(...Array.from({ length: 101 }, (_, i) => I.coefficients(i / 100).gamma));
const clamp01 = (t) => Math.min(Math.max(t, 0), 1);
const epsOf = (e) => (o.epsShape === 'bell' ? (t) => e * 4 * clamp01(t) * (1 - clamp01(t))
  : I.oneSided || o.epsShape === 'const' ? SI.sdeEps(I, e) : (t) => (e * I.coefficients(clamp01(t)).gamma) / gammaMax);
if (!['const', 'gamma', 'bell'].includes(o.epsShape)) throw new Error(`--eps-shape must be const, gamma or bell, got ${o.epsShape}`);
if (!['', 'sde', 'nll'].includes(o.only)) throw new Error(`--only must be sde or nll, got ${o.only}`);
if (o.only === '') {
  evalSampler('ode heun', SI.odeSampler(b, x0, { method: 'heun', steps: o.sampleSteps }), 0);
  evalSampler('ode rk4', SI.odeSampler(b, x0, { method: 'rk4', steps: o.sampleSteps }), 0);
}
const epsList = o.only === 'nll' ? [] : o.eps.split(',').map(Number);
const sweep = [];
for (const e of epsList) {
  tf.manualSeed(o.seed + 1000);  // the same Brownian increments for every eps
  sweep.push(evalSampler(`sde heun eps ${e}${o.epsShape === 'const' ? '' : ` ${o.epsShape}`}`, SI.sdeSampler(b, s, x0, { method: 'heun', steps: o.sampleSteps, eps: epsOf(e) }), e));
}
if (o.only === 'sde') {
  fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ record, options: o, interpolant: { path: pathName, gamma: I.gammaSchedule.name }, rows }, null, 2));
  log(`wrote ${out}/results.json (SDE sweep only)`);
  process.exit(0);
}
const refFloor = o.only === 'nll' ? null : tf.tidy(() => sampleMetrics(target.sample(o.n)));
if (refFloor) log(`independent data sample (metric floor)          in-support ${refFloor.inSupport.toFixed(4)}  SW2 ${refFloor.sw2.toFixed(4)}`);

// Likelihoods on held-out target points (drawn after training, never seen by it).
const meanSe = (a) => {
  const m = a.reduce((u, v) => u + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((u, v) => u + (v - m) ** 2, 0) / (a.length - 1));
  return { mean: m, se: sd / Math.sqrt(a.length) };
};
tf.manualSeed(o.seed + 2000);
const held = tf.keep(target.sample(o.nllN));
let s1 = Date.now();
const ode = tf.tidy(() => SI.odeLogLikelihood(b, rho0, held, { method: 'rk4', steps: o.nllSteps, divergence: 'exact' }).logProb);
const odeNll = meanSe(Array.from(ode, (v) => -v));
log(`held-out ODE NLL (RK4 ${o.nllSteps}, exact divergence, n = ${o.nllN}): ${odeNll.mean.toFixed(4)} ± ${odeNll.se.toFixed(4)}  ` +
  `(ln 32 = ${trueNll.toFixed(4)}, gap ${(odeNll.mean - trueNll).toFixed(4)}; ${((Date.now() - s1) / 1000).toFixed(0)} s)`);
s1 = Date.now();
const sub = tf.keep(held.slice(0, 0, o.sdeNllN));
const sde = tf.tidy(() => SI.sdeLogLikelihood(b, s, rho0, sub, { eps: epsOf(o.sdeNllEps), steps: o.sdeNllSteps, paths: o.sdeNllPaths, divergence: 'exact' }));
// Paired on the same points: the spread of the per-point differences holds the SDE estimator's path noise.
const diff = meanSe(Array.from(sde.logProb, (v, i) => ode[i] - v));
const sdeNll = meanSe(Array.from(sde.logProb, (v) => -v));
const odeSub = meanSe(Array.from(ode.subarray(0, o.sdeNllN), (v) => -v));
const meanPathSe = sde.stdErr.reduce((u, v) => u + v, 0) / sde.stdErr.length;
log(`SDE NLL (eps ${o.sdeNllEps}${{ const: '', gamma: ' gamma(t) / max gamma', bell: ' 4t(1-t)' }[o.epsShape]}, EM ${o.sdeNllSteps}, ${o.sdeNllPaths} paths, n = ${o.sdeNllN}): ${sdeNll.mean.toFixed(4)} ± ${sdeNll.se.toFixed(4)}; ` +
  `ODE on the same points ${odeSub.mean.toFixed(4)}; SDE - ODE ${diff.mean.toFixed(4)} ± ${diff.se.toFixed(4)} (${(diff.mean / diff.se).toFixed(2)} SE); ` +
  `mean per-point path SE ${meanPathSe.toFixed(3)} (${((Date.now() - s1) / 1000).toFixed(0)} s)`);

if (sweep.length) saveLinePlot(path.join(out, 'eps-sweep.svg'), {
  title: `${o.base} -> checkerboard: forward SDE (Heun ${o.sampleSteps}) against eps`, xLabel: 'eps', yLabel: 'in-support fraction / SW2',
  series: [
    { name: 'in-support fraction', x: sweep.map((r) => r.eps), y: sweep.map((r) => r.inSupport) },
    { name: 'sliced W2', x: sweep.map((r) => r.eps), y: sweep.map((r) => r.sw2) },
  ],
});

const gate = {
  nllWithin035: Math.abs(odeNll.mean - trueNll) <= 0.35,
  // (not evaluated with --only nll)
  ...(o.only === 'nll' ? {} : {
    odeInSupport090: rows.filter((r) => r.sampler.startsWith('ode')).every((r) => r.inSupport >= 0.9),
    sdeInSupport090: sweep.filter((r) => r.eps === 0.1 || r.eps === 0.5).every((r) => r.inSupport >= 0.9),
  }),
  sdeOdeNllAgree: Math.abs(diff.mean) <= 2 * diff.se,
};
log('gate:', JSON.stringify(gate));
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({
  record, options: o, interpolant: { path: pathName, gamma: I.gammaSchedule.name }, trainSeconds, threads: tf.getNumThreads(),
  trueNll, rows, floor: refFloor,
  odeNll: { ...odeNll, n: o.nllN, steps: o.nllSteps },
  sdeNll: { ...sdeNll, eps: o.sdeNllEps, n: o.sdeNllN, paths: o.sdeNllPaths, steps: o.sdeNllSteps, odeSameNll: odeSub.mean, diff, meanPathSe },
  gate,
}, null, 2));
log(`wrote ${out}/results.json, eps-sweep.svg, loss.svg, samples-*.png (training ${trainSeconds.toFixed(0)} s)`);
