// Issue 17b, the noisy case: the max-min over a learnable interpolant x_t = I_theta + gamma z, gamma = sigma sqrt(t(1-t))
// (a-brownian with a = sigma²), with the bridge objective max_theta min_(b^, s^) L_b + (sigma⁴/4) L_s, between the two
// 2-D Gaussians of scripts/interpolant-learned-ot.js, checked against the closed-form Schrödinger bridge
// (gaussian-ot.ts: gaussianSB): the objective J = int E|b|² + (sigma⁴/4) E|s|² against J_SB and the linear
// interpolant's, and the marginals of x_t at t = 0.25, 0.5, 0.75 against N(m_t, Sigma_t^SB).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const SI = require('../dist/models/interpolants');
const { saveLinePlot } = require('../dist/io/plot');
const { runRecord } = require('../dist/cli/record');

const DEFAULTS = { seeds: '1,2,3', sigma2: 0.5, outer: 3000, inner: 5, warmup: 500, batch: 512, lrB: 2e-3, lrI: 1e-3,
  hiddenI: 32, layersI: 2, hiddenB: 64, layersB: 3, refit: 3000, nEval: 200000, nMoments: 100000,
  jTol: 0.1, covTol: 0.05, meanTol: 0.05, calTol: 0.02 };
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/interpolant-learned-sb.js <outDir> [--flag value ...]' });
fs.mkdirSync(out, { recursive: true });
const log = (...a) => console.log(...a);
const seeds = String(o.seeds).split(',').map(Number);

const M0 = [0, 0], S0 = [1.5, 0.6, 0.6, 0.5], M1 = [0.5, 0.5], S1 = [0.3, -0.2, -0.2, 1.5];
const sb = SI.gaussianSB(M0, S0, M1, S1, o.sigma2);
const jLinear = SI.linearInterpolantSBEnergy(M0, S0, M1, S1, o.sigma2);
const gamma = SI.gammaSchedule('a-brownian', o.sigma2);
const sWeight = o.sigma2 * o.sigma2 / 4;
const TS = [0.25, 0.5, 0.75];
const record = runRecord('two 2-D Gaussians, non-commuting covariances, Schrödinger bridge (scripts/interpolant-learned-sb.js)',
  { n: o.nEval, seeds: Object.fromEntries(seeds.map((s) => [`train${s}`, s])) });
log(`sigma² ${o.sigma2}: J_SB = ${sb.energy.toFixed(5)}, linear interpolant J = ${jLinear.toFixed(5)}; commit ${record.git ? record.git.commit.slice(0, 12) : 'unknown'}`);

const chol = (S) => { const a = Math.sqrt(S[0]), b = S[2] / a; return [a, 0, b, Math.sqrt(S[3] - b * b)]; };
const drawer = (m, S) => { const L = chol(S); return (n) => tf.tidy(() => tf.randn([n, 2])
  .matmul(tf.tensor(Float32Array.from([L[0], L[2], L[1], L[3]]), { shape: [2, 2] })).add(tf.tensor(Float32Array.from(m), { shape: [1, 2] }))); };
const draw0 = drawer(M0, S0), draw1 = drawer(M1, S1);

/** Sample mean and covariance of x_t = I + gamma z. */
function moments(P, t, n) {
  const x = tf.tidy(() => tf.noGrad(() => P.path(t, draw0(n), draw1(n)).I.add(tf.randn([n, 2]).mul(gamma.gamma(t)))));
  const a = x.dataSync(); x.dispose();
  const m = [0, 0];
  for (let i = 0; i < n; i++) { m[0] += a[2 * i]; m[1] += a[2 * i + 1]; }
  m[0] /= n; m[1] /= n;
  const C = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) { const u = [a[2 * i] - m[0], a[2 * i + 1] - m[1]]; for (let j = 0; j < 4; j++) C[j] += u[j >> 1] * u[j & 1]; }
  return { mean: m, cov: C.map((c) => c / (n - 1)) };
}
function compare(mo, t) {
  const Ct = Array.from(sb.cov(t)), mt = Array.from(sb.mean(t));
  return { t, covRel: Math.hypot(...mo.cov.map((c, j) => c - Ct[j])) / Math.hypot(...Ct), meanErr: Math.hypot(mo.mean[0] - mt[0], mo.mean[1] - mt[1]), cov: mo.cov, closedForm: Ct };
}

function evaluate(P, seed, label) {
  tf.manualSeed(10000 + seed);
  const b = new SI.TimeField(2, o.hiddenB, o.layersB), s = new SI.TimeField(2, o.hiddenB, o.layersB);
  const fitLoss = SI.fitVelocity(P, b, draw0, draw1, { steps: o.refit, batch: o.batch, lr: o.lrB, gamma, s, sWeight });
  const est = tf.tidy(() => SI.bridgeEnergyEstimate(P, (x, t) => b.forward(x, t), (x, t) => s.forward(x, t), draw0(o.nEval), draw1(o.nEval), { gamma, sWeight }));
  const mom = TS.map((t) => compare(moments(P, t, o.nMoments), t));
  log(`  [${label}] J^ ${est.total.value.toFixed(4)} ± ${est.total.stdErr.toFixed(4)} (int E|b|² ${est.kinetic.value.toFixed(4)}, int E|s|² ${est.fisher.value.toFixed(3)} ± ${est.fisher.stdErr.toFixed(3)}), ` +
    `cov rel err ${mom.map((m) => m.covRel.toFixed(3)).join(' / ')}, mean err ${mom.map((m) => m.meanErr.toFixed(3)).join(' / ')} (fit loss ${fitLoss.toFixed(4)})`);
  return { est, moments: mom, fitLoss };
}

const t0 = Date.now();
tf.manualSeed(999);
const calib = evaluate(new SI.LearnedInterpolant({ dim: 2, hidden: o.hiddenI, layers: o.layersI }), 999, 'linear (g = 0), calibration');
const calibOk = Math.abs(calib.est.total.value - jLinear) <= 3 * calib.est.total.stdErr + o.calTol;
log(`  calibration: J^ - exact linear J = ${(calib.est.total.value - jLinear).toFixed(4)} ± ${calib.est.total.stdErr.toFixed(4)} (criterion ${calibOk ? 'met' : 'NOT met'})`);

const runs = [];
for (const seed of seeds) {
  const ts = Date.now();
  tf.manualSeed(seed);
  const P = new SI.LearnedInterpolant({ dim: 2, hidden: o.hiddenI, layers: o.layersI });
  const b = new SI.TimeField(2, o.hiddenB, o.layersB), s = new SI.TimeField(2, o.hiddenB, o.layersB);
  SI.maxMinTrain(P, b, draw0, draw1, { outerSteps: o.outer, innerSteps: o.inner, warmup: o.warmup, batch: o.batch,
    lrB: o.lrB, lrI: o.lrI, gamma, s, sWeight, logEvery: 500,
    onLog: (k, L) => log(`seed ${seed} outer ${k}: objective ${L.toFixed(4)} (-2x ${(-2 * L).toFixed(3)}; ${((Date.now() - ts) / 1000).toFixed(0)} s)`) });
  const trainSeconds = (Date.now() - ts) / 1000;
  const ev = evaluate(P, seed, `seed ${seed}`);
  const gapFrac = (ev.est.total.value - sb.energy) / (jLinear - sb.energy);
  const gate = {
    jWithinGap: gapFrac <= o.jTol,
    jNotBelowSB: ev.est.total.value >= sb.energy - 3 * ev.est.total.stdErr - o.calTol,
    covariances: ev.moments.every((m) => m.covRel <= o.covTol),
    means: ev.moments.every((m) => m.meanErr <= o.meanTol),
  };
  gate.all = Object.values(gate).every(Boolean);
  log(`seed ${seed}: J^ ${ev.est.total.value.toFixed(4)} ± ${ev.est.total.stdErr.toFixed(4)}, (J^ - J_SB)/(J_lin - J_SB) = ${gapFrac.toFixed(3)}; gate ${JSON.stringify(gate)} (${trainSeconds.toFixed(0)} s training)`);
  const curve = Array.from({ length: 21 }, (_, k) => k / 20).map((t) => ({ t, cov: moments(P, t, 20000).cov }));
  runs.push({ seed, trainSeconds, gapFrac, gate, ...ev, curve });
}

const grid = runs[0].curve.map((p) => p.t);
const linCov = (t) => S0.map((v, j) => (1 - t) ** 2 * v + t * t * S1[j] + (j === 0 || j === 3 ? o.sigma2 * t * (1 - t) : 0));
const series = [];
[[0, 'C11'], [1, 'C12'], [3, 'C22']].forEach(([j, nm]) => {
  series.push({ name: `SB closed form ${nm}`, x: grid, y: grid.map((t) => sb.cov(t)[j]) });
  series.push({ name: `learned ${nm} (seed ${runs[0].seed})`, x: grid, y: runs[0].curve.map((p) => p.cov[j]) });
  series.push({ name: `linear + gamma z ${nm}`, x: grid, y: grid.map((t) => linCov(t)[j]) });
});
saveLinePlot(path.join(out, 'learned-sb-covariance.svg'), { title: `Cov(x_t), x_t = I + gamma z: learned vs Schrödinger bridge (sigma² = ${o.sigma2}) vs linear`,
  xLabel: 't', yLabel: 'covariance entry', series });
const summary = { calibration: calibOk, allSeedsPass: runs.every((r) => r.gate.all), gapFrac: runs.map((r) => r.gapFrac) };
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ record, options: o, threads: tf.getNumThreads(),
  pair: { M0, S0, M1, S1 }, sigma2: o.sigma2, jSB: sb.energy, C: Array.from(sb.C), jLinear, calibration: calib, runs, summary,
  seconds: (Date.now() - t0) / 1000 }, null, 2));
log(`summary ${JSON.stringify(summary)}; wrote ${out}/results.json (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
