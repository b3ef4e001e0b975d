#!/usr/bin/env node
// Issue 26's comparison on Fashion-MNIST: FD_cls of one trained EDM run sampled in float32, int8 from each given
// int8 checkpoint (tensorfield quantize --method ptq|qat-kd), and mixed precision (float32 at the first and last
// k noise levels, int8 between, from the checkpoint named by --mixed), every configuration from the same prior
// noise, over several sample draws. The per-level relative error of each int8 network's predictions comes from
// the JSON that quantize wrote beside its checkpoint. Criteria: lib/models/quant-diffusion/README.md.
//
//   node scripts/quant-diffusion/fashion.js <run> <int8 file> [...] [--mixed <file>] [--k 5] [--n 1000]
//     [--steps 50] [--solver euler] [--draws 0,1,2] [--out results.json] [--float32 0|1]
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
require('../../dist/models');
const { openPrecision } = require('../../dist/cli/int8');
const { evaluateSamples } = require('../../dist/cli/evaluate');
const { runRecord } = require('../../dist/cli/record');
const { logDataset } = require('../../dist/cli/train');

const DEFAULTS = { mixed: '', k: 5, n: 1000, steps: 50, solver: 'euler', draws: '0,1,2', out: '', float32: 1 };

async function main() {
  const { positional: [dir, ...files], o } = parseFlags(process.argv.slice(2), DEFAULTS,
    { usage: 'node scripts/quant-diffusion/fashion.js <run> <int8 file> [...] [--mixed file] [--k 5] [--n 1000] [--steps 50] [--solver euler] [--draws 0,1,2] [--out file] [--float32 0|1]', min: 1, max: Infinity });
  // --float32 0 leaves the float32 network out (one half of a comparison split over two processes)
  const configs = [...(o.float32 ? [{ name: 'float32', mode: 'float32' }] : []), ...files.map((f) => ({ name: path.basename(f).replace(/\.safetensors$/, ''), mode: 'int8', file: f }))];
  if (o.mixed) configs.push({ name: `mixed-k${o.k}-${path.basename(o.mixed).replace(/\.safetensors$/, '')}`, mode: 'mixed', file: o.mixed });
  const draws = o.draws.split(',').map(Number);
  const so = { steps: o.steps, solver: o.solver };
  const rows = [];
  let floor = null, record = null;
  for (const c of configs) {
    const pr = openPrecision(dir, c.mode, c.file, o.k, () => {});
    if (!record) {
      logDataset(pr.src, console.log);
      record = runRecord(pr.src, { n: o.n, seeds: { draws: draws[0], train: 0, floor: 0 } });
    }
    for (const d of draws) {
      tf.manualSeed(d);
      const t0 = Date.now();
      const r = pr.sample(o.n, so);
      const secs = (Date.now() - t0) / 1000;
      const finite = r.x.dataSync().every(Number.isFinite);
      const m = await evaluateSamples(pr.src, r.x, undefined, { floorDraws: floor ? 0 : 3 });
      r.x.dispose();
      if (!floor && 'fdClsRealFloor' in m) {
        floor = { mean: m.fdClsRealFloor, sd: m.fdClsRealFloorSd, min: m.fdClsRealFloorMin, max: m.fdClsRealFloorMax, draws: m.fdClsRealFloorDraws, n: m.fdClsRealFloorN };
        console.log(`real-data floor at n = ${floor.n}: ${floor.mean.toFixed(2)} ± ${floor.sd.toFixed(2)}`);
      }
      const row = { config: c.name, mode: c.mode, file: c.file ?? null, draw: d, nfe: r.nfe, calls: r.calls ?? null, fdCls: m.fdCls, classifierScore: m.classifierScore, finite: Boolean(finite), seconds: secs };
      rows.push(row);
      console.log(`${c.name.padEnd(28)} draw ${d}  nfe ${r.nfe}  FD_cls ${m.fdCls.toFixed(3)}  (${secs.toFixed(0)} s)`);
    }
    pr.dispose();
  }
  const relErr = {};
  for (const f of files) {
    const j = f.replace(/\.safetensors$/, '.json');
    if (fs.existsSync(j)) relErr[path.basename(f).replace(/\.safetensors$/, '')] = JSON.parse(fs.readFileSync(j, 'utf8')).relErr;
  }
  const summary = {};
  for (const c of configs) {
    const v = rows.filter((r) => r.config === c.name).map((r) => r.fdCls);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
    summary[c.name] = { mean, sd, draws: v };
    console.log(`${c.name.padEnd(28)} FD_cls ${mean.toFixed(3)} ± ${sd.toFixed(3)}`);
  }
  const out = o.out || path.join(dir, 'quant-fashion.json');
  fs.writeFileSync(out, JSON.stringify({ record, options: { ...o, files }, floor, summary, relErr, rows }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
