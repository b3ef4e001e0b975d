#!/usr/bin/env node
// Bits per dimension of a trained `interpolant` run on Fashion-MNIST 14x14 (issue 9): the probability-flow ODE's
// log-likelihood of held-out test images, integrated backward from the data (t = 1) to the Gaussian base with a
// Hutchinson divergence (Rademacher probes, drawn anew at every evaluation, so the estimate stays unbiased).
//
// The 14x14 images are 2x2 means of 8-bit pixels: values s / 510 - 1 with s = 0 .. 1020, so 1021 levels 1/510
// apart in [-1, 1]. Each test image is dequantised with uniform noise over its level's cell, [x, x + 1/510), and
//   bpd = (-log p(x + u) / D + ln 510) / ln 2
// (bitsPerDim with scale 510) bounds the discrete model's bits per dimension at 1021 levels (uniform: log2 1021 =
// 10.0). This is not the 8-bit figure of 28x28 papers: the levels are four times finer.
//
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/interpolant-bpd.js runs/si-f14 [--n 256] [--steps 50] [--method heun]
//
// --check K re-scores the first K images with twice the steps (same dequantisation; fresh probes) to show the
// discretisation error against the Monte-Carlo error. Writes <run>/bpd.json.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const SI = require('../dist/models/interpolants');
require('../dist/models');
const { openRun, logDataset } = require('../dist/cli/train');
const { runRecord } = require('../dist/cli/record');

const DEFAULTS = { n: 256, steps: 50, method: 'heun', probes: 1, batch: 64, seed: 0, check: 64 };
const LEVEL = 510;  // the 14x14 value grid: s / 510 - 1

function main() {
  const { positional: [dir], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/interpolant-bpd.js <runDir> [--n 256] [--steps 50] [--method heun] [--probes 1] [--check 64]' });
  const { cfg, src, run, step } = openRun(dir);
  if (cfg.method !== 'interpolant' || cfg.data !== 'fashion14') throw new Error(`${dir}: not an interpolant run on fashion14`);
  const opt = cfg.options;
  const I = SI.interpolant({ path: opt.path, gamma: opt.gamma === 'auto' ? undefined : opt.gamma, gammaScale: opt.gammaScale });
  if (!I.oneSided) throw new Error('this script scores against the Gaussian base: train a one-sided path');
  const { b } = SI.samplingFields(I, opt.fields, run.evalNetwork());
  const D = src.itemShape.reduce((a, c) => a * c, 1);
  const rho0 = { logProb: (x) => x.reshape(x.shape[0], -1).square().sum(1).mul(-0.5).sub(0.5 * D * Math.log(2 * Math.PI)) };
  tf.manualSeed(o.seed);
  // held-out test images of the run's own Fashion-MNIST files (said at the start: full set or shipped subset)
  logDataset(src, console.log);
  const record = runRecord(src, { n: o.n, seeds: { dequantisation: o.seed, train: Number(cfg.train.seed ?? 0) } });
  const test = tf.keep(src.real(o.n));
  if (test.shape[0] < o.n) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `--n ${o.n}: only ${test.shape[0]} test images in ${src.origin}`);
  // the level grid is what the bound assumes: check it instead of trusting it
  const s = test.add(1).mul(LEVEL).dataSync();
  for (const v of s) if (Math.abs(v - Math.round(v)) > 1e-3) throw new Error(`test value ${v / LEVEL - 1} is not on the 1/${LEVEL} grid`);
  const xq = tf.keep(test.add(tf.rand(test.shape).div(LEVEL)));
  const log = (...a) => console.log(...a);
  log(`${dir}: step ${step}, fields ${opt.fields}; n = ${o.n} test images, ODE ${o.method} ${o.steps} steps, ${o.probes} Hutchinson probe(s) per evaluation`);

  const score = (x, steps) => {
    const out = [];
    const t0 = Date.now();
    for (let i = 0; i < x.shape[0]; i += o.batch) {
      const lp = tf.tidy(() => SI.odeLogLikelihood(b, rho0, x.slice(0, i, Math.min(x.shape[0], i + o.batch)),
        { method: o.method, steps, divergence: 'hutchinson', probes: o.probes }).logProb);
      out.push(...lp);
      const secs = (Date.now() - t0) / 1000, done = Math.min(x.shape[0], i + o.batch);
      log(`  ${done}/${x.shape[0]} images  ${secs.toFixed(0)} s  eta ${((x.shape[0] - done) * secs / done).toFixed(0)} s`);
    }
    return Float64Array.from(out);
  };
  const stats = (v) => {
    const m = v.reduce((a, c) => a + c, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, c) => a + (c - m) ** 2, 0) / (v.length - 1));
    return { mean: m, se: sd / Math.sqrt(v.length) };
  };
  const t0 = Date.now();
  const lp = score(xq, o.steps);
  const bpd = stats(SI.bitsPerDim(lp, D, LEVEL));
  const secs = (Date.now() - t0) / 1000;
  log(`bits/dim (1021 levels): ${bpd.mean.toFixed(4)} ± ${bpd.se.toFixed(4)}  (uniform ${Math.log2(1021).toFixed(3)}; ${secs.toFixed(0)} s)`);
  const result = { record, step, options: opt, n: o.n, method: o.method, steps: o.steps, probes: o.probes, bpd, seconds: secs };
  if (o.check > 0) {
    const k = Math.min(o.check, o.n);
    const sub = xq.slice(0, 0, k);
    const fine = SI.bitsPerDim(score(sub, 2 * o.steps), D, LEVEL);
    const coarse = SI.bitsPerDim(lp.subarray(0, k), D, LEVEL);
    const diff = stats(Float64Array.from(fine, (f, i) => f - coarse[i]));
    log(`steps ${2 * o.steps} against ${o.steps} on the first ${k}: ${stats(fine).mean.toFixed(4)} against ${stats(coarse).mean.toFixed(4)}; paired difference ${diff.mean.toFixed(4)} ± ${diff.se.toFixed(4)}`);
    result.check = { n: k, steps: 2 * o.steps, bpdFine: stats(fine), bpdCoarse: stats(coarse), difference: diff };
  }
  fs.writeFileSync(path.join(dir, 'bpd.json'), JSON.stringify(result, null, 2));
  log(`wrote ${dir}/bpd.json`);
}

main();
