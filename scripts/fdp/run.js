#!/usr/bin/env node
// FDP experiment on 1-D functions (digest B section 1.8): trains FDP (Gabor INR 4x64, 3 inner SGD steps,
// second-order by default) or the vector baseline (EDM, MLP 3x256 on the grid vector) on a function data source, or
// samples with the exact denoiser of the training functions (--model exact: the sampler's oracle, no training),
// samples, and scores against held-out functions: out-of-band energy, amplitude W1 for k = 1..3, MMD^2 (kernel
// scales fixed by the test set), and for FDP the super-resolution read-out (the final adapted INR read on a
// 4x finer grid, band-limited back to the training grid). Criteria: scripts/fdp/criteria.json (fixed first).
//
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/fdp/run.js <out.json> [--flag value ...]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
const fdp = require('../../dist/models/fdp');
const { functionMetrics } = require('../../dist/metrics/functions');
const { openDataSource } = require('../../dist/data/sources');
const { getMethod, resolveOptions } = require('../../dist/registry');
require('../../dist/models');
const { runRecord } = require('../../dist/cli/record');

const DEFAULTS = {
  model: 'fdp', data: 'bandlimited64', seed: 0, evalSeed: 1000,
  steps: 1500, batch: 32, timeBudget: 0,
  hidden: 64, layers: 4, innerSteps: 3, innerLr: 1e-2, yInput: 0, order: 'second', energyNorm: 1, xNorm: 0, weighting: 'code', curriculum: 300,
  lr: 3e-4, warmup: 100, optimizer: 'adabelief',
  nGen: 1000, sampleSteps: 25, snr: 0.19, factor: 0, superRes: 4,
  edmHidden: 256, edmLayers: 3, edmLr: 1e-3,
  // FDP only: write the evaluation (EMA) weights after training, or load them and skip training (sampler studies)
  saveModel: '', loadModel: '',
};
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/fdp/run.js <out.json> [--flag value ...]' });
tf.setNumThreads(1);
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

const src = openDataSource(o.data);
const P = src.itemShape[0];
const K = 3;
const test = src.real(1e9);
const nTest = test.shape[0];
// floor: two disjoint real sets under the same kernel. bandlimited: test halves; real curves: train vs test.
const half = Math.floor(nTest / 2);
const [refA, refB] = o.data === 'bandlimited64'
  ? [test.slice(0, 0, half).contiguous(), test.slice(0, half, nTest).contiguous()]
  : [src.trainItems(1e9), test];
const floor = functionMetrics(refA, refB, K);
log(`data ${o.data}: P=${P}, test ${nTest}; floor mmd2 ${floor.mmd2.toExponential(3)} leak ${floor.leakage.toFixed(4)}`);

tf.manualSeed(o.seed);
const lossCurve = [];
let params = 0, trainSeconds = 0, sampleSeconds = 0, gen, superRes = null, nfe = 0;
const t0 = Date.now();
const budgetDone = (s) => (o.timeBudget > 0 ? (Date.now() - t0) / 1000 >= o.timeBudget : s >= o.steps);
let steps = 0;
if (o.model === 'fdp') {
  const sde = new fdp.HeatSDE({ grid: [P], energyNorm: o.energyNorm, xNorm: o.xNorm > 0 ? o.xNorm : undefined });
  const net = new fdp.FdpDenoiser({ grid: [P], channels: 1, hidden: o.hidden, layers: o.layers, innerSteps: o.innerSteps, innerLr: o.innerLr, yInput: o.yInput === 1 }, sde);
  params = net.numParameters();
  const tr = new fdp.FdpTrainer(net, { lr: o.lr, warmup: o.warmup, decaySteps: o.steps, optimizer: o.optimizer, order: o.order, weighting: o.weighting, curriculum: o.curriculum });
  let acc = 0, cnt = 0;
  while (!o.loadModel && !budgetDone(steps)) {
    const l = tf.tidy(() => tr.step(src.batch(o.batch).reshape([o.batch, 1, P])));
    acc += l; cnt++; steps++;
    if (steps % 100 === 0) { lossCurve.push([steps, acc / cnt]); log(`step ${steps} loss ${(acc / cnt).toFixed(4)} ${(((Date.now() - t0) / steps)).toFixed(0)} ms/step`); acc = 0; cnt = 0; }
  }
  trainSeconds = (Date.now() - t0) / 1000;
  const evalNet = new fdp.FdpDenoiser({ grid: [P], channels: 1, hidden: o.hidden, layers: o.layers, innerSteps: o.innerSteps, innerLr: o.innerLr, yInput: o.yInput === 1 }, sde);
  if (o.loadModel) {
    const ck = tf.io.loadCheckpoint(o.loadModel, { model: evalNet, restoreRng: false });
    steps = ck.step; trainSeconds = ck.extra.trainSeconds; lossCurve.push(...ck.extra.lossCurve);
    log(`loaded ${o.loadModel} (step ${steps}); no training`);
  } else tr.ema.copyTo(evalNet);
  if (o.saveModel) tf.io.saveCheckpoint(o.saveModel, { model: evalNet, step: steps, extra: { trainSeconds, lossCurve, options: o } });
  tf.manualSeed(o.evalSeed);
  const t1 = Date.now();
  const xs = [], ss = [];
  for (let done = 0; done < o.nGen; done += 250) {
    const m = Math.min(250, o.nGen - done);
    // a model fed the noisy values (yInput) has no values to read between the grid points: no super-resolution
    const r = fdp.sampleFdp(evalNet, m, { steps: o.sampleSteps, snr: o.snr, factor: o.factor, readGrid: o.yInput === 1 ? undefined : [o.superRes * P] });
    xs.push(r.x.reshape([m, P])); if (r.readOut) ss.push(r.readOut.reshape([m, o.superRes * P])); nfe = r.nfe;
    log(`sampled ${done + m}/${o.nGen}`);
  }
  sampleSeconds = (Date.now() - t1) / 1000;
  gen = tf.cat(xs, 0);
  if (ss.length) {
  const fine = tf.cat(ss, 0);
  // band-limited downsampling to the training grid: keep the rfft bins 0..P/2 of the fine grid (an ideal low-pass,
  // unlike picking every 4th point, which would return the 64-grid read-out itself)
  const down = tf.fft.irfft(tf.fft.rfft(fine, { norm: 'forward' }).narrow(1, 0, P / 2 + 1), { n: P, norm: 'forward' });
  superRes = { grid: o.superRes * P, metrics: functionMetrics(down, refB, K), leakageFineGrid: functionMetrics(fine, fine, K).leakage };
  }
} else if (o.model === 'edm') {
  const m = getMethod('edm');
  const opts = resolveOptions(m, { hidden: o.edmHidden, layers: o.edmLayers, lr: o.edmLr });
  const run = m.create({ name: o.data, kind: 'points', itemShape: [P] }, opts);
  params = run.model.numParameters();
  while (!budgetDone(steps)) {
    const l = tf.tidy(() => run.trainStep(src.batch(o.batch), steps));
    steps++;
    if (steps % 100 === 0) { lossCurve.push([steps, l]); if (steps % 1000 === 0) log(`step ${steps} loss ${l.toFixed(4)}`); }
  }
  trainSeconds = (Date.now() - t0) / 1000;
  tf.manualSeed(o.evalSeed);
  const t1 = Date.now();
  const r = run.sample(o.nGen);
  gen = r.x; nfe = r.nfe;
  sampleSeconds = (Date.now() - t1) / 1000;
} else if (o.model === 'exact') {
  // the oracle: the exact posterior-mean denoiser of the training functions (a uniform mixture of point masses,
  // lib/models/fdp/exact.ts) through the same sampler: what the sampler and the metrics give when the denoiser makes
  // no error. It memorises (its samples are training functions), so it is a check of the sampler, not a model.
  const sde = new fdp.HeatSDE({ grid: [P], energyNorm: o.energyNorm, xNorm: o.xNorm > 0 ? o.xNorm : undefined });
  const train = src.trainItems(1e9);
  const den = fdp.exactDenoiser(sde, train.reshape([train.shape[0], 1, P]));
  tf.manualSeed(o.evalSeed);
  const t1 = Date.now();
  const xs = [];
  for (let done = 0; done < o.nGen; done += 250) {
    const m = Math.min(250, o.nGen - done);
    const r = fdp.sampleFdp(den, m, { steps: o.sampleSteps, snr: o.snr, factor: o.factor });
    xs.push(r.x.reshape([m, P])); nfe = r.nfe;
    log(`sampled ${done + m}/${o.nGen}`);
  }
  sampleSeconds = (Date.now() - t1) / 1000;
  gen = tf.cat(xs, 0);
  den.dispose();
} else throw new Error(`--model must be fdp, edm or exact, got ${o.model}`);

const metrics = functionMetrics(gen, refB, K);
log(`${o.model}: leak ${metrics.leakage.toFixed(4)} W1 ${metrics.ampW1.map((v) => v.toFixed(4)).join(' ')} mmd2 ${metrics.mmd2.toExponential(3)} (floor ${floor.mmd2.toExponential(3)})` +
  (superRes ? `; super-res x${o.superRes}: mmd2 ${superRes.metrics.mmd2.toExponential(3)} leak(fine) ${superRes.leakageFineGrid.toFixed(4)}` : ''));
const record = runRecord(`${o.data} (${src.origin}); scripts/fdp/run.js`, { n: o.nGen, seeds: { train: o.seed, evaluation: o.evalSeed } });
const sizes = { train: o.data === 'bandlimited64' ? 20000 : refA.shape[0], test: nTest, generated: o.nGen, floorSets: [refA.shape[0], refB.shape[0]] };
const result = { record, sizes, options: o, model: o.model, params, steps, trainSeconds, sampleSeconds, nfe, lossCurve, floor, metrics, superRes };
fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
fs.writeFileSync(out, JSON.stringify(result, null, 1));
log(`wrote ${out}`);
