#!/usr/bin/env node
// SPD neural-process benchmark (digest B §4.4, §4.7.2): trains the per-point kernel-attention denoiser with DSPD and
// GP, OU or white noise on 800 GP curves (data seed 1), then scores 200 held-out curves (data seed 2) with 100
// samples each against the oracle GP posterior: normalised quantile loss, energy score, and the continuity ratio
// (mean squared increment of samples on a 50-point grid over the oracle posterior's on the same grid).
// Criteria: scripts/spd/criteria.json (fixed before any run).
//
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/spd/np-benchmark.js <out.json> --noise gp --seed 1
'use strict';
const fs = require('fs');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
const spd = require('../../dist/models/spd');
const { runRecord } = require('../../dist/cli/record');
const { ProgressBar } = require('../../dist/cli/progress');

const DEFAULTS = {
  noise: 'gp', sigma: 0.2, theta: 2, seed: 0, evalSeed: 1000, dataSeed: 1, testSeed: 2,
  nTrain: 800, nTest: 200, epochs: 200, batch: 128, lr: 1e-3, hidden: 32, heads: 1, samples: 100, gridSamples: 20, grid: 50,
};
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/spd/np-benchmark.js <out.json> [--flag value ...]' });
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

const train = spd.npCurves(o.nTrain, o.dataSeed), test = spd.npCurves(o.nTest, o.testSeed);
const noise = new spd.NoiseProcess({ kind: o.noise, sigma: o.sigma, theta: o.theta });
const record = runRecord(`np-gp-curves (${o.nTrain} train, data seed ${o.dataSeed}; ${o.nTest} test, data seed ${o.testSeed})`,
  { n: o.nTest, seeds: { train: o.seed, evaluation: o.evalSeed, data: o.dataSeed, test: o.testSeed } });

tf.manualSeed(o.seed);
const net = new spd.NpDenoiser({ hidden: o.hidden, heads: o.heads });
const params = net.parameters().reduce((a, p) => a + p.numel(), 0);
const bar = new ProgressBar({ total: o.epochs * Math.ceil(o.nTrain / o.batch), label: `train ${o.noise}`, unit: 'step' });
const kernelScales = () => Array.from(net.logScale.dataSync(), Math.exp);
const t0 = Date.now();
const lossCurve = spd.trainNp(net, train, noise, { epochs: o.epochs, batch: o.batch, lr: o.lr, seed: o.seed,
  onStep: (s, total, l) => bar.update(s, { loss: l }) });
bar.finish();
const trainSeconds = (Date.now() - t0) / 1000;
log(`trained ${o.noise} in ${trainSeconds.toFixed(1)} s; loss first/last epoch ${lossCurve[0].toFixed(4)} / ${lossCurve[lossCurve.length - 1].toFixed(4)}; kernel scales ${kernelScales().map((v) => v.toFixed(4)).join(' ')}`);

tf.manualSeed(o.evalSeed);
const t1 = Date.now();
const own = spd.sampleNp(net, test, noise, o.samples);
const model = spd.npScores(test, { ...own, m: o.samples });
const grid = spd.denseGrid(o.grid);
const dense = spd.sampleNp(net, test, noise, o.gridSamples, { grid });
const sampleSeconds = (Date.now() - t1) / 1000;
const oracle = spd.npScores(test, spd.oracleSamples(test, o.samples, o.evalSeed));
const oracleDense = spd.oracleSamples(test, o.gridSamples, o.evalSeed + 1, grid);
const msiModel = spd.meanSquaredIncrement(dense.values, o.grid), msiOracle = spd.meanSquaredIncrement(oracleDense.values, o.grid);
const result = {
  ...record, noise: o.noise, options: o, params, trainSeconds, sampleSeconds, kernelScales: kernelScales(),
  lossFirstEpoch: lossCurve[0], lossLastEpoch: lossCurve[lossCurve.length - 1], lossEvery10: lossCurve.filter((_, i) => i % 10 === 9),
  quantileLoss: model.ql, oracleQuantileLoss: oracle.ql, qlRatio: model.ql / oracle.ql,
  energyScore: model.energy, oracleEnergyScore: oracle.energy,
  msiModel, msiOracle, continuityRatio: msiModel / msiOracle,
};
log(`QL ${model.ql.toFixed(4)} (oracle ${oracle.ql.toFixed(4)}, ratio ${result.qlRatio.toFixed(3)}); ES ${model.energy.toFixed(4)} (oracle ${oracle.energy.toFixed(4)}); continuity ratio ${result.continuityRatio.toFixed(3)}`);
if (out) fs.writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
