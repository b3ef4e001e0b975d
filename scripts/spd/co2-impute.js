#!/usr/bin/env node
// SPD imputation on real data (issue 25): statsmodels co2, weekly Mauna Loa CO2 1958-2001 with 59 missing weeks in
// 22 runs. Windows of 64 weeks (times in window units); in each scored window one block of observed weeks is
// removed, its length drawn from the lengths of the 22 real runs (14 single weeks, runs of 2-5, 8 and 18), and the
// conditional DSPD imputer (MLP over the window, lib/models/spd/impute-model.ts) fills it from the other weeks.
// Train on 1958-1987, validation 1988-1994, test 1995-2001 (windows wholly inside their split's years; scales from
// the training years). Scores: CRPS per removed week (lib/metrics meanCrps on `samples` draws), in ppm, against
// linear interpolation between the neighbouring weeks (Gaussian, residual spread per block length and position
// from training blocks) and a local seasonal + trend regression, both scored with the same estimator on as many
// Gaussian draws, and in closed form. Criteria: scripts/spd/co2-criteria.json (fixed before any held-out run).
//
// Defaults are the settings chosen on seed 0's validation runs (conv imputer, GP sigma 0.02 in window units, 3000
// steps, half the training blocks with lengths uniform in 1-18; 50 samples on every 2nd window; README).
//
// --real-gaps 1 also imputes the 22 real missing runs (windows centred on them) after scoring, and stores each
// week's median and 5/25/75/95 % sample quantiles in the output (scripts/spd/co2-fan.js draws them).
//
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/spd/co2-impute.js <out.json> --noise gp --seed 1 --split test
'use strict';
const fs = require('fs');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
const spd = require('../../dist/models/spd');
const { runRecord } = require('../../dist/cli/record');
const { ProgressBar } = require('../../dist/cli/progress');
const { sortedQuantile } = require('../../dist/metrics/ensemble-scores');

const DEFAULTS = {
  noise: 'gp', sigma: 0.02, theta: 2, seed: 0, split: 'val', evalSeed: 1000, dataSeed: 8,
  window: 64, steps: 3000, batch: 64, lr: 1e-3, width: 0, samples: 50, stride: 2, realGaps: 0, uniformShare: 0.5, arch: 'conv',
};
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/spd/co2-impute.js <out.json> [--flag value ...]' });
if (o.split !== 'val' && o.split !== 'test') throw new Error(`--split must be val or test, got ${o.split}`);
const log = (...a) => console.log(new Date().toISOString().slice(11, 19), ...a);

const d = spd.co2ImputationData({ window: o.window });
// the scored blocks depend on the data seed and the split only, never on the training seed
const tasks = spd.fixedTasks(d, o.split, o.dataSeed + (o.split === 'test' ? 1 : 0), o.stride);
const noise = new spd.NoiseProcess({ kind: o.noise, sigma: o.sigma, theta: o.theta });
const nWeeks = tasks.reduce((a, t) => a + t.length, 0);
const yr = (r) => `${r.from}-${r.to}`;
const record = runRecord(`statsmodels co2 weekly: train ${yr(d.splits.train)} (${d.starts.train.length} windows), ${o.split} ${yr(d.splits[o.split])} (${tasks.length} windows, ${nWeeks} removed weeks), ${o.window}-week windows`,
  { n: nWeeks, seeds: { train: o.seed, evaluation: o.evalSeed, data: o.dataSeed } });

tf.manualSeed(o.seed);
const net = new spd.SpdImputer({ window: o.window, arch: o.arch, width: o.width || undefined });
const params = net.parameters().reduce((a, p) => a + p.numel(), 0);
const t0 = Date.now();
const bar = new ProgressBar({ total: o.steps, label: `train ${o.noise}`, unit: 'step' });
const losses = spd.trainImputer(net, d, noise, { steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed, uniformShare: o.uniformShare, onStep: (s, total, l) => bar.update(s, { loss: l }) });
bar.finish();
const trainSeconds = (Date.now() - t0) / 1000;
const avg = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const lossEvery100 = Array.from({ length: Math.floor(losses.length / 100) }, (_, i) => avg(losses.slice(i * 100, (i + 1) * 100)));
log(`trained ${o.noise} (${params} parameters) in ${trainSeconds.toFixed(1)} s; mean loss first/last 100 steps ${lossEvery100[0]?.toFixed(4)} / ${lossEvery100[lossEvery100.length - 1]?.toFixed(4)}`);

tf.manualSeed(o.evalSeed);
const t1 = Date.now();
const sbar = new ProgressBar({ total: tasks.length, label: 'sample', unit: 'window' });
const S = spd.sampleImputer(net, d, tasks, noise, o.samples, { onChunk: (done) => sbar.update(done) });
sbar.finish();
const sampleSeconds = (Date.now() - t1) / 1000;
const m = o.samples;

// scores (lib/models/spd/impute-eval.ts, shared with the spd-impute CLI method): CRPS per removed week (and per
// block-length group), pinball loss at the deciles, energy score per block, mean squared week-to-week increment
// inside blocks
const score = (samples) => spd.scoreImputations(d, tasks, samples, m);
const model = score(S);
const msiObs = spd.observedBlockMsi(d, tasks);

// the Gaussian baselines, scored with the same estimator on m draws (evaluation seed) and in closed form
const resid = spd.linearResidualStd(d);
function scoreGaussian(predict, stream) {
  const { draws, crpsClosedForm } = spd.gaussianImputations(d, tasks, predict, m, o.evalSeed, stream);
  return { ...score(draws), crpsClosedForm };
}
const linear = scoreGaussian((t) => spd.linearPredictive(d, t, resid), 3);
const harmonic = scoreGaussian((t) => spd.harmonicPredictive(d, t), 4);

// the real missing runs: median and 5/25/75/95 % quantiles per week
let realGaps = null;
if (o.realGaps) {
  tf.manualSeed(o.evalSeed + 1);
  const rt = d.gaps.filter((g) => g.length <= o.window - 2).map((g) => spd.realGapTask(d, g));
  const R = spd.sampleImputer(net, d, rt, noise, o.samples);
  realGaps = rt.map((t, i) => {
    const weeks = [];
    for (let j = 0; j < t.length; j++) {
      const s = Float64Array.from({ length: m }, (_, k) => R[i][k * t.length + j]).sort();
      const qs = [0.05, 0.25, 0.5, 0.75, 0.95].map((p) => sortedQuantile(s, p));
      weeks.push({ index: t.start + t.offset + j, day: d.days[t.start + t.offset + j], q05: qs[0], q25: qs[1], median: qs[2], q75: qs[3], q95: qs[4] });
    }
    return { task: t, weeks };
  });
  log(`imputed the ${rt.length} real missing runs (${realGaps.reduce((a, g) => a + g.weeks.length, 0)} weeks)`);
}

const result = {
  ...record, noise: o.noise, split: o.split, options: o, params, trainSeconds, sampleSeconds,
  scales: { ctxScale: d.ctxScale, resScale: d.resScale, years: d.splits.train },
  windows: { train: d.starts.train.length, [o.split]: tasks.length, removedWeeks: nWeeks, realRunLengths: Array.from(d.gapLengths) },
  crpsEstimator: `meanCrps (empirical ensemble, E|X-y| - E|X-X'|/2 with m^2), ${m} samples per removed week, ${nWeeks} weeks in ${tasks.length} windows`,
  lossFirst100: lossEvery100[0], lossLast100: lossEvery100[lossEvery100.length - 1], lossEvery100,
  crps: model.crps, crpsByLength: model.byGroup, pinballDeciles: model.pinballDeciles, energyScore: model.energy,
  msiModel: model.msi, msiObserved: msiObs, continuityRatio: model.msi / msiObs,
  linear: { crps: linear.crps, crpsClosedForm: linear.crpsClosedForm, crpsByLength: linear.byGroup, pinballDeciles: linear.pinballDeciles, energyScore: linear.energy },
  harmonic: { crps: harmonic.crps, crpsClosedForm: harmonic.crpsClosedForm, crpsByLength: harmonic.byGroup, pinballDeciles: harmonic.pinballDeciles, energyScore: harmonic.energy },
  realGaps,
};
const g3 = (r) => Object.entries(r.byGroup ?? r.crpsByLength).map(([k, v]) => `${k} ${v ? v.crps.toFixed(3) : '-'}`).join(', ');
log(`${o.split}: CRPS ${model.crps.toFixed(4)} ppm (linear ${linear.crps.toFixed(4)}, closed form ${linear.crpsClosedForm.toFixed(4)}; seasonal+trend ${harmonic.crps.toFixed(4)}, closed form ${harmonic.crpsClosedForm.toFixed(4)}); continuity ratio ${result.continuityRatio.toFixed(3)}; sampling ${sampleSeconds.toFixed(1)} s`);
log(`by block length: model ${g3(model)}; linear ${g3(linear)}; seasonal+trend ${g3(harmonic)}`);
if (out) fs.writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
