#!/usr/bin/env node
// Held-out bits per character of trained dblocks-lm runs under the model's own likelihood bound (lm-method.ts
// heldOutBound: the continuous-time VDM bound of the denoiser generation steps toward), at one or more lower ends
// sigma0 of the integral, with the sigma_max classifier's bits beside them. Writes one JSON with a record.
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/diffusion-blocks/lm-bound.js <out.json> <run> [<run> ...] [--sigma0 a,b] [--levels 32] [--chars 20000] [--seed 2]
'use strict';
const fs = require('fs');
const tf = require('../../dist/index.js');
require('../../dist/models');
const { openRun } = require('../../dist/cli/train');
const { heldOutBound, heldOutBits } = require('../../dist/models/diffusion-blocks');
const { runRecord } = require('../../dist/cli/record');
const { parseFlags } = require('../flags');

const { positional: [out, ...runs], o } = parseFlags(process.argv.slice(2), { sigma0: '', levels: 32, chars: 20000, seed: 2 },
  { usage: 'node scripts/diffusion-blocks/lm-bound.js <out.json> <run> [<run> ...] [--sigma0 a,b] [--levels 32] [--chars 20000] [--seed 2]', min: 2, max: 20 });
if (!out || runs.length === 0) { console.error('need <out.json> and at least one run'); process.exit(2); }
const rows = [];
for (const dir of runs) {
  const { cfg, run, step } = openRun(dir, () => {});
  const opt = cfg.options;
  const s0 = String(o.sigma0) ? String(o.sigma0).split(',').map(Number) : [Math.exp(opt.pMean - 3 * opt.pStd)];
  const text = run.text.validation, net = run.model, edges = run.trainer.edges;
  tf.manualSeed(o.seed);
  const bits = heldOutBits(net, edges, text, o.chars, opt.sigmaMax);
  for (const sigma0 of s0) {
    tf.manualSeed(o.seed);
    const t0 = Date.now();
    const b = heldOutBound(net, edges, text, o.chars, { sigma0, sigmaMax: opt.sigmaMax, levels: o.levels });
    const row = { run: dir, blocks: opt.blocks, trainSeed: cfg.train.seed, step, ...bits, ...b, seconds: (Date.now() - t0) / 1000 };
    rows.push(row);
    console.log(`${dir} (B = ${opt.blocks}): sigma0 ${sigma0.toPrecision(3)}: ${b.heldOutBpcBound.toFixed(3)} ± ${b.heldOutBpcBoundSe.toFixed(3)} bits/char (decoder ${b.heldOutBoundDecoderBits.toExponential(2)}); sigma_max classifier ${bits.heldOutBpcSigmaMax.toFixed(3)}`);
  }
}
fs.writeFileSync(out, JSON.stringify({ record: runRecord('brown-chars', { n: o.chars, seeds: { noise: o.seed } }), options: o, rows }, null, 1));
console.log(`wrote ${out}`);
