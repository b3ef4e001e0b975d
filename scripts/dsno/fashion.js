#!/usr/bin/env node
// DSNO experiment B (issue 21) on Fashion-MNIST 14x14: FD_cls (Frechet distance in the shipped classifier's
// features, against the 10,000 test images) of a trigflow teacher's trig-DDIM at 4 and 64 NFE and of DSNO
// operators (one call, the last of the M slices), all from the same prior noise; the operators' intermediate-slice
// error against the teacher's 64-step trajectory on held-out noise; grids of whole trajectories; and, with
// --timing 1, the wall time of one operator call against the teacher's sampler at the same batch.
//
//   npm run build:ts
//   TENSORFIELD_NUM_THREADS=2 node scripts/dsno/fashion.js <teacherRun> <dsnoRun> [dsnoRun ...] --n 5000 --seed 0 \
//     [--nInter 1000] [--figures lib/models/dsno/figures] [--out results.json]
//   TENSORFIELD_NUM_THREADS=2 node scripts/dsno/fashion.js <teacherRun> <dsnoRun> --timing 1 [--batch 1000] [--reps 5]
//
// Before each sampler the generator is reseeded with --seed, so the teacher at every NFE and every operator start
// from the same noise (priorNoise of [n, 1, 14, 14]). The held-out trajectories are the teacher's 64-step trig-DDIM
// on the DSNO grid (the trajectory generator's sampler, lib/models/dsno/trajectories.ts) from the first --nInter of
// those noises; the operators were trained on noise from --trajSeed, never from the sample seeds. The record holds
// the data set, n, seeds, commit and command.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../../dist/index.js');
const { parseFlags } = require('../flags');
require('../../dist/models');
const dsno = require('../../dist/models/dsno');
const { priorNoise, tMaxOf, trigflowOdeSample } = require('../../dist/models/scm/sample');
const { openRun, logDataset } = require('../../dist/cli/train');
const { evaluateSamples } = require('../../dist/cli/evaluate');
const { runRecord } = require('../../dist/cli/record');
const { saveImageGrid } = require('../../dist/io/png');

const DEFAULTS = { n: 5000, seed: 0, nfe: '4,64', nInter: 1000, chunk: 1000, figures: '', out: '', timing: 0, batch: 1000, reps: 5, reps64: 3 };
const { positional: dirs, o } = parseFlags(process.argv.slice(2), DEFAULTS, {
  usage: 'node scripts/dsno/fashion.js <teacherRun> <dsnoRun> [dsnoRun ...] [--n 5000] [--seed 0] [--timing 1]', min: 2, max: Infinity });
const log = (...a) => console.log(...a);

// The operator's whole trajectory [n, M, C, H, W] from noise z [n, C, H, W] (data units), in chunks of --chunk
// samples (each sample still gets exactly one operator call; chunks only bound the memory).
function operatorTrajectories(net, z, sd) {
  const parts = [];
  for (let i = 0; i < z.shape[0]; i += o.chunk) {
    const zc = z.slice(0, i, Math.min(z.shape[0], i + o.chunk));
    parts.push(dsno.dsnoSample(net, zc, sd));
    zc.dispose();
  }
  if (parts.length === 1) return parts[0];
  const all = tf.cat(parts, 0);
  for (const p of parts) p.dispose();
  return all;
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

// rows: samples; columns: the input noise, then the M slices from noise to the final image
function saveTrajectoryGrid(z, traj, file, rows = 8) {
  const M = traj.shape[1];
  const imgs = tf.tidy(() => {
    const zz = z.slice(0, 0, rows).unsqueeze(1);                  // [rows, 1, C, H, W]
    const tt = traj.slice(0, 0, rows);                            // [rows, M, C, H, W]
    const all = tf.cat([zz, tt], 1);                              // [rows, M + 1, C, H, W]
    return all.reshape([rows * (M + 1), ...traj.shape.slice(2)]).contiguous();
  });
  saveImageGrid(imgs, file, { nrow: M + 1, scale: 4 });
  imgs.dispose();
}

async function main() {
  const [teacherDir, ...opDirs] = dirs;
  const T = openRun(teacherDir);
  if (T.cfg.method !== 'trigflow') throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `${teacherDir}: the teacher must be a trigflow run, got '${T.cfg.method}'`);
  const src = T.src;
  if (src.kind !== 'images') throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `${teacherDir}: not an image run`);
  logDataset(src, log);
  const sd = Number(T.ctx.options.sigmaData);
  const shape = [...src.itemShape];
  const ops = opDirs.map((d) => {
    const r = openRun(d);
    if (r.cfg.method !== 'dsno') throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `${d}: not a dsno run ('${r.cfg.method}')`);
    if (r.cfg.data !== T.cfg.data) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `${d}: data '${r.cfg.data}', the teacher's is '${T.cfg.data}'`);
    return { dir: d, ...r, net: r.run.evalNetwork() };
  });
  const seeds = { sample: o.seed, teacherTrain: Number(T.cfg.train.seed ?? 0) };
  ops.forEach((r, i) => { seeds[`op${i}Train`] = Number(r.cfg.train.seed ?? 0); seeds[`op${i}Trajectories`] = Number(r.ctx.options.trajSeed ?? 0); });
  const record = runRecord(src, { n: o.timing ? o.batch : o.n, seeds });
  const runs = [{ dir: teacherDir, method: 'trigflow', trainSteps: T.step }, ...ops.map((r) => ({ dir: r.dir, method: 'dsno', trainSteps: r.step, options: r.ctx.options }))];

  if (o.timing) {
    // wall time at one batch: the operator's call (one forward pass, the whole trajectory) against the teacher's
    // trig-DDIM at each NFE; one untimed warm-up call each, then the median of --reps (--reps64 at 64 NFE)
    const B = o.batch, timing = [];
    const time = (label, reps, f) => {
      f();
      const secs = [];
      for (let r = 0; r < reps; r++) { const t0 = process.hrtime.bigint(); f(); secs.push(Number(process.hrtime.bigint() - t0) / 1e9); }
      const row = { sampler: label, batch: B, reps, seconds: secs, median: median(secs) };
      timing.push(row);
      log(`${label.padEnd(28)} batch ${B}: median ${row.median.toFixed(3)} s over ${reps} (${secs.map((s) => s.toFixed(3)).join(', ')})`);
    };
    tf.manualSeed(o.seed);
    const z = priorNoise([B, ...shape], sd);
    for (const r of ops) time(`dsno 1 call (${path.basename(r.dir)})`, o.reps, () => dsno.dsnoSample(r.net, z, sd).dispose());
    for (const nfe of o.nfe.split(',').map(Number)) time(`teacher trig-DDIM ${nfe} NFE`, nfe >= 32 ? o.reps64 : o.reps, () => T.run.sample(B, { steps: nfe }).x.dispose());  // the CLI's sampler
    z.dispose();
    const out = o.out || path.join(teacherDir, 'dsno-fashion-timing.json');
    fs.writeFileSync(out, JSON.stringify({ record, threads: tf.getNumThreads?.() ?? null, runs, timing }, null, 2));
    log(`wrote ${out}`);
    return;
  }

  const rows = [];
  let floor = null;
  const score = async (label, x, extra) => {
    const finite = x.dataSync().every(Number.isFinite);
    const m = await evaluateSamples(src, x, undefined, { floorDraws: floor ? 0 : 3 });
    if (!floor && 'fdClsRealFloor' in m) {
      floor = { mean: m.fdClsRealFloor, sd: m.fdClsRealFloorSd, min: m.fdClsRealFloorMin, max: m.fdClsRealFloorMax, draws: m.fdClsRealFloorDraws, n: m.fdClsRealFloorN };
      log(`real-data floor at n = ${floor.n}: ${floor.mean.toFixed(2)} ± ${floor.sd.toFixed(2)} (sd over ${floor.draws} disjoint train samples)`);
    }
    const row = { sampler: label, ...extra, fdCls: m.fdCls, classifierScore: m.classifierScore, finite: Boolean(finite) };
    rows.push(row);
    log(`${label.padEnd(34)} FD_cls ${m.fdCls.toFixed(2)}  score ${m.classifierScore.toFixed(2)}${finite ? '' : '  NON-FINITE'}`);
    return row;
  };

  // the teacher at each NFE, from the same noise: its own sampler (trig-DDIM uniform in t from t_max to 0, what
  // run.sample runs) on chunks of --chunk (one U-Net call at batch 4096+ cost ~5x more per image on this machine)
  const teacherNet = T.run.evalNetwork();
  const F = (x, t) => teacherNet.forward(x, t);
  const tMaxT = tMaxOf(Number(T.ctx.options.sigmaMax), sd);
  const teacherSample = (z, nfe) => {
    const parts = [];
    for (let i = 0; i < z.shape[0]; i += o.chunk)
      parts.push(trigflowOdeSample(F, z.narrow(0, i, Math.min(o.chunk, z.shape[0] - i)).contiguous(), { sigmaD: sd, nfe, tMax: tMaxT }));
    if (parts.length === 1) return parts[0];
    const all = tf.cat(parts, 0);
    for (const p of parts) p.dispose();
    return all;
  };
  for (const nfe of o.nfe.split(',').map(Number)) {
    tf.manualSeed(o.seed);
    const z = priorNoise([o.n, ...shape], sd);
    const t0 = Date.now();
    const r = { x: teacherSample(z, nfe), nfe };
    const secs = (Date.now() - t0) / 1000;
    z.dispose();
    if (o.figures && nfe === 64) saveImageGrid(r.x.slice(0, 0, 64).contiguous(), path.join(o.figures, `fashion-teacher-${nfe}nfe-draw${o.seed}.png`), { nrow: 8, scale: 4 });
    await score(`teacher trig-DDIM ${nfe} NFE`, r.x, { method: 'trigflow', nfe: r.nfe, seconds: secs });
    r.x.dispose();
  }

  // held-out teacher trajectories on the DSNO grid from the first nInter evaluation noises (one grid per operator
  // options: every operator here must share grid, teacher steps and range)
  tf.manualSeed(o.seed);
  const zAll = priorNoise([o.n, ...shape], sd);
  const nI = Math.min(o.nInter, o.n);
  let ref = null;
  if (ops.length && nI > 0) {
    const op0 = ops[0].ctx.options;
    const M = Number(op0.slices), grid = dsno.timeGrid(String(op0.grid), M);
    const tMax = tMaxOf(Number(op0.sigmaMax), sd);
    const range = { logsnrMin: -2 * Math.log(Math.tan(tMax)), logsnrMax: 20 };
    for (const r of ops) {
      const oo = r.ctx.options;
      if (Number(oo.slices) !== M || oo.grid !== op0.grid || Number(oo.teacherSteps) !== Number(op0.teacherSteps) || Number(oo.sigmaMax) !== Number(op0.sigmaMax))
        throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `${r.dir}: grid / slices / teacherSteps / sigmaMax differ from ${ops[0].dir}'s`);
    }
    const zI = zAll.slice(0, 0, nI).contiguous();
    const t0 = Date.now();
    const parts = [];
    for (let i = 0; i < nI; i += o.chunk) {
      const zc = zI.slice(0, i, Math.min(nI, i + o.chunk)).contiguous();
      const { traj } = dsno.teacherTrajectories({ teacher: F, sigmaD: sd, sampleShape: shape, grid, n: zc.shape[0], steps: Number(op0.teacherSteps), range }, zc);
      parts.push(traj);
    }
    ref = { z: zI, traj: parts.length === 1 ? parts[0] : tf.cat(parts, 0), grid, steps: Number(op0.teacherSteps), seconds: (Date.now() - t0) / 1000 };
    log(`held-out teacher trajectories: ${nI} x ${M} slices (${ref.steps} steps, ${ref.seconds.toFixed(0)} s)`);
    if (o.figures) saveTrajectoryGrid(ref.z, ref.traj, path.join(o.figures, `fashion-trajectories-teacher-draw${o.seed}.png`));
  }

  for (const r of ops) {
    tf.manualSeed(o.seed);
    const z = priorNoise([o.n, ...shape], sd);
    const t0 = Date.now();
    const traj = operatorTrajectories(r.net, z, sd);
    const secs = (Date.now() - t0) / 1000;
    const M = traj.shape[1];
    const x = traj.select(1, M - 1).contiguous();
    const name = path.basename(r.dir);
    let inter = null;
    if (ref) {
      // mean squared error per slice in sigma_d units against the teacher's 64-step states from the same noise
      inter = tf.tidy(() => traj.slice(0, 0, nI).sub(ref.traj).div(sd).square().mean([0, 2, 3, 4])).dataSync();
      inter = Array.from(inter);
      log(`${name}: per-slice MSE against the teacher trajectory (sigma_d units): ${inter.map((v) => v.toExponential(3)).join(', ')}`);
    }
    if (o.figures) {
      saveTrajectoryGrid(z, traj, path.join(o.figures, `fashion-trajectories-${name}-draw${o.seed}.png`));
      saveImageGrid(x.slice(0, 0, 64).contiguous(), path.join(o.figures, `fashion-${name}-1call-draw${o.seed}.png`), { nrow: 8, scale: 4 });
    }
    await score(`dsno 1 call (${name}, modes ${r.ctx.options.modes})`, x, { method: 'dsno', run: r.dir, nfe: 1, modes: Number(r.ctx.options.modes), seconds: secs, interMse: inter });
    traj.dispose(); x.dispose(); z.dispose();
  }
  const teacherAt = (nfe) => rows.find((r) => r.method === 'trigflow' && r.nfe === nfe)?.fdCls;
  for (const row of rows) if (row.method === 'dsno' && teacherAt(64) !== undefined) {
    row.ratioToTeacher64 = row.fdCls / teacherAt(64);
    row.criterion1 = row.fdCls <= 1.5 * teacherAt(64);
    if (teacherAt(4) !== undefined) row.criterion2 = row.fdCls < teacherAt(4);
    log(`${row.sampler}: FD_cls / teacher(64) = ${row.ratioToTeacher64.toFixed(3)} (<= 1.5: ${row.criterion1}); < teacher(4): ${row.criterion2}`);
  }
  const out = o.out || path.join(teacherDir, `dsno-fashion-draw${o.seed}.json`);
  fs.writeFileSync(out, JSON.stringify({ record, n: o.n, seed: o.seed, nInter: nI, floor, runs, rows }, null, 2));
  log(`wrote ${out}`);
}

main().catch((e) => { console.error(e); process.exit(1); });
