#!/usr/bin/env node
// Evaluates a trained `blackout` run against the criteria fixed in scripts/blackout/criteria.json: samples n items
// with the binomial bridge, tau-leaping and the stochastically rounded bridge at the same network evaluations
// (the generator reseeded to the same held-out seed before each), computes the count metrics (lib/metrics/counts.ts)
// and the overall frequency of every count value (generated vs test, to see which counts a sampler under- or
// over-produces), and writes lib/models/blackout/results/<name>.json with the record (data, n, seeds, commit,
// command) and a verdict per criterion.
//
//   npm run build:ts   (or: npx tsc -p tsconfig.build.json)
//   TENSORFIELD_NUM_THREADS=1 node scripts/blackout/evaluate-run.js <run> --name digits-mlp-s0 [--n 2000] [--steps 0] [--seed 1234]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
require('../../dist/models');
const { openRun, saveSamples, logDataset } = require('../../dist/cli/train');
const { evaluateSamples } = require('../../dist/cli/evaluate');
const { runRecord } = require('../../dist/cli/record');

const DEFAULTS = { n: 2000, steps: 0, seed: 1234, name: '', samplers: 'bridge,tau,bridge-sr' };
const criteria = JSON.parse(fs.readFileSync(path.join(__dirname, 'criteria.json'), 'utf8'));

function countFrequencies(x, maxCount) {
  const d = x.dataSync(), f = new Array(maxCount + 1).fill(0);
  for (const v of d) f[v] += 1 / d.length;
  return f;
}

function verdicts(m, tau) {
  const bound = criteria.mmd2VsTestVsTest.factor * Math.max(m.mmd2TestVsTest, 0) + criteria.mmd2VsTestVsTest.slack;
  return {
    histTV: { value: m.histTV, max: criteria.histTV.max, pass: m.histTV < criteria.histTV.max },
    mmd2VsTestVsTest: { value: m.mmd2, bound, pass: m.mmd2 <= bound },
    mmd2VsIndependent: { value: m.mmd2, bound: criteria.mmd2VsIndependent.factor * m.mmd2Independent, pass: m.mmd2 <= criteria.mmd2VsIndependent.factor * m.mmd2Independent },
    bridgeBeatsTau: tau ? { bridge: m.mmd2, tau: tau.mmd2, pass: m.mmd2 < tau.mmd2 } : null,
  };
}

async function main() {
  const { positional: [dir], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/blackout/evaluate-run.js <run> --name NAME [--n 2000] [--steps 0] [--seed 1234]' });
  if (!o.name) throw new Error('--name is required (the results file name)');
  const { cfg, src, run, step } = openRun(dir);
  logDataset(src, console.log);
  const steps = o.steps || Number(cfg.options.sampleSteps) || Number(cfg.options.T);
  const test = src.real(Number.MAX_SAFE_INTEGER);
  const testFreq = countFrequencies(test, src.maxCount);
  test.dispose();
  const rows = {};
  for (const sampler of o.samplers.split(',')) {
    tf.manualSeed(o.seed);
    const t0 = Date.now();
    const r = run.sample(o.n, { steps, solver: sampler });
    const seconds = (Date.now() - t0) / 1000;
    saveSamples(src, r.x, path.join(dir, `samples-${sampler}-${steps}.png`));
    const m = await evaluateSamples(src, r.x);
    rows[sampler] = { ...m, dtype: r.x.dtype, nfe: r.nfe, seconds, countFrequencies: countFrequencies(r.x, src.maxCount) };
    r.x.dispose();
    console.log(`${sampler.padEnd(9)} steps ${steps}: histTV ${m.histTV.toFixed(4)} (real floor ${m.histTVRealFloor?.toFixed(4)}), ` +
      `MMD² ${m.mmd2.toExponential(3)} (test-vs-test ${m.mmd2TestVsTest.toExponential(3)}, independent ${m.mmd2Independent.toExponential(3)}) ${seconds.toFixed(0)} s`);
  }
  const v = rows.bridge ? verdicts(rows.bridge, rows.tau) : null;
  const failed = v ? Object.entries(v).filter(([, c]) => c && !c.pass).map(([k]) => k) : [];
  const out = {
    name: o.name, run: dir, method: cfg.method, data: cfg.data, options: cfg.options, train: cfg.train, trainSteps: step, sampleSteps: steps,
    testCountFrequencies: testFreq, samplers: rows, criteria: v, failed, criteriaFile: 'scripts/blackout/criteria.json',
    record: runRecord(src, { n: o.n, seeds: { train: Number(cfg.train.seed ?? 0), sample: o.seed, independentBaseline: 0 } }),
  };
  const file = path.join(__dirname, '..', '..', 'lib', 'models', 'blackout', 'results', `${o.name}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(failed.length ? `FAILED: ${failed.join(', ')}` : 'all criteria met');
  console.log(`wrote ${file}`);
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
