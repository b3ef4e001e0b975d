// Issue 17b: the paper's max-min over a learnable interpolant (lib/models/interpolants/learned.ts, design.ts)
// between two 2-D Gaussians with non-commuting covariances, checked against the closed-form optimal transport
// (gaussian-ot.ts): the learned flow's kinetic energy against W2² and the linear interpolant's, and the learned
// marginals' means and covariances at t = 0.25, 0.5, 0.75 against the McCann interpolation.
// The criteria (README, "Learned interpolant") are applied in `gate` below; the numbers here are all computed.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const SI = require('../dist/models/interpolants');
const { saveLinePlot } = require('../dist/io/plot');
const { runRecord } = require('../dist/cli/record');
const { run: runSolver } = require('../dist/samplers/solvers');

const DEFAULTS = { seeds: '1,2,3,4,5', outer: 3000, inner: 5, warmup: 500, batch: 512, lrB: 2e-3, lrI: 1e-3, hiddenI: 32,
  layersI: 2, hiddenB: 64, layersB: 3, refit: 3000, nEval: 200000, nMoments: 100000,
  keTol: 0.1, covTol: 0.05, meanTol: 0.05, nMap: 10000, mapSteps: 100, mapTol: 0.1, calTol: 0.02 };
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/interpolant-learned-ot.js <outDir> [--flag value ...]' });
fs.mkdirSync(out, { recursive: true });
const log = (...a) => console.log(...a);
const seeds = String(o.seeds).split(',').map(Number);

// The pair: fixed here and in the README (chosen so that S0 and S1 do not commute and the linear interpolant's
// cost is well above W2²).
const M0 = [0, 0], S0 = [1.5, 0.6, 0.6, 0.5], M1 = [0.5, 0.5], S1 = [0.3, -0.2, -0.2, 1.5];
const ot = SI.gaussianOT(M0, S0, M1, S1);
const keLinear = SI.linearInterpolantKineticEnergy(M0, S0, M1, S1);
const TS = [0.25, 0.5, 0.75];
const record = runRecord('two 2-D Gaussians, non-commuting covariances (scripts/interpolant-learned-ot.js)',
  { n: o.nEval, seeds: Object.fromEntries(seeds.map((s) => [`train${s}`, s])) });
log(`W2² = ${ot.w2sq.toFixed(5)}, linear interpolant KE = ${keLinear.toFixed(5)}; commit ${record.git ? record.git.commit.slice(0, 12) : 'unknown'}`);

const chol = (S) => { const a = Math.sqrt(S[0]), b = S[2] / a; return [a, 0, b, Math.sqrt(S[3] - b * b)]; };
const drawer = (m, S) => { const L = chol(S); return (n) => tf.tidy(() => {
  const e = tf.randn([n, 2]);
  const Lt = tf.tensor(Float32Array.from([L[0], L[2], L[1], L[3]]), { shape: [2, 2] }); // L^T: rows e L^T
  return e.matmul(Lt).add(tf.tensor(Float32Array.from(m), { shape: [1, 2] }));
}); };
const draw0 = drawer(M0, S0), draw1 = drawer(M1, S1);

/** Sample mean and covariance of x_t = I(t, x0, x1) with per-entry standard errors. */
function moments(P, t, n) {
  const x = tf.tidy(() => tf.noGrad(() => P.path(t, draw0(n), draw1(n)).I));
  const a = x.dataSync(); x.dispose();
  const m = [0, 0];
  for (let i = 0; i < n; i++) { m[0] += a[2 * i]; m[1] += a[2 * i + 1]; }
  m[0] /= n; m[1] /= n;
  const C = [0, 0, 0, 0], Q = [0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const u = [a[2 * i] - m[0], a[2 * i + 1] - m[1]];
    for (let j = 0; j < 4; j++) { const p = u[j >> 1] * u[j & 1]; C[j] += p; Q[j] += p * p; }
  }
  const cov = C.map((c) => c / (n - 1));
  const covSe = Q.map((q, j) => Math.sqrt(Math.max(q / n - (C[j] / n) ** 2, 0) / n));
  const meanSe = [Math.sqrt(cov[0] / n), Math.sqrt(cov[3] / n)];
  return { mean: m, meanSe, cov, covSe };
}
const frob = (A) => Math.hypot(...A);
function compare(mo, t) {
  const Ct = Array.from(ot.cov(t)), mt = Array.from(ot.mean(t));
  const covRel = frob(mo.cov.map((c, j) => c - Ct[j])) / frob(Ct);
  const covRelSe = frob(mo.covSe) / frob(Ct); // crude scale of the noise in covRel
  const meanErr = Math.hypot(mo.mean[0] - mt[0], mo.mean[1] - mt[1]);
  return { t, covRel, covRelSe, meanErr, meanSe: Math.hypot(...mo.meanSe), cov: mo.cov, closedForm: Ct };
}

function evaluate(P, seed, label) {
  // A fresh velocity fitted to the frozen interpolant, then KE^ = -2 L_b on n fresh pairs.
  tf.manualSeed(10000 + seed);
  const b = new SI.TimeField(2, o.hiddenB, o.layersB);
  const fitLoss = SI.fitVelocity(P, b, draw0, draw1, { steps: o.refit, batch: o.batch, lr: o.lrB });
  const ke = tf.tidy(() => SI.kineticEnergyEstimate(P, (x, t) => b.forward(x, t), draw0(o.nEval), draw1(o.nEval)));
  const mom = TS.map((t) => compare(moments(P, t, o.nMoments), t));
  // The flow map of the fitted velocity against the Brenier map x -> m1 + T (x - m0) (RK4 from t = 0 to 1).
  const map = tf.tidy(() => tf.noGrad(() => {
    const x0 = draw0(o.nMap);
    const X1 = runSolver(SI.odeSampler((x, t) => b.forward(x, t), x0, { method: 'rk4', steps: o.mapSteps })).x;
    const Tm = tf.tensor(Float32Array.from(ot.T), { shape: [2, 2] }); // symmetric: x T = (T x^T)^T
    const target = x0.sub(tf.tensor(Float32Array.from(M0), { shape: [1, 2] })).matmul(Tm).add(tf.tensor(Float32Array.from(M1), { shape: [1, 2] }));
    const rms = Math.sqrt(X1.sub(target).square().sum(1).mean().item());
    return { rms, rel: rms / Math.sqrt(ot.w2sq) };
  }));
  log(`  [${label}] KE^ ${ke.value.toFixed(4)} ± ${ke.stdErr.toFixed(4)} (path energy E|dI/dt|² ${ke.pathEnergy.toFixed(4)}), ` +
    `cov rel err ${mom.map((m) => m.covRel.toFixed(3)).join(' / ')}, mean err ${mom.map((m) => m.meanErr.toFixed(3)).join(' / ')}, ` +
    `flow map vs Brenier RMS ${map.rms.toFixed(3)} (rel ${map.rel.toFixed(3)}) (fit loss ${fitLoss.toFixed(4)})`);
  // The energy profile over t: the OT flow moves at constant speed, so its integrand is W2² at every t.
  const grid = Array.from({ length: 11 }, (_, k) => 0.025 + 0.095 * k);
  const profile = grid.map((t) => tf.tidy(() => SI.kineticEnergyEstimate(P, (x, tt) => b.forward(x, tt), draw0(20000), draw1(20000), { atTime: t })).value);
  return { ke, moments: mom, map, fitLoss, profile: { t: grid, value: profile } };
}

const t0 = Date.now();
// Calibration of the KE estimator where the answer is known: the untrained interpolant is exactly linear.
tf.manualSeed(999);
const linearP = new SI.LearnedInterpolant({ dim: 2, hidden: o.hiddenI, layers: o.layersI });
const calib = evaluate(linearP, 999, 'linear (g = 0), calibration');
const calibOk = Math.abs(calib.ke.value - keLinear) <= 3 * calib.ke.stdErr + o.calTol;
log(`  calibration: KE^ - exact linear KE = ${(calib.ke.value - keLinear).toFixed(4)} ± ${calib.ke.stdErr.toFixed(4)} (criterion C0 ${calibOk ? 'met' : 'NOT met'})`);

const runs = [];
for (const seed of seeds) {
  const ts = Date.now();
  tf.manualSeed(seed);
  const P = new SI.LearnedInterpolant({ dim: 2, hidden: o.hiddenI, layers: o.layersI });
  const b = new SI.TimeField(2, o.hiddenB, o.layersB);
  const history = SI.maxMinTrain(P, b, draw0, draw1, { outerSteps: o.outer, innerSteps: o.inner, warmup: o.warmup,
    batch: o.batch, lrB: o.lrB, lrI: o.lrI, logEvery: 250,
    onLog: (s, L) => log(`seed ${seed} outer ${s}: L_b ${L.toFixed(4)} (-2 L_b ${(-2 * L).toFixed(3)}; ${((Date.now() - ts) / 1000).toFixed(0)} s)`) });
  const trainSeconds = (Date.now() - ts) / 1000;
  const ev = evaluate(P, seed, `seed ${seed}`);
  const keGapFrac = (ev.ke.value - ot.w2sq) / (keLinear - ot.w2sq);
  const gate = {
    keWithinGap: keGapFrac <= o.keTol,
    keNotBelowW2: ev.ke.value >= ot.w2sq - 3 * ev.ke.stdErr - o.calTol,
    covariances: ev.moments.every((m) => m.covRel <= o.covTol),
    means: ev.moments.every((m) => m.meanErr <= o.meanTol),
    map: ev.map.rel <= o.mapTol,
  };
  gate.all = Object.values(gate).every(Boolean);
  log(`seed ${seed}: KE^ ${ev.ke.value.toFixed(4)} ± ${ev.ke.stdErr.toFixed(4)}, (KE^ - W2²)/(KE_lin - W2²) = ${keGapFrac.toFixed(3)}; gate ${JSON.stringify(gate)} (${trainSeconds.toFixed(0)} s training)`);
  runs.push({ seed, trainSeconds, keGapFrac, gate, ...ev, history: history.filter((_, i) => i % 10 === 9) });
  // Covariance curves over t for the figure (this seed).
  runs[runs.length - 1].curve = Array.from({ length: 21 }, (_, k) => k / 20).map((t) => ({ t, cov: moments(P, t, 20000).cov }));
}

const linearCurve = Array.from({ length: 21 }, (_, k) => k / 20).map((t) => ({ t, cov: S0.map((v, j) => (1 - t) ** 2 * v + t * t * S1[j]) }));
const grid = linearCurve.map((p) => p.t);
const names = ['C11', 'C12', 'C22'], idx = [0, 1, 3];
const series = [];
idx.forEach((j, q) => {
  series.push({ name: `McCann ${names[q]}`, x: grid, y: grid.map((t) => ot.cov(t)[j]) });
  series.push({ name: `learned ${names[q]} (seed ${runs[0].seed})`, x: grid, y: runs[0].curve.map((p) => p.cov[j]) });
  series.push({ name: `linear ${names[q]}`, x: grid, y: linearCurve.map((p) => p.cov[j]) });
});
saveLinePlot(path.join(out, 'learned-ot-covariance.svg'), { title: 'Marginal covariance of x_t: learned interpolant vs OT (McCann) vs linear',
  xLabel: 't', yLabel: 'covariance entry', series });
// The linear path's integrand |dm|² + ¼ tr(C' C^{-1} C') (gaussian-ot.ts's header), exactly.
const linDensity = (t) => {
  const C = S0.map((v, j) => (1 - t) ** 2 * v + t * t * S1[j]), D = S0.map((v, j) => -2 * (1 - t) * v + 2 * t * S1[j]);
  const det = C[0] * C[3] - C[1] * C[2], Ci = [C[3] / det, -C[1] / det, -C[2] / det, C[0] / det];
  const M = SI.matMul(SI.matMul(D, Ci, 2), D, 2);
  return (M1[0] - M0[0]) ** 2 + (M1[1] - M0[1]) ** 2 + 0.25 * (M[0] + M[3]);
};
const pg = runs[0].profile.t;
saveLinePlot(path.join(out, 'learned-ot-energy.svg'), { title: 'Kinetic-energy density E|b(t, x_t)|² over t', xLabel: 't', yLabel: 'energy density',
  series: [{ name: 'OT (McCann): W2², constant', x: pg, y: pg.map(() => ot.w2sq) },
    ...runs.map((r) => ({ name: `learned, seed ${r.seed} (-2 L_b integrand, refitted b)`, x: r.profile.t, y: r.profile.value })),
    { name: 'linear interpolant (exact)', x: pg, y: pg.map(linDensity) },
    { name: 'linear, estimated (calibration)', x: calib.profile.t, y: calib.profile.value }] });
const summary = {
  calibration: calibOk,
  allSeedsPass: runs.every((r) => r.gate.all),
  keGapFrac: runs.map((r) => r.keGapFrac),
};
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ record, options: o, threads: tf.getNumThreads(),
  pair: { M0, S0, M1, S1 }, w2sq: ot.w2sq, T: Array.from(ot.T), keLinear, calibration: calib, runs, summary,
  seconds: (Date.now() - t0) / 1000 }, null, 2));
log(`summary ${JSON.stringify(summary)}; wrote ${out}/results.json (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
