#!/usr/bin/env node
// The 2-D quality gate of issue 10 (sCM on 8 Gaussians, sigma_d = 0.5), the consistency error against the exact
// PF-ODE as a function of t, and the diagnostics that separate teacher error from distillation error.
//
//   npm run build:ts && TENSORFIELD_NUM_THREADS=1 node scripts/scm-2d.js <outDir> [--flag value ...]
//
// Writes <outDir>/results.json, <outDir>/consistency-error.svg, <outDir>/loss.svg and scatter PNGs; prints the
// table. Every number comes from this run (nothing is looked up). Flags: see DEFAULTS below.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const scm = require('../dist/models/scm');
const { eightGaussians } = require('../dist/data');
const { meanLogLikelihood } = require('../dist/metrics/likelihood');
const { slicedWasserstein, modeCoverage } = require('../dist/metrics/samples');
const { saveLinePlot, saveScatterPNG } = require('../dist/io/plot');
const { saveSafetensors, loadSafetensors } = require('../dist/io/safetensors');
const { runRecord } = require('../dist/cli/record');

const DEFAULTS = {
  seed: 0,
  // Data: the classic ring (radius sqrt 2, std 0.1) scaled by 1/2, so each coordinate has std 0.5025 = sigma_d.
  radius: Math.SQRT1_2, std: 0.05, sigmaD: 0.5,
  // Network (teacher and student share it).
  hidden: 128, blocks: 3, embDim: 64,
  // Teacher: TrigFlow diffusion loss with the adaptive weighting head.
  teacherSteps: 4000, teacherLr: 2e-3, teacherBatch: 512, teacherPMean: -0.8, teacherPStd: 1.6,
  // Student: sCD ('net' teacher, or the 'exact' GMM teacher as an oracle that removes teacher error).
  teacher: 'net', mode: 'scd', steps: 3000, lr: 1e-4, batch: 512, pMean: -1.0, pStd: 1.4, warmup: 500, tangentC: 0.1,
  priorWeight: 1, emaDecay: 0.999, tMid: 1.1, lrDecay: 'cosine',
  // The student starts from the trained teacher ('teacher', Algorithm 1) or from scratch ('random').
  init: 'teacher',
  // Evaluation.
  n: 20000, nfe: '1,2,4,8,64', errN: 2000, errSteps: 64,
  // Independent data samples of the same n scored against the reference like the samplers: the metrics' floor on
  // this ring (SW2 and off-mode fraction of real data), as a mean and spread.
  floorDraws: 3,
  // A safetensors file for the teacher's EMA weights: loaded when it exists (the teacher is not retrained;
  // its options must match), written after training otherwise. '' = always train.
  teacherCache: '',
};


const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/scm-2d.js <outDir> [--flag value ...]' });
if (!Number.isInteger(o.floorDraws) || o.floorDraws < 2) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `--floor-draws must be an integer >= 2 (a spread needs two), got ${o.floorDraws}`);
if (!Number.isInteger(o.seed)) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `--seed must be an integer, got ${o.seed}`);
fs.mkdirSync(out, { recursive: true });
const record = runRecord('eight-gaussians (scaled ring, scripts/scm-2d.js)', { n: o.n, seeds: { seed: o.seed, student: o.seed + 100003 } });
const SD = o.sigmaD;
const log = (...a) => console.log(...a);
tf.manualSeed(o.seed);
const gmm = eightGaussians({ radius: o.radius, std: o.std });
const modes = gmm.modes;
const modeRadius = 3 * o.std; // a 2-D Gaussian puts 98.9% of its mass within 3 std of its centre

const makeNet = () => new scm.ScmMLP({ dim: 2, hidden: o.hidden, blocks: o.blocks, embDim: o.embDim });
const cosineLr = (lr, i, steps) => (o.lrDecay === 'cosine' ? lr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * i) / steps))) : lr);

// Reference samples for the distances (independent of everything sampled below).
const ref = tf.keep(gmm.sample(o.n).to('float64'));
const dataLL = meanLogLikelihood(ref, gmm);

function metrics(x) {
  return tf.tidy(() => {
    const x64 = x.to('float64');
    const finite = Array.from(x64.dataSync()).every(Number.isFinite);
    if (!finite) return { logp: NaN, logpSe: NaN, tv: NaN, off: NaN, sw2: NaN, modesHit: 0 };
    const ll = meanLogLikelihood(x64, gmm);
    const mc = modeCoverage(x64, modes, { radius: modeRadius });
    return { logp: ll.mean, logpSe: ll.stdError, tv: mc.tv, off: mc.offModeFraction, modesHit: mc.modesHit,
      sw2: slicedWasserstein(x64, ref, { p: 2, projections: 256, seed: 1 }) };
  });
}

// Everything the teacher depends on: a cached teacher is only reused by a run that would train the same one.
const teacherKey = () => JSON.stringify(['seed', 'radius', 'std', 'sigmaD', 'hidden', 'blocks', 'embDim', 'teacherSteps', 'teacherLr',
  'teacherBatch', 'teacherPMean', 'teacherPStd', 'emaDecay', 'n'].map((k) => o[k]));

function trainTeacher() {
  if (o.teacherCache && fs.existsSync(o.teacherCache)) {
    const { tensors, metadata } = loadSafetensors(o.teacherCache);
    if (metadata.teacher !== teacherKey()) throw new Error(`${o.teacherCache} holds a teacher for ${metadata.teacher}, this run needs ${teacherKey()}`);
    const evalNet = makeNet();
    evalNet.loadStateDict(tensors);
    evalNet.eval();
    log(`teacher loaded from ${o.teacherCache}`);
    return { net: evalNet, curve: [], seconds: 0, cached: true };
  }
  const net = makeNet();
  const lv = new scm.LogvarHead(128);
  const tr = new scm.TrigFlowTrainer(net, { sigmaD: SD, pMean: o.teacherPMean, pStd: o.teacherPStd, optim: { lr: o.teacherLr }, emaDecay: o.emaDecay, logvar: lv });
  const t0 = Date.now();
  const curve = [];
  let acc = 0;
  for (let i = 0; i < o.teacherSteps; i++) {
    tr.opt.groups[0].lr = cosineLr(o.teacherLr, i, o.teacherSteps);
    acc += tf.tidy(() => tr.trainStep(gmm.sample(o.teacherBatch)));
    if ((i + 1) % 100 === 0) { curve.push([i + 1, acc / 100]); acc = 0; }
    if ((i + 1) % 1000 === 0) log(`teacher step ${i + 1}: loss ${curve[curve.length - 1][1].toFixed(4)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const evalNet = makeNet();
  tr.ema.copyTo(evalNet);
  evalNet.eval();
  net.dispose(); lv.dispose();
  if (o.teacherCache) saveSafetensors(o.teacherCache, evalNet.stateDict(), { teacher: teacherKey() });
  return { net: evalNet, curve, seconds: (Date.now() - t0) / 1000 };
}

// Diagnostic: fit f directly to the exact consistency map by regression, same network, optimiser, steps and
// proposal of t as sCD. Its error is what the architecture and budget allow; sCD's excess over it is the
// objective's (or its estimator's) own error.
function trainRegression(init) {
  const net = makeNet();
  if (init) net.loadStateDict(init.stateDict());
  const opt = new tf.optim.Adam(net.parameters(), { lr: o.lr, betas: [0.9, 0.99] });
  const ema = new tf.optim.EMA(net, { decay: o.emaDecay });
  const K = 64, per = 2048;
  const t0 = Date.now();
  // A bank of (x_t, t, f*) at K proposal quantiles of t (stratified), computed once with the exact ODE.
  const tq = scm.sampleTime(K, SD, { pMean: o.pMean, pStd: o.pStd }).dataSync();
  const xs = [], ts = [], fs_ = [];
  for (let k = 0; k < K; k++) {
    tf.tidy(() => {
      const t = tq[k];
      const xt = gmm.sample(per).to('float64').mul(Math.cos(t)).add(scm.priorNoise([per, 2], SD, 'float64').mul(Math.sin(t)));
      xs.push(tf.keep(xt.to('float32'))); ts.push(tf.keep(tf.full([per], t)));
      fs_.push(tf.keep(scm.exactConsistencyMap(gmm, SD, xt, t, 32).to('float32')));
    });
  }
  const X = tf.keep(tf.cat(xs, 0)), T = tf.keep(tf.cat(ts, 0)), Y = tf.keep(tf.cat(fs_, 0));
  log(`regression bank: ${K} x ${per} exact-map targets in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const curve = [];
  let acc = 0;
  for (let i = 0; i < o.steps; i++) {
    opt.groups[0].lr = cosineLr(o.lr, i, o.steps);
    acc += tf.tidy(() => {
      const idx = tf.randint(0, K * per, [o.batch]);
      const x = X.indexSelect(0, idx), t = T.indexSelect(0, idx), y = Y.indexSelect(0, idx);
      const loss = scm.consistencyFunction(net.asNet(), x, t, SD).sub(y).square().sum(1).mean();
      opt.zeroGrad(); loss.backward(); opt.step(); ema.update();
      return loss.item();
    });
    if ((i + 1) % 100 === 0) { curve.push([i + 1, acc / 100]); acc = 0; }
    if ((i + 1) % 500 === 0) log(`regression step ${i + 1}: mean ||f - f*||² ${curve[curve.length - 1][1].toExponential(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const evalNet = makeNet();
  ema.copyTo(evalNet);
  evalNet.eval();
  net.dispose();
  for (const a of [X, T, Y, ...xs, ...ts, ...fs_]) a.dispose();
  return { net: evalNet, curve, seconds: (Date.now() - t0) / 1000 };
}

function trainStudent(init, teacherF) {
  if (o.mode === 'regress') return trainRegression(init);
  const net = makeNet();
  if (init) net.loadStateDict(init.stateDict());
  const lv = new scm.LogvarHead(128);
  const tr = new scm.ConsistencyTrainer(net, {
    sigmaD: SD, mode: o.mode, teacher: teacherF, pMean: o.pMean, pStd: o.pStd, optim: { lr: o.lr }, emaDecay: o.emaDecay,
    warmupSteps: o.warmup, tangentC: o.tangentC, priorWeight: Boolean(o.priorWeight), logvar: lv,
  });
  const t0 = Date.now();
  const curve = [];
  let acc = 0;
  for (let i = 0; i < o.steps; i++) {
    tr.opt.groups[0].lr = cosineLr(o.lr, i, o.steps);
    tf.tidy(() => tr.trainStep(gmm.sample(o.batch)));
    acc += tr.lastTangentMeanSq;
    if ((i + 1) % 100 === 0) { curve.push([i + 1, acc / 100]); acc = 0; }
    if ((i + 1) % 500 === 0) log(`${o.mode} step ${i + 1}: mean ||g||²/D ${curve[curve.length - 1][1].toExponential(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const evalNet = makeNet();
  tr.ema.copyTo(evalNet);
  evalNet.eval();
  net.dispose(); lv.dispose();
  return { net: evalNet, curve, seconds: (Date.now() - t0) / 1000 };
}

const rows = [];
function row(name, nfe, x, file) {
  const m = metrics(x);
  rows.push({ name, nfe, ...m });
  if (file) saveScatterPNG(x, path.join(out, file), { range: [-1.2, 1.2] });
  log(`${name.padEnd(28)} NFE ${String(nfe).padStart(3)}  E[log p] ${m.logp.toFixed(3)}  TV ${m.tv.toFixed(3)}  off ${m.off.toFixed(3)}  SW2 ${m.sw2.toFixed(4)}`);
  return m;
}

const exactF = scm.exactTeacher(gmm, SD);
// One noise draw shared by every sampler: differences between rows are the samplers', not the noise's.
const z = tf.keep(scm.priorNoise([o.n, 2], SD));
const nfes = String(o.nfe).split(',').map(Number);

log(`data: 8 Gaussians radius ${o.radius.toFixed(4)} std ${o.std}; E[log p] of data ${dataLL.mean.toFixed(3)} ± ${dataLL.stdError.toFixed(3)}`);
log(`seed ${o.seed}, n ${o.n}, commit ${record.git ? record.git.commit + (record.git.dirty ? ' (uncommitted changes)' : '') : 'unknown'}`);
log('gate (fixed before the run): sCD 2-step E[log p] >= teacher(64) - 0.15; mode TV <= 0.05; ' +
  'SW2 <= 1.5 x max(teacher(64), data floor); off-mode <= 1.5 x max(teacher(64), data floor); teacher 2-step DDIM >= 0.5 nats worse');
// The floor: independent data samples of the same n against the same reference, on this ring.
for (let k = 0; k < o.floorDraws; k++) rows.push({ name: 'data', nfe: 0, draw: k + 1, ...metrics(gmm.sample(o.n)) });
const stat = (key) => {
  const v = rows.filter((r) => r.name === 'data').map((r) => r[key]);
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, sd: Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1)), min: Math.min(...v), max: Math.max(...v), values: v };
};
const floor = { draws: o.floorDraws, n: o.n, sw2: stat('sw2'), off: stat('off'), tv: stat('tv'), logp: stat('logp') };
log(`data floor over ${o.floorDraws} independent samples of ${o.n}: SW2 ${floor.sw2.mean.toFixed(4)} (${floor.sw2.min.toFixed(4)}-${floor.sw2.max.toFixed(4)}), ` +
  `off-mode ${floor.off.mean.toFixed(4)} (${floor.off.min.toFixed(4)}-${floor.off.max.toFixed(4)})`);
saveScatterPNG(ref, path.join(out, 'data.png'), { range: [-1.2, 1.2] });
for (const k of nfes) row('exact teacher DDIM', k, tf.tidy(() => scm.trigflowOdeSample(exactF, z.to('float64'), { sigmaD: SD, nfe: k })));

let teacherNet = null, teacherRun = null;
if (o.teacher === 'net' || o.init === 'teacher') {
  teacherRun = trainTeacher();
  teacherNet = teacherRun.net;
  log(`teacher trained: ${o.teacherSteps} steps in ${teacherRun.seconds.toFixed(0)} s`);
  for (const k of nfes) row('net teacher DDIM', k, tf.tidy(() => scm.trigflowOdeSample(teacherNet.asNet(), z, { sigmaD: SD, nfe: k })), k === 64 ? 'teacher-64.png' : k === 2 ? 'teacher-2.png' : null);
}
const teacherF = o.teacher === 'exact' ? exactF : teacherNet ? teacherNet.asNet() : undefined;
// The student's random stream does not depend on whether the teacher was trained or loaded from the cache.
tf.manualSeed(o.seed + 100003);
const student = trainStudent(o.init === 'teacher' ? teacherNet : null, o.mode === 'scd' ? teacherF : undefined);
log(`${o.mode} (${o.teacher} teacher) trained: ${o.steps} steps in ${student.seconds.toFixed(0)} s`);
const sName = `${o.mode} (${o.teacher} teacher)`;
const s1 = row(`${sName} 1-step`, 1, tf.tidy(() => scm.consistencySample(student.net.asNet(), z, { sigmaD: SD, steps: 1 })), 'student-1.png');
const s2 = row(`${sName} 2-step`, 2, tf.tidy(() => scm.consistencySample(student.net.asNet(), z, { sigmaD: SD, times: [scm.tMaxOf(80, SD), o.tMid] })), 'student-2.png');

// Consistency error against exact ODE trajectories: x_t = cos t·x0 + sin t·z' with x0 from the data, the
// exact map x_t -> x_0 (Richardson-extrapolated trig-DDIM on the exact teacher), RMS |f(x_t, t) - map| per t.
const tGrid = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, scm.tMaxOf(80, SD)];
const err = { t: tGrid, student: [], teacherJump: [], identity: [] };
tf.tidy(() => {
  const x0 = gmm.sample(o.errN).to('float64');
  const zz = scm.priorNoise([o.errN, 2], SD, 'float64');
  for (const t of tGrid) {
    tf.tidy(() => {
      const xt = x0.mul(Math.cos(t)).add(zz.mul(Math.sin(t)));
      const target = scm.exactConsistencyMap(gmm, SD, xt, t, o.errSteps);
      const tt = tf.full([o.errN], t);
      const rms = (f) => Math.sqrt(f.to('float64').sub(target).square().sum(1).mean().item());
      err.student.push(rms(scm.consistencyFunction(student.net.asNet(), xt.to('float32'), tt, SD)));
      if (teacherNet) err.teacherJump.push(rms(scm.consistencyFunction(teacherNet.asNet(), xt.to('float32'), tt, SD)));
      err.identity.push(rms(scm.consistencyFunction(exactF, xt, tt.to('float64'), SD)));
    });
  }
});
log('consistency error RMS |f(x_t,t) - exact map| by t:');
log(tGrid.map((t, i) => `  t ${t.toFixed(3)}: ${o.mode} ${err.student[i].toFixed(4)}` + (teacherNet ? `  teacher 1-jump ${err.teacherJump[i].toFixed(4)}` : '') + `  exact-teacher 1-jump ${err.identity[i].toFixed(4)}`).join('\n'));
const series = [{ name: `${o.mode} (${o.teacher} teacher), EMA`, x: tGrid, y: err.student }];
if (teacherNet) series.push({ name: 'net teacher as a 1-step map (DDIM jump)', x: tGrid, y: err.teacherJump });
series.push({ name: 'exact teacher as a 1-step map (DDIM jump)', x: tGrid, y: err.identity });
saveLinePlot(path.join(out, 'consistency-error.svg'), { title: 'Consistency error vs exact PF-ODE map', xLabel: 't', yLabel: 'RMS |f(x_t, t) - x_0^ODE|', series, logY: true });
const lossSeries = [{ name: `${o.mode}: mean ||g||²/D (before normalisation)`, x: student.curve.map((p) => p[0]), y: student.curve.map((p) => p[1]) }];
saveLinePlot(path.join(out, 'tangent.svg'), { title: 'sCM tangent size during training', xLabel: 'step', yLabel: 'mean ||g||²/D', series: lossSeries, logY: true });

// The gate (issue 10): against the teacher that was distilled (the net teacher when there is one).
const base = rows.find((r) => r.name === (teacherNet ? 'net teacher DDIM' : 'exact teacher DDIM') && r.nfe === 64);
const base2 = rows.find((r) => r.name === (teacherNet ? 'net teacher DDIM' : 'exact teacher DDIM') && r.nfe === 2);
const crit = (value, bound, le = true) => ({ value, bound, pass: le ? value <= bound : value >= bound });
const gate = base ? {
  logp: crit(s2.logp, base.logp - 0.15, false),
  tv: crit(s2.tv, 0.05),
  // The SW2 and off-mode bounds scale with what the teacher reaches, but never below what real data of the same n
  // scores against the same reference on this ring (the estimator's floor).
  sw2: crit(s2.sw2, 1.5 * Math.max(base.sw2, floor.sw2.mean)),
  offMode: crit(s2.off, 1.5 * Math.max(base.off, floor.off.mean)),
  teacher2Worse: base2 ? crit(base2.logp, s2.logp - 0.5) : { value: NaN, bound: NaN, pass: false },
} : null;
if (gate) gate.pass = Object.values(gate).every((c) => c.pass);

log(`\n(data rows: ${o.floorDraws} independent data samples of the same size, i.e. the metrics' own floor; SW2 ${floor.sw2.mean.toFixed(4)} ± ${floor.sw2.sd.toFixed(4)})`);
log('\n| sampler | NFE | E[log p] | mode TV | off-mode | SW2 |\n|---|---|---|---|---|---|');
for (const r of rows) log(`| ${r.name}${r.draw ? ` (draw ${r.draw})` : ''} | ${r.nfe} | ${r.logp.toFixed(3)} | ${r.tv.toFixed(3)} | ${r.off.toFixed(3)} | ${r.sw2.toFixed(4)} |`);
if (gate) {
  log('\n| gate | value | bound | pass |\n|---|---|---|---|');
  log(`| 2-step E[log p] >= teacher(64) - 0.15 | ${gate.logp.value.toFixed(3)} | ${gate.logp.bound.toFixed(3)} | ${gate.logp.pass} |`);
  log(`| 2-step mode TV <= 0.05 | ${gate.tv.value.toFixed(3)} | 0.05 | ${gate.tv.pass} |`);
  log(`| 2-step SW2 <= 1.5 x max(teacher(64), data floor) | ${gate.sw2.value.toFixed(4)} | ${gate.sw2.bound.toFixed(4)} | ${gate.sw2.pass} |`);
  log(`| 2-step off-mode <= 1.5 x max(teacher(64), data floor) | ${gate.offMode.value.toFixed(4)} | ${gate.offMode.bound.toFixed(4)} | ${gate.offMode.pass} |`);
  log(`| teacher 2-step DDIM >= 0.5 nats worse | ${gate.teacher2Worse.value.toFixed(3)} | ${gate.teacher2Worse.bound.toFixed(3)} | ${gate.teacher2Worse.pass} |`);
  log(`gate ${gate.pass ? 'MET' : 'NOT MET'} (seed ${o.seed})`);
}
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ record, options: o, data: dataLL, floor, rows, gate, consistencyError: err,
  teacherSeconds: teacherRun ? teacherRun.seconds : null, studentSeconds: student.seconds, teacherCurve: teacherRun ? teacherRun.curve : null, studentCurve: student.curve }, null, 1));
log(`wrote ${out}/results.json, consistency-error.svg, tangent.svg, *.png`);
