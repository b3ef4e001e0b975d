// Numerical check of the likelihood-control bound for the interpolant SDE (digest 3.5, the paper's statement):
//   KL(rho1 || rho1^) <= (1/eps)(L_b[b^] - min L_b) + eps (L_s[s^] - min L_s),
// rho1^ the law at t = 1 of the forward SDE dX = (b^ + eps s^) dt + sqrt(2 eps) dW from X_0 ~ rho0.
// The pair: rho0 = N(0, I_2), rho1 = N(mu, diag sd²), linear path, brownian gamma. Then rho_t is Gaussian and the
// exact b, s are affine in x; the estimates are b^ = b + kb (A_b (x - m_t) + c_b) and s^ = s + ks (A_s (x - m_t) + c_s),
// so the SDE is linear and rho1^ is Gaussian. For each (eps, kb, ks):
//   - the excess losses L - min L = ½ int E|delta|² dt: by quadrature (exact, used for the bound) and by Monte Carlo
//     with SI.fieldExcess (the estimator one would use for learned fields), as a check of the latter;
//   - KL by simulation: Euler-Maruyama paths of the perturbed SDE (the library's sdeSampler), the sample's mean and
//     covariance, and the closed-form Gaussian KL (metrics.gaussianKL); mean ± SE over seeds;
//   - KL by the moment equations of the linear SDE (RK4, fine grid): the reference the simulation must agree with.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('../dist/index.js');
const { parseFlags } = require('./flags');
const SI = require('../dist/models/interpolants');
const { GaussianMixture } = require('../dist/data/gmm');
const { gaussianStats } = require('../dist/metrics/frechet');
const { gaussianKL } = require('../dist/metrics/gaussian');
const { run: runSolver } = require('../dist/samplers/solvers');
const { saveLinePlot } = require('../dist/io/plot');
const { runRecord } = require('../dist/cli/record');

const DEFAULTS = { n: 20000, seeds: 5, steps: 400, eps: '0.1,0.5,1,2', perturb: '0:0,0.3:0,0:0.3,0.3:0.3,1:1', excessN: 200000 };
const { positional: [out], o } = parseFlags(process.argv.slice(2), DEFAULTS, { usage: 'node scripts/interpolant-likelihood-control.js <outDir> [--flag value ...]' });
fs.mkdirSync(out, { recursive: true });
const log = (...a) => console.log(...a);
const seeds = Array.from({ length: o.seeds }, (_, i) => i);
const record = runRecord('Gaussian pair N(0, I2) -> N(mu, diag sd²) (scripts/interpolant-likelihood-control.js)',
  { n: o.n, seeds: Object.fromEntries(seeds.map((s) => [`seed${s}`, s])) });
log(`n = ${o.n} paths per seed, seeds ${seeds.join(', ')}, Euler-Maruyama ${o.steps} steps; commit ${record.git ? record.git.commit.slice(0, 12) : 'unknown'}`);

const D = 2;
const MU = [1.5, -1], SD = [0.5, 0.8];
const AB = [0.5, -0.3], CB = [0.4, 0.2], AS = [-0.4, 0.3], CS = [0.3, -0.3];
const rho0 = new GaussianMixture({ means: [[0, 0]], std: 1, name: 'normal' });
const rho1 = new GaussianMixture({ means: [MU], std: [SD], name: 'target' });
const I = SI.interpolant({ path: 'linear', gamma: 'brownian' });
const E = new SI.GaussianMixtureInterpolant(I, rho0, rho1);

// Per coordinate: m_t = beta mu, Sigma_t = alpha² + beta² sd² + gamma², Sigma_t'/2 = alpha alpha' + beta beta' sd² + gamma gamma'.
const mom = (t, j) => {
  const c = I.coefficients(t), v1 = SD[j] ** 2;
  return { m: c.beta * MU[j], dm: c.dBeta * MU[j], S: c.alpha ** 2 + c.beta ** 2 * v1 + c.gamma ** 2,
    halfDS: c.alpha * c.dAlpha + c.beta * c.dBeta * v1 + c.gg };
};

// The perturbations as fields on tensors: k (A (x - m_t) + c).
const muT = tf.keep(tf.tensor([MU], { dtype: 'float64' }));
const cst = (a) => tf.keep(tf.tensor([a], { dtype: 'float64' }));
const [ABt, CBt, ASt, CSt] = [AB, CB, AS, CS].map(cst);
const delta = (A, C, k) => (x, t) => x.sub(t.reshape(x.shape[0], 1).mul(muT)).mul(A).add(C).mul(k);  // linear path: beta = t
const bStar = (x, t) => E.fields(x, t).b, sStar = (x, t) => E.fields(x, t).s;
const plus = (f, g) => (x, t) => f(x, t).add(g(x, t));

// ½ int_0^1 E|k (A (x - m) + c)|² dt = ½ k² int sum_j (A_j² Sigma_j + c_j²) dt, Simpson on 2000 intervals.
function simpson(f, m = 2000) {
  let acc = f(0) + f(1);
  for (let i = 1; i < m; i++) acc += (i % 2 ? 4 : 2) * f(i / m);
  return acc / (3 * m);
}
const excessExact = (A, C, k) => 0.5 * k * k * simpson((t) => [0, 1].reduce((a, j) => a + A[j] ** 2 * mom(t, j).S + C[j] ** 2, 0));
// The tighter Girsanov form (1/4eps) int E|delta_b + eps delta_s|² dt.
const girsanov = (kb, ks, eps) => simpson((t) => [0, 1].reduce((a, j) => a + (kb * AB[j] + eps * ks * AS[j]) ** 2 * mom(t, j).S
  + (kb * CB[j] + eps * ks * CS[j]) ** 2, 0)) / (4 * eps);

// Moment equations of dX = [dm + a (X - m) + c] dt + sqrt(2 eps) dW per coordinate:
//   a = Sigma'/(2 Sigma) + kb A_b - eps / Sigma + eps ks A_s,  c = kb c_b + eps ks c_s;
//   d mean/dt = dm + a (mean - m) + c,  d var/dt = 2 a var + 2 eps. RK4 on 4000 steps from (0, 1).
function momentKL(kb, ks, eps) {
  const mean = [], vr = [];
  for (let j = 0; j < D; j++) {
    const rhs = (t, [mu, P]) => {
      const q = mom(t, j);
      const a = q.halfDS / q.S + kb * AB[j] - eps / q.S + eps * ks * AS[j];
      return [q.dm + a * (mu - q.m) + kb * CB[j] + eps * ks * CS[j], 2 * a * P + 2 * eps];
    };
    let y = [0, 1];
    const M = 4000, h = 1 / M;
    for (let i = 0; i < M; i++) {
      const t = i * h;
      const k1 = rhs(t, y), k2 = rhs(t + h / 2, y.map((v, r) => v + (h / 2) * k1[r]));
      const k3 = rhs(t + h / 2, y.map((v, r) => v + (h / 2) * k2[r])), k4 = rhs(t + h, y.map((v, r) => v + h * k3[r]));
      y = y.map((v, r) => v + (h / 6) * (k1[r] + 2 * k2[r] + 2 * k3[r] + k4[r]));
    }
    mean.push(y[0]); vr.push(y[1]);
  }
  return gaussianKL(MU, [SD[0] ** 2, 0, 0, SD[1] ** 2], mean, [vr[0], 0, 0, vr[1]]);
}

const meanSe = (a) => {
  const m = a.reduce((u, v) => u + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((u, v) => u + (v - m) ** 2, 0) / Math.max(a.length - 1, 1));
  return { mean: m, se: sd / Math.sqrt(a.length) };
};

const epsList = String(o.eps).split(',').map(Number);
const perturbs = String(o.perturb).split(',').map((p) => p.split(':').map(Number));
const t0 = Date.now();

// Excess losses by Monte Carlo (fieldExcess) against the quadrature, once per perturbation size.
tf.manualSeed(1000);
const x0e = tf.keep(rho0.sample(o.excessN).double()), x1e = tf.keep(rho1.sample(o.excessN).double());
const excess = {};
for (const k of [...new Set(perturbs.flat())].filter((v) => v > 0)) {
  const mcB = SI.fieldExcess(I, plus(bStar, delta(ABt, CBt, k)), bStar, x0e, x1e);
  const mcS = SI.fieldExcess(I, plus(sStar, delta(ASt, CSt, k)), sStar, x0e, x1e);
  excess[k] = { b: excessExact(AB, CB, k), s: excessExact(AS, CS, k), mcB, mcS };
  log(`k = ${k}: L_b - min = ${excess[k].b.toFixed(5)} (MC ${mcB.value.toFixed(5)} ± ${mcB.stdErr.toFixed(5)}), ` +
    `L_s - min = ${excess[k].s.toFixed(5)} (MC ${mcS.value.toFixed(5)} ± ${mcS.stdErr.toFixed(5)})`);
}

const rows = [];
for (const eps of epsList) {
  for (const [kb, ks] of perturbs) {
    const b = kb > 0 ? plus(bStar, delta(ABt, CBt, kb)) : bStar;
    const s = ks > 0 ? plus(sStar, delta(ASt, CSt, ks)) : sStar;
    const kls = seeds.map((seed) => {
      tf.manualSeed(seed);
      const x0 = rho0.sample(o.n).double();
      const r = runSolver(SI.sdeSampler(b, s, x0, { eps, steps: o.steps, method: 'euler-maruyama' }));
      const st = gaussianStats(r.x);
      r.x.dispose(); x0.dispose();
      return gaussianKL(MU, [SD[0] ** 2, 0, 0, SD[1] ** 2], st.mu, st.cov);
    });
    const kl = meanSe(kls);
    const eB = kb > 0 ? excess[kb].b : 0, eS = ks > 0 ? excess[ks].s : 0;
    const bound = eB > 0 || eS > 0 ? SI.likelihoodControlBound(eB, eS, eps) : 0;
    const row = { eps, kb, ks, excessB: eB, excessS: eS, bound, girsanov: girsanov(kb, ks, eps), klSim: kl, klSeeds: kls,
      klMoment: momentKL(kb, ks, eps) };
    rows.push(row);
    log(`eps ${eps}  kb ${kb}  ks ${ks}:  KL sim ${kl.mean.toFixed(5)} ± ${kl.se.toFixed(5)}  moments ${row.klMoment.toFixed(5)}  ` +
      `Girsanov ${row.girsanov.toFixed(5)}  bound ${bound.toFixed(5)}  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
}

// Criteria (fixed in lib/models/interpolants/README.md before the run).
const perturbed = rows.filter((r) => r.kb > 0 || r.ks > 0);
const gate = {
  boundHolds: perturbed.every((r) => r.klSim.mean <= r.bound + 2 * r.klSim.se && r.klMoment <= r.bound),
  simulationMatchesMoments: rows.every((r) => Math.abs(r.klSim.mean - r.klMoment) <= 3 * r.klSim.se + 0.01),
  excessMcMatchesQuadrature: Object.values(excess).every((e) => Math.abs(e.mcB.value - e.b) <= 3 * e.mcB.stdErr && Math.abs(e.mcS.value - e.s) <= 3 * e.mcS.stdErr),
};
log('gate:', JSON.stringify(gate));

saveLinePlot(path.join(out, 'likelihood-control.svg'), {
  title: 'Likelihood control: KL(rho1 || rho1^) (simulated, solid) and the bound (1/eps) dL_b + eps dL_s', xLabel: 'eps', yLabel: 'nats',
  logX: true, logY: true,
  series: perturbs.filter(([kb, ks]) => kb > 0 || ks > 0).flatMap(([kb, ks]) => {
    const rs = rows.filter((r) => r.kb === kb && r.ks === ks);
    return [{ name: `KL, kb ${kb} ks ${ks}`, x: rs.map((r) => r.eps), y: rs.map((r) => r.klSim.mean) },
      { name: `bound, kb ${kb} ks ${ks}`, x: rs.map((r) => r.eps), y: rs.map((r) => r.bound) }];
  }),
});
fs.writeFileSync(path.join(out, 'results.json'), JSON.stringify({ record, options: o, pair: { MU, SD, AB, CB, AS, CS },
  interpolant: I.name, threads: tf.getNumThreads(), excess, rows, gate, seconds: (Date.now() - t0) / 1000 }, null, 2));
log(`wrote ${out}/results.json and likelihood-control.svg (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
