#!/usr/bin/env node
// The control for QAT + KD's FD_cls on Fashion-MNIST: the same 300 steps of the same loss (task + distillation,
// AdamW 1e-5, clip 1, batches at the sampler's levels) on the float32 network, without quantization. If this
// float network improves as much as the QAT + KD one did, the improvement is the extra training, not the int8.
//
//   node scripts/quant-diffusion/finetune-control.js <run> [--steps 300] [--lr 1e-5] [--n 1000] [--sample-steps 50] [--draws 0,1,2]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
require('../../dist/models');
const { openRun } = require('../../dist/cli/train');
const { evaluateSamples } = require('../../dist/cli/evaluate');
const { runRecord } = require('../../dist/cli/record');
const { distill } = require('../../dist/quant/distill');

const DEFAULTS = { steps: 300, lr: 1e-5, n: 1000, sampleSteps: 50, solver: 'euler', draws: '0,1,2', batch: 64, seed: 2 };

async function main() {
  const { positional: [dir], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/quant-diffusion/finetune-control.js <run>' });
  const { src, run } = openRun(dir, () => {});
  const teacher = openRun(dir, () => {}).run.evalNetwork();
  tf.manualSeed(o.seed);
  const net = run.evalNetwork();
  const so = { steps: o.sampleSteps, solver: o.solver };
  const losses = distill(net, teacher, () => {
    const x0 = src.batch(o.batch);
    try { return run.denoiserBatch(x0, 'sampler', so); } finally { x0.dispose(); }
  }, { steps: o.steps, lr: o.lr, kdWeight: 1, taskWeight: 1, clip: 1 });
  net.eval();
  const rows = [];
  for (const d of o.draws.split(',').map(Number)) {
    tf.manualSeed(d);
    const r = run.sample(o.n, { ...so, asIs: true });
    const m = await evaluateSamples(src, r.x, undefined, { floorDraws: 0 });
    r.x.dispose();
    rows.push({ draw: d, nfe: r.nfe, fdCls: m.fdCls, classifierScore: m.classifierScore });
    console.log(`float32 fine-tuned ${o.steps} steps  draw ${d}  FD_cls ${m.fdCls.toFixed(3)}`);
  }
  const out = path.join(dir, 'finetune-control.json');
  fs.writeFileSync(out, JSON.stringify({ record: runRecord(src, { n: o.n, seeds: { train: 0, finetune: o.seed, draws: 0 } }), options: o, losses, rows }, null, 2));
  console.log(`wrote ${out}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
