#!/usr/bin/env node
// Generalisation gap of a trained `blackout` run: the loss (the run's own weighting, rate link and schedule) of its
// EMA network on the first n train items and on the first n test items, averaged over every 5th observation index
// with one fixed forward-noise seed for both. A train loss far below the test loss means the rate network has
// fitted the training items themselves (the digits: 1198 images seen thousands of times).
//
//   TENSORFIELD_NUM_THREADS=1 node scripts/blackout/fit-gap.js <run> [--n 599]
'use strict';
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
require('../../dist/models');
const bo = require('../../dist/models/blackout/index.js');
const { openRun } = require('../../dist/cli/train');

const { positional: [dir], o } = parseFlags(process.argv.slice(2), { n: 599 }, { usage: 'node scripts/blackout/fit-gap.js <run> [--n 599]' });
const { cfg, src, run } = openRun(dir);
if (!src.trainItems) throw new Error(`${dir}: not a count-data run`);
const net = run.evalNetwork();
const T = Number(cfg.options.T), nMax = src.maxCount, param = String(cfg.options.rateParam ?? 'paper');
const s = bo.blackoutSchedule(T, Number(cfg.options.tEnd)), w = bo.lossWeights(s, String(cfg.options.weighting));
const out = {};
for (const [name, x] of [['train', src.trainItems(o.n)], ['test', src.real(o.n)]]) {
  tf.manualSeed(7);
  let tot = 0, count = 0;
  for (let k = 0; k < T; k += 5, count++) {
    const N = x.shape[0], p = new Float64Array(N).fill(s.p[k]);
    tot += tf.tidy(() => tf.noGrad(() => {
      const nt = bo.forwardSample(x, p);
      const y = bo.rateOf(net.forward(bo.modelInput(nt, p, nMax), tf.full([N], k)), p, param);
      return bo.poissonNll(y, x.sub(nt), new Array(N).fill(w[k])).item();
    }));
  }
  out[name] = tot / count;
}
console.log(`${dir}: loss on ${o.n} train items ${out.train.toFixed(4)}, on ${o.n} test items ${out.test.toFixed(4)}, gap ${(out.test - out.train).toFixed(4)}`);
