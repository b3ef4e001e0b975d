#!/usr/bin/env node
// One 2-D DiffusionBlocks run (lib/models/diffusion-blocks): the method 'dblocks' on the 8-Gaussian ring
// (radius sqrt 2, component std 0.1; sigma_data = the per-coordinate data std sqrt(1.01)), residual MLP L = 12,
// width 128, trained at equal layer-updates (B x e2eSteps block steps of L/B layers each), then n samples by the
// routed sampler. Writes lib/models/diffusion-blocks/results/<name>.json: E[log p_true], mode coverage, the
// allocator's step peak and the shared part's, wall times, and the record (data, n, seeds, commit, command).
//
//   npm run build:ts
//   TENSORFIELD_NUM_THREADS=1 node scripts/diffusion-blocks/experiment-2d.js <name> --blocks 4 [--partition equiprob]
//     [--overlap 0.1] [--seed 11] [--e2eSteps 3000] [--n 5000] [--emaSigmaRel 0]   (> 0: sample the per-block weight average)
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
const DB = require('../../dist/models/diffusion-blocks');
const { eightGaussians } = require('../../dist/data/gmm');
const { meanLogLikelihood } = require('../../dist/metrics/likelihood');
const { modeCoverage } = require('../../dist/metrics/samples');
const { preconditioningTensor } = require('../../dist/samplers/precond');
const { runRecord } = require('../../dist/cli/record');

const DEFAULTS = { blocks: 4, partition: 'equiprob', overlap: 0.1, stem: 'shared', seed: 11, e2eSteps: 3000, batch: 256,
  n: 5000, layers: 12, width: 128, lr: 1e-3, solver: 'euler', sampleSteps: 64, emaSigmaRel: 0 };
const { positional, o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'experiment-2d.js <name> [--flags]' });
const name = positional[0];

const STD = 0.1;
const ring = eightGaussians({ std: STD });
const sigmaData = Math.sqrt(1 + STD * STD);  // per coordinate: radius²/2 + std² = 1.01
const spec = { name: 'eight-gaussians', kind: 'points', itemShape: [2], draw: (n) => ring.sample(n) };
const options = {};
for (const [k, v] of Object.entries(DB.DBLOCKS_OPTIONS)) options[k] = v.default;
Object.assign(options, { blocks: o.blocks, partition: o.partition, overlap: o.overlap, stem: o.stem, layers: o.layers, width: o.width,
  embDim: o.width, lr: o.lr, sigmaData, solver: o.solver, sampleSteps: o.sampleSteps, emaSigmaRel: o.emaSigmaRel });
DB.checkDblocksOptions(options);

/** The step peak of the stem and head alone (the shared part): the trainer's step with no residual layer. */
function sharedStepBytes(net, trainer) {
  const x0 = ring.sample(o.batch);
  const base = tf.memory().bytes;
  tf.resetPeakMemory();
  tf.tidy(() => {
    const sigma = tf.full([o.batch, 1], 0.5);
    const y = x0.add(tf.randnLike(x0).mul(sigma));
    const c = preconditioningTensor('edm', sigma, { sigmaData });
    const { z } = net.stems[0].forward(y.mul(c.cIn), c.cNoise.reshape([o.batch]));
    const F = net.heads[0].forward(z);
    F.sub(x0.sub(y.mul(c.cSkip)).div(c.cOut)).square().mean().backward();
    net.parameters().forEach((p) => { p.grad = null; });
  });
  const bytes = tf.memory().peakBytes - base;
  x0.dispose();
  return bytes;
}

tf.manualSeed(o.seed);
const run = DB.createDblocks(spec, options);
const steps = o.e2eSteps * o.blocks;
const t0 = Date.now();
let lossTail = 0;
for (let s = 0; s < steps; s++) {
  const l = tf.tidy(() => run.trainStep(ring.sample(o.batch), s));
  if (!Number.isFinite(l)) throw new Error(`loss ${l} at step ${s}`);
  if (s >= steps - 200) lossTail += l / 200;
}
const trainSeconds = (Date.now() - t0) / 1000;
const peaks = run.reports.slice(o.blocks).map((r) => r.stepBytes);
const shared = sharedStepBytes(run.model, run.trainer);

tf.manualSeed(o.seed + 1000);
const t1 = Date.now();
const r = run.sample(o.n);
const sampleSeconds = (Date.now() - t1) / 1000;
const ll = meanLogLikelihood(r.x, ring);
const cov = modeCoverage(r.x, ring.modes, { radius: 3 * STD });
const real = ring.sample(o.n);
const llReal = meanLogLikelihood(real, ring);
real.dispose();
r.x.dispose();

const result = {
  name, options: { ...o }, blocks: o.blocks, steps, layerUpdates: steps * (o.layers / o.blocks),
  edges: run.trainer.edges,
  meanLogProb: ll.mean, meanLogProbStdError: ll.stdError, realMeanLogProb: llReal.mean,
  modeTV: cov.tv, modesHit: cov.modesHit, offModeFraction: cov.offModeFraction,
  stepPeakBytes: Math.max(...peaks), stepPeakBytesMedian: peaks.sort((a, b) => a - b)[peaks.length >> 1], sharedStepBytes: shared,
  optimizerStateBytes: run.optimizer.stateBytes(), lossLast200: lossTail,
  trainSeconds, sampleSeconds, nfe: r.nfe, sampleSecondsPerEval: sampleSeconds / r.nfe, forwardsPerBlock: run.model.forwards,
  record: runRecord('eight-gaussians', { n: o.n, seeds: { train: o.seed, sample: o.seed + 1000 }, argv: process.argv }),
};
const out = path.join(__dirname, '../../lib/models/diffusion-blocks/results', `${name}.json`);
fs.writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
console.log(`${name}: E[log p] ${ll.mean.toFixed(3)} (real ${llReal.mean.toFixed(3)}), modeTV ${cov.tv.toFixed(4)}, off ${cov.offModeFraction.toFixed(4)}, ` +
  `step peak ${result.stepPeakBytes} B (shared ${shared}), train ${trainSeconds.toFixed(1)} s -> ${out}`);
