#!/usr/bin/env node
// Blocks trained at the same time: B blocks ('own' stem/head, per-block streams) trained one after another in this
// thread, then each in its own worker_thread at once; the weights must agree bit for bit, and the wall times are
// printed (on P free cores, the parallel time should approach 1/min(B, P) of the sequential one).
//
//   npm run build:ts
//   TENSORFIELD_NUM_THREADS=1 node scripts/diffusion-blocks/parallel-2d.js [--blocks 2] [--steps 1500] [--seed 21]
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const crypto = require('crypto');
const tf = require('../../dist/index.js');
const DB = require('../../dist/models/diffusion-blocks');
const { eightGaussians } = require('../../dist/data/gmm');

const ring = eightGaussians();
const spec = { name: 'eight-gaussians', kind: 'points', itemShape: [2], draw: (n) => ring.sample(n) };
function options(blocks, block) {
  const o = {};
  for (const [k, v] of Object.entries(DB.DBLOCKS_OPTIONS)) o[k] = v.default;
  return { ...o, blocks, block, stem: 'own', layers: 12, width: 128, embDim: 128, sigmaData: Math.sqrt(1.01) };
}
/** Trains block `block` alone for `steps` steps; returns a hash of its parameters' bytes. */
function trainOne(blocks, block, steps, seed) {
  tf.setNumThreads(1);
  tf.manualSeed(seed);
  const run = DB.createDblocks(spec, options(blocks, block));
  for (let s = 0; s < steps; s++) tf.tidy(() => run.trainStep(ring.sample(256), s));
  const h = crypto.createHash('sha256');
  for (const [k, p] of run.model.blockNamedParameters(block)) { h.update(k); h.update(Buffer.from(p.dataSync().buffer)); }
  return h.digest('hex');
}

if (!isMainThread) {
  const { blocks, block, steps, seed } = workerData;
  parentPort.postMessage(trainOne(blocks, block, steps, seed));
} else {
  const { parseFlags } = require('../flags');
  const { o } = parseFlags(process.argv.slice(2), { blocks: 2, steps: 1500, seed: 21 }, { usage: 'parallel-2d.js [--blocks B] [--steps S] [--seed s]', min: 0, max: 0 });
  const t0 = Date.now();
  const seq = [];
  for (let b = 0; b < o.blocks; b++) seq.push(trainOne(o.blocks, b, o.steps, o.seed));
  const tSeq = (Date.now() - t0) / 1000;
  const t1 = Date.now();
  Promise.all(Array.from({ length: o.blocks }, (_, b) => new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { blocks: o.blocks, block: b, steps: o.steps, seed: o.seed } });
    w.once('message', resolve);
    w.once('error', reject);
  }))).then((par) => {
    const tPar = (Date.now() - t1) / 1000;
    const same = par.every((h, b) => h === seq[b]);
    console.log(JSON.stringify({ blocks: o.blocks, steps: o.steps, seed: o.seed, sequentialSeconds: tSeq, parallelSeconds: tPar,
      ratio: tPar / tSeq, bitIdentical: same, cpus: require('os').cpus().length, loadAverage: require('os').loadavg() }));
    if (!same) process.exitCode = 1;
  });
}
