#!/usr/bin/env node
// Fashion-MNIST 14x14 for issue 10: FD_cls (Frechet distance in the shipped classifier's features, against the
// real test set) of a TrigFlow teacher's trig-DDIM sampler at several NFE and of sCD / sCT students at 1 and 2
// steps, from CLI runs, with the real-data floor at the same sample count and sample grids.
//
//   npm run build:ts
//   node dist/cli/main.js train --method trigflow --data fashion14 --channels 16 --batch 64 --steps 4000 --flip --threads 1 --out runs/scm-teacher
//   node dist/cli/main.js train --method scd --teacher runs/scm-teacher/checkpoint.safetensors --data fashion14 --channels 16 \
//     --batch 64 --steps 2000 --flip --threads 1 --out runs/scm-scd          (and --method sct ... --out runs/scm-sct)
//   TENSORFIELD_NUM_THREADS=1 node scripts/scm-fashion.js runs/scm-teacher runs/scm-scd runs/scm-sct [--n 1000] [--nfe 2,4,8,64]
//
// Every sampler starts from the same prior noise (the generator is reseeded before each). Writes
// <teacherRun>/scm-fashion.json (with the data set, n, seeds, commit and command) and samples-<run>-<steps>.png next
// to each run's checkpoint; prints the table. The floor is FD_cls of 3 disjoint samples of n train images (not in
// the reference statistics), as mean and spread.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
require('../dist/models');
const { openRun, saveSamples, logDataset } = require('../dist/cli/train');
const { evaluateSamples } = require('../dist/cli/evaluate');
const { runRecord } = require('../dist/cli/record');

const DEFAULTS = { n: 1000, nfe: '2,4,8,64', seed: 0 };


async function main() {
  const { positional: dirs, o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/scm-fashion.js <teacherRun> [studentRun ...] [--n 1000] [--nfe 2,4,8,64]', max: Infinity });
  const rows = [];
  let floor = null, record = null;
  for (const dir of dirs) {
    const { cfg, src, run, step } = openRun(dir);
    if (src.kind !== 'images') throw new Error(`${dir}: not an image run`);
    if (!record) {
      logDataset(src, console.log);
      record = runRecord(src, { n: o.n, seeds: { sample: o.seed, train: Number(cfg.train.seed ?? 0), floor: 0 } });
    }
    const stepsList = cfg.method === 'trigflow' ? o.nfe.split(',').map(Number) : [1, 2];
    for (const steps of stepsList) {
      tf.manualSeed(o.seed);
      const t0 = Date.now();
      const r = run.sample(o.n, { steps });
      const secs = (Date.now() - t0) / 1000;
      saveSamples(src, r.x, path.join(dir, `samples-${steps}step.png`));
      const finite = (r.x.dataSync()).every(Number.isFinite);
      // the real-data floor once (3 disjoint samples of n train images, not in the reference statistics)
      const m = await evaluateSamples(src, r.x, undefined, { floorDraws: floor ? 0 : 3 });
      r.x.dispose();
      if (!floor && 'fdClsRealFloor' in m) {
        floor = { mean: m.fdClsRealFloor, sd: m.fdClsRealFloorSd, min: m.fdClsRealFloorMin, max: m.fdClsRealFloorMax, draws: m.fdClsRealFloorDraws, n: m.fdClsRealFloorN };
        console.log(`real-data floor at n = ${floor.n}: ${floor.mean.toFixed(2)} ± ${floor.sd.toFixed(2)} (sd over ${floor.draws} disjoint train samples; ${floor.min.toFixed(2)}-${floor.max.toFixed(2)})`);
      }
      const row = { run: dir, method: cfg.method, trainSteps: step, nfe: r.nfe, fdCls: m.fdCls, classifierScore: m.classifierScore, finite: Boolean(finite), seconds: secs };
      rows.push(row);
      console.log(`${cfg.method.padEnd(8)} ${path.basename(dir).padEnd(14)} nfe ${String(r.nfe).padStart(3)}  FD_cls ${m.fdCls.toFixed(2)}  score ${m.classifierScore.toFixed(2)}  ` +
        `(${secs.toFixed(0)} s)`);
    }
    run.model.dispose();
  }
  const teacherAt = (nfe) => rows.find((r) => r.method === 'trigflow' && r.nfe === nfe)?.fdCls;
  const scd2 = rows.find((r) => r.method === 'scd' && r.nfe === 2)?.fdCls;
  const gate = scd2 === undefined || teacherAt(64) === undefined ? null : {
    scd2WithinOf64: scd2 <= 1.3 * teacherAt(64), ratioTo64: scd2 / teacherAt(64),
    scd2BeatsTeacher4: teacherAt(4) === undefined ? null : scd2 < teacherAt(4),
  };
  if (gate) console.log('gate:', JSON.stringify(gate));
  const out = path.join(dirs[0], 'scm-fashion.json');
  fs.writeFileSync(out, JSON.stringify({ record, n: o.n, seed: o.seed, floor, rows, gate }, null, 2));
  console.log(`wrote ${out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
