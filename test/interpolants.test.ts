// Stochastic interpolants against independent oracles. For a Gaussian base and a Gaussian-mixture target, x_t
// is itself a Gaussian mixture, so log rho_t, b, v, eta and s are closed forms (lib/models/interpolants/exact.ts);
// here those closed forms are first checked against the equations they must satisfy (the score is the gradient
// of log rho_t, the velocity satisfies the continuity equation, by finite differences in float64), then used
// as the reference for the objectives, the samplers and the likelihoods.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { GaussianMixture } from '../lib/data/gmm';
import * as SI from '../lib/models/interpolants';
import { arr, expectClose, expectCode } from './helpers';

const rho0 = new GaussianMixture({ means: [[0, 0]], std: 1, name: 'normal' });
const rho1 = new GaussianMixture({ means: [[-2, 0], [2, 1], [0, -2.5]], weights: [0.5, 0.3, 0.2], std: [0.3, 0.5, 0.4] });

const linear = SI.interpolant({ path: 'linear', gamma: 'brownian' });
const oneSided = SI.interpolant({ path: 'one-sided-linear' });
const exactLin = new SI.GaussianMixtureInterpolant(linear, rho0, rho1);
const exactOs = new SI.GaussianMixtureInterpolant(oneSided, rho0, rho1);

const f64 = (rows: number[][]) => tf.tensor(rows, { dtype: 'float64' });

describe('schedules', () => {
  // Three entries per row (scale a last): with two, jest would pass its done callback as the third.
  const combos: [SI.PathName, SI.GammaName | undefined, number][] = [
    ['linear', 'zero', 1], ['linear', 'brownian', 1], ['linear', 'a-brownian', 2], ['linear', 'bsquared', 1], ['linear', 'sinesquared', 1],
    ['trig', 'brownian', 1], ['trig', 'sinesquared', 0.5], ['trig', 'zero', 1], ['encoder-decoder', 'sinesquared', 1],
    ['encoder-decoder', 'brownian', 1], ['one-sided-linear', undefined, 1], ['one-sided-trig', undefined, 1], ['mirror', 'brownian', 1],
    ['linear', 'sigmoid', 1], ['trig', 'sigmoid', 1], ['mirror', 'sigmoid', 2],
  ];
  test.each(combos)('%s / %s: boundary values, derivatives, finite gamma gamma\'', (path, gamma, a) => {
    const I = SI.interpolant({ path, gamma, gammaScale: a });
    const c0 = I.coefficients(0), c1 = I.coefficients(1);
    if (path === 'mirror') {
      expect([c0.alpha, c0.beta, c1.alpha, c1.beta]).toEqual([0, 1, 0, 1]);
    } else {
      expect(c0.alpha).toBeCloseTo(1, 14); expect(c0.beta).toBeCloseTo(0, 14);
      expect(c1.alpha).toBeCloseTo(0, 14); expect(c1.beta).toBeCloseTo(1, 14);
    }
    expect(c0.gamma).toBeCloseTo(0, 14); expect(c1.gamma).toBeCloseTo(0, 14);
    expect(Number.isFinite(c0.gg) && Number.isFinite(c1.gg)).toBe(true);
    // Central differences with h = 1e-6 in float64: truncation ~h² f''' ~ 1e-11, rounding ~1e-16/h = 1e-10.
    const h = 1e-6;
    for (const t of [0.1, 0.3, 0.45, 0.55, 0.7, 0.9]) {
      const c = I.coefficients(t), p = I.coefficients(t + h), m = I.coefficients(t - h);
      expect(Math.abs((p.alpha - m.alpha) / (2 * h) - c.dAlpha)).toBeLessThan(1e-7);
      expect(Math.abs((p.beta - m.beta) / (2 * h) - c.dBeta)).toBeLessThan(1e-7);
      expect(Math.abs((p.gamma - m.gamma) / (2 * h) - c.dGamma)).toBeLessThan(1e-7);
      expect(Math.abs(c.gg - c.gamma * c.dGamma)).toBeLessThan(1e-12);
      if (!I.gammaSchedule.isZero) expect(c.gamma).toBeGreaterThan(0);
    }
  });

  test('brownian gamma\' is infinite at the ends while gamma gamma\' = (1 - 2t)/2', () => {
    const c0 = linear.coefficients(0), c1 = linear.coefficients(1);
    expect(c0.dGamma).toBe(Infinity); expect(c1.dGamma).toBe(-Infinity);
    expect(c0.gg).toBe(0.5); expect(c1.gg).toBe(-0.5);
  });

  test('sigmoid gamma: the official code\'s formula, written out without the symmetry the implementation uses', () => {
    // gamma = sig(f(t - 1/2) + 1) - sig(f(t - 1/2) - 1) - sig(1 - f/2) + sig(-1 - f/2), f = 10 (fabrics.py make_gamma).
    const sig = (u: number) => 1 / (1 + Math.exp(-u)), f = 10;
    const ref = (t: number) => sig(f * (t - 0.5) + 1) - sig(f * (t - 0.5) - 1) - sig(1 - f / 2) + sig(-1 - f / 2);
    const G = SI.gammaSchedule('sigmoid'), G3 = SI.gammaSchedule('sigmoid', 3);
    for (const t of [0, 0.05, 0.2, 0.4, 0.5, 0.63, 0.9, 0.99, 1]) {
      expect(Math.abs(G.gamma(t) - ref(t))).toBeLessThan(1e-15);
      expect(Math.abs(G3.gamma(t) - 3 * ref(t))).toBeLessThan(1e-14);
    }
    expect(G.gamma(0)).toBe(0); expect(G.gamma(1)).toBe(0);
    expect(G.gamma(0.5)).toBeCloseTo(0.44660, 5);
    // Flat near the ends (unlike brownian): gamma' is finite there, so the b objective needs no clamping.
    expect(Math.abs(G.dGamma(0))).toBeLessThan(0.2); expect(G.dGamma(0)).toBeGreaterThan(0);
    expect(G.dGamma(1)).toBeCloseTo(-G.dGamma(0), 14);
  });

  test('the trig path is variance preserving: alpha² + beta² + gamma² = 1', () => {
    const I = SI.interpolant({ path: 'trig', gamma: 'a-brownian', gammaScale: 0.5 });
    for (const t of [0, 0.2, 0.5, 0.8, 1]) {
      const c = I.coefficients(t);
      expect(c.alpha ** 2 + c.beta ** 2 + c.gamma ** 2).toBeCloseTo(1, 14);
    }
  });

  test('bad input', () => {
    expectCode(() => SI.interpolant({ path: 'bogus' as SI.PathName }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'linear', gamma: 'bogus' as SI.GammaName }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'one-sided-linear', gamma: 'brownian' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'mirror', gamma: 'zero' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolant({ path: 'trig', gamma: 'a-brownian', gammaScale: 4 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.gammaSchedule('brownian', -1), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.gammaSchedule('sigmoid', 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.gammaSchedule('sigmoidal' as SI.GammaName), 'TF_INVALID_ARGUMENT');
    expectCode(() => linear.coefficients(1.5), 'TF_INVALID_ARGUMENT');
  });
});

describe('exact Gaussian-mixture fields', () => {
  const pts = [[0.3, -0.4], [-1.5, 0.2], [1.2, 1.1], [0.1, -2]];
  const cases: [string, SI.GaussianMixtureInterpolant][] = [['linear/brownian', exactLin], ['one-sided-linear', exactOs],
    ['trig/sinesquared', new SI.GaussianMixtureInterpolant(SI.interpolant({ path: 'trig', gamma: 'sinesquared', gammaScale: 0.5 }), rho0, rho1)],
    ['encoder-decoder', new SI.GaussianMixtureInterpolant(SI.interpolant({ path: 'encoder-decoder', gamma: 'sinesquared' }), rho0, rho1)],
    ['mirror', new SI.GaussianMixtureInterpolant(SI.interpolant({ path: 'mirror', gamma: 'brownian' }), rho1, rho1)]];

  test.each(cases)('%s: s = grad log rho_t and the continuity equation d_t rho + div(b rho) = 0', (_name, E) => {
    const logRho = (p: number[], t: number) => arr(E.logRho(f64([p]), t))[0];
    for (const t of [0, 0.15, 0.5, 0.8, 1]) {
      for (const p of pts) {
        const F = E.fields(f64([p]), t);
        const s = arr(F.s), b = arr(F.b);
        // Central differences in x, h = 1e-5: truncation ~h² |d³ log rho| ~ 1e-9, rounding ~1e-16/h = 1e-11.
        const h = 1e-5;
        for (let j = 0; j < 2; j++) {
          const up = p.slice(), dn = p.slice();
          up[j] += h; dn[j] -= h;
          expect(Math.abs((logRho(up, t) - logRho(dn, t)) / (2 * h) - s[j])).toBeLessThan(1e-6);
        }
        // Continuity in log form: d_t log rho + div b + b . grad log rho = 0. The time derivative uses a one-sided
        // difference at the ends (second order, 3 points); h = 1e-4 leaves ~1e-7 truncation. At t = 1/2 the
        // encoder-decoder path is only C¹ (alpha'' jumps from 2 pi² to 0), so the central difference there is first
        // order (error ~0.2 h): h = 1e-6 there (rounding ~1e-16 |log rho| / h ~ 1e-9).
        const ht = t === 0.5 ? 1e-6 : 1e-4;
        const dLogDt = t === 0 ? (-3 * logRho(p, 0) + 4 * logRho(p, ht) - logRho(p, 2 * ht)) / (2 * ht)
          : t === 1 ? (3 * logRho(p, 1) - 4 * logRho(p, 1 - ht) + logRho(p, 1 - 2 * ht)) / (2 * ht)
            : (logRho(p, t + ht) - logRho(p, t - ht)) / (2 * ht);
        let divB = 0;
        for (let j = 0; j < 2; j++) {
          const up = p.slice(), dn = p.slice();
          up[j] += h; dn[j] -= h;
          divB += (arr(E.b(f64([up]), t))[j] - arr(E.b(f64([dn]), t))[j]) / (2 * h);
        }
        const resid = dLogDt + divB + b[0] * s[0] + b[1] * s[1];
        const scale = Math.abs(dLogDt) + Math.abs(divB) + Math.abs(b[0] * s[0] + b[1] * s[1]) + 1;
        expect(Math.abs(resid) / scale).toBeLessThan(1e-5);
      }
    }
  });

  test.each(['brownian', 'sigmoid'] as const)('mirror (%s): the fields against the closed form for rho_t = sum_k q_k N(mu_k, S_k + gamma² I)', (gname) => {
    // x_t = x1 + gamma z with x1 ~ rho1: each component widens by gamma², so
    //   s = -sum_k w_k (x - mu_k) / (S_k + gamma²),  eta = E[z | x] = -gamma s,  v = 0,  b = gamma' eta = -gamma gamma' s.
    // Written here from rho1's parameters alone, not through the pair construction of exact.ts.
    const I = SI.interpolant({ path: 'mirror', gamma: gname });
    const E = new SI.GaussianMixtureInterpolant(I, rho1, rho1);
    const mus = [[-2, 0], [2, 1], [0, -2.5]], q = [0.5, 0.3, 0.2], sd = [0.3, 0.5, 0.4];
    for (const t of [0, 0.1, 0.5, 0.77, 1]) {
      const c = I.coefficients(t);
      for (const p of pts) {
        const V = sd.map((v) => v * v + c.gamma * c.gamma);
        const logc = mus.map((m, k) => Math.log(q[k]) - ((p[0] - m[0]) ** 2 + (p[1] - m[1]) ** 2) / (2 * V[k]) - Math.log(2 * Math.PI * V[k]));
        const mx = Math.max(...logc), lse = mx + Math.log(logc.reduce((a, l) => a + Math.exp(l - mx), 0));
        const w = logc.map((l) => Math.exp(l - lse));
        const sx = [0, 1].map((j) => -w.reduce((a, wk, k) => a + wk * (p[j] - mus[k][j]) / V[k], 0));
        const F = E.fields(f64([p]), t);
        expect(Math.abs(arr(F.logRho)[0] - lse)).toBeLessThan(1e-12);
        expectClose(arr(F.s), sx, 1e-12, 1e-12, `s t=${t}`);
        expectClose(arr(F.eta), sx.map((v) => -c.gamma * v), 1e-12, 1e-12, `eta t=${t}`);
        expectClose(arr(F.v), [0, 0], 1e-15, 0, `v t=${t}`);
        expectClose(arr(F.b), sx.map((v) => -c.gg * v), 1e-12, 1e-12, `b t=${t}`);
      }
    }
  });

  test('eta = E[z | x] = -gamma s and b = v + gamma\' eta = v - gamma gamma\' s (the conversions)', () => {
    const x = f64(pts), t = tf.tensor([0.2, 0.4, 0.6, 0.9], { dtype: 'float64' });
    const F = exactLin.fields(x, t);
    const field = (k: 'b' | 'v' | 's' | 'eta'): SI.Field => (y, tt) => exactLin.fields(y, tt)[k];
    expectClose(arr(SI.bFromVS(linear, field('v'), field('s'))(x, t)), arr(F.b), 1e-12, 1e-12, 'bFromVS');
    expectClose(arr(SI.bFromVEta(linear, field('v'), field('eta'))(x, t)), arr(F.b), 1e-12, 1e-12, 'bFromVEta');
    expectClose(arr(SI.sFromEta(linear, field('eta'))(x, t)), arr(F.s), 1e-12, 1e-12, 'sFromEta');
    expectClose(arr(SI.etaFromS(linear, field('s'))(x, t)), arr(F.eta), 1e-12, 1e-12, 'etaFromS');
    expectClose(arr(SI.vFromBS(linear, field('b'), field('s'))(x, t)), arr(F.v), 1e-12, 1e-12, 'vFromBS');
    // Sign of eta: with x_t near the mean of a pair, E[z | x] points along x - m like z does.
    const g = linear.coefficients(0.5).gamma;
    const F2 = exactLin.fields(f64([[-1 + 3 * g, 0]]), 0.5);
    expect(arr(F2.eta)[0]).toBeGreaterThan(0);
  });

  test('one-sided: the denoiser eta = E[x0 | x] gives s = -eta / alpha and b = alpha\' eta + beta\' (x - alpha eta) / beta', () => {
    const x = f64(pts), ts = [0.2, 0.4, 0.6, 0.9], t = tf.tensor(ts, { dtype: 'float64' });
    const F = exactOs.fields(x, t);
    const eta: SI.Field = (y, tt) => exactOs.fields(y, tt).eta;
    expectClose(arr(SI.sFromEta(oneSided, eta)(x, t)), arr(F.s), 1e-12, 1e-12, 'sFromEta one-sided');
    expectClose(arr(SI.etaFromS(oneSided, (y, tt) => exactOs.fields(y, tt).s)(x, t)), arr(F.eta), 1e-12, 1e-12, 'etaFromS one-sided');
    // An independent route to E[x0 | x]: x = alpha x0 + beta x1 gives E[x1 | x] = (x - alpha E[x0 | x]) / beta, and
    // b = alpha' E[x0 | x] + beta' E[x1 | x] must equal the exact velocity.
    const e = arr(F.eta), b = arr(F.b), xs = arr(x);
    for (let i = 0; i < ts.length; i++) {
      const c = oneSided.coefficients(ts[i]);
      for (let j = 0; j < 2; j++) {
        const k = 2 * i + j, ex1 = (xs[k] - c.alpha * e[k]) / c.beta;
        expect(Math.abs(c.dAlpha * e[k] + c.dBeta * ex1 - b[k])).toBeLessThan(1e-12 * (1 + Math.abs(b[k])));
      }
    }
  });

  test('bad input', () => {
    expectCode(() => exactLin.fields(tf.zeros([3, 3], { dtype: 'float64' }), 0.5), 'TF_SHAPE_MISMATCH');
    expectCode(() => exactLin.fields(tf.zeros([3, 2], { dtype: 'float64' }), 1.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => exactLin.fields(tf.zeros([3, 2], { dtype: 'float64' }), tf.zeros([2])), 'TF_SHAPE_MISMATCH');
    expectCode(() => exactLin.fields(tf.zeros([3, 2], { dtype: 'int32' }), 0.5), 'TF_INVALID_ARGUMENT');
    expectCode(() => new SI.GaussianMixtureInterpolant(linear, rho0, new GaussianMixture({ means: [[0, 0, 0]] })), 'TF_SHAPE_MISMATCH');
  });
});

describe('objectives', () => {
  // On a fixed batch, L(c) for the field f* + c h is exactly quadratic in c: L(c) = L(0) + c g + c² q / 2 with
  // g = mean_i (f*(x_i) - target_i) . h(x_i). If f* = E[target | x_t], g is a mean of zero-mean terms, so it must
  // lie within a few standard errors (sample std / sqrt n) of 0; the same test applied to the shifted field
  // f* + 0.3 h must reject (g = 0.3 E|h|² is tens of standard errors away), which shows the test has power.
  const pert: SI.Field = (x, t) => tf.stack([x.select(1, 1).sin().mul(t), x.select(1, 0).cos().add(t)], 1);
  function slope(I: SI.Interpolant, which: SI.ObjectiveName, f: SI.Field, c0: number, n: number, antithetic = true) {
    tf.manualSeed(11);
    const x0 = rho0.sample(n).double(), x1 = rho1.sample(n).double();
    const z = tf.randn([n, 2], { dtype: 'float64' });
    const t = tf.rand([n], { dtype: 'float64' }).mul(0.98).add(0.01);
    const L = (c: number) => arr(SI.interpolantLoss(I, which, (x, tt) => f(x, tt).add(pert(x, tt).mul(c)), x0, x1, { t, z, reduction: 'none', antithetic }));
    // Central difference of an exact quadratic: exact up to rounding.
    const d = 1e-3, up = L(c0 + d), dn = L(c0 - d);
    const g = up.map((u, i) => (u - dn[i]) / (2 * d));
    const mean = g.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(g.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    const l0 = L(c0).reduce((a, b) => a + b, 0) / n;
    const lPlus = up.reduce((a, b) => a + b, 0) / n;
    return { z: mean / (sd / Math.sqrt(n)), sd, l0, lFar: [L(c0 + 0.5), L(c0 - 0.5)].map((v) => v.reduce((a, b) => a + b, 0) / n), lPlus };
  }
  const field = (E: SI.GaussianMixtureInterpolant, k: 'b' | 'v' | 's' | 'eta'): SI.Field => (x, t) => E.fields(x, t)[k];
  const cases: [SI.ObjectiveName, string, SI.Interpolant, SI.GaussianMixtureInterpolant][] = [
    ['b', 'linear/brownian', linear, exactLin], ['v', 'linear/brownian', linear, exactLin],
    ['s', 'linear/brownian', linear, exactLin], ['eta', 'linear/brownian', linear, exactLin],
    ['b', 'one-sided-linear', oneSided, exactOs], ['s', 'one-sided-linear', oneSided, exactOs],
    ['eta', 'one-sided-linear', oneSided, exactOs]];
  test.each(cases)('the exact %s minimises its objective (%s)', (which, _name, I, E) => {
    const n = 4000;
    const at = slope(I, which, field(E, which), 0, n);
    // |z| < 4: a false alarm has probability 6e-5 under the (CLT-)normal null.
    expect(Math.abs(at.z)).toBeLessThan(4);
    for (const l of at.lFar) expect(l).toBeGreaterThan(at.l0);
    const off = slope(I, which, field(E, which), 0.3, n);
    expect(off.z).toBeGreaterThan(10);
  });

  test('antithetic sampling: the plain estimator has the same minimiser but a much noisier slope for s', () => {
    const f = field(exactLin, 's');
    const plain = slope(linear, 's', f, 0, 4000, false), anti = slope(linear, 's', f, 0, 4000, true);
    expect(Math.abs(plain.z)).toBeLessThan(4);
    // Without the pairing the slope's per-sample terms carry z.h / gamma, unbounded as t -> 0, 1. With t drawn in
    // [0.01, 0.99] here (gamma >= 0.099) the measured sd ratio is 2.1; the gap widens as the range nears the ends.
    expect(plain.sd).toBeGreaterThan(1.5 * anti.sd);
  });

  test('gradient w.r.t. a perturbation parameter through autograd is ~0 at the exact field', () => {
    tf.manualSeed(12);
    const n = 4000;
    const x0 = rho0.sample(n).double(), x1 = rho1.sample(n).double();
    const c = tf.zeros([1], { dtype: 'float64', requiresGrad: true });
    const f: SI.Field = (x, t) => exactLin.fields(x, t).s.add(pert(x, t).mul(c));
    SI.interpolantLoss(linear, 's', f, x0, x1).backward();
    const g0 = arr(c.grad!)[0];
    // E|h|² ~ 1 sets the scale: at c = 0.3 the slope would be ~0.3; the standard error at n = 4000 is ~0.02
    // (measured by the z-scores above), so |g| < 0.1 is 5 standard errors.
    expect(Math.abs(g0)).toBeLessThan(0.1);
  });

  test('bad input', () => {
    const x = tf.zeros([4, 2]);
    const f: SI.Field = (y) => y;
    expectCode(() => SI.interpolantLoss(linear, 'b', f, x, tf.zeros([4, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => SI.interpolantLoss(linear, 'bogus' as SI.ObjectiveName, f, x, x), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolantLoss(linear, 's', f, x, x, { t: tf.zeros([4]) }), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolantLoss(linear, 'b', f, x, x, { t: tf.zeros([3]) }), 'TF_SHAPE_MISMATCH');
    expectCode(() => SI.sFromEta(SI.interpolant({ path: 'linear', gamma: 'zero' }), f), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.interpolantLoss(linear, 'b', () => tf.zeros([4, 3]), x, x), 'TF_SHAPE_MISMATCH');
  });
});

describe('dynamics and likelihood with the exact fields (float64)', () => {
  const b: SI.Field = (x, t) => exactLin.fields(x, t).b;
  const s: SI.Field = (x, t) => exactLin.fields(x, t).s;
  const joint: SI.JointField = (x, t) => exactLin.fields(x, t);
  const mean = (a: ArrayLike<number>) => Array.from(a).reduce((p, q) => p + q, 0) / a.length;
  const sd = (a: ArrayLike<number>) => { const m = mean(a); return Math.sqrt(Array.from(a).reduce((p, q) => p + (q - m) ** 2, 0) / (a.length - 1)); };
  const finish = (g: Generator<unknown, { x: Tensor; nfe: number }, void>) => { let r = g.next(); while (!r.done) r = g.next(); return r.value; };

  // E_rho1[log rho1] by Monte Carlo on 200k exact draws: sd(log rho1) = 1.25 here, so its standard error is 0.003.
  let truth = 0;
  const N = 8000;
  let x0: Tensor;
  beforeAll(() => {
    tf.manualSeed(21);
    truth = mean(rho1.logProb(rho1.sample(200000).double()).dataSync() as Float64Array);
    x0 = rho0.sample(N).double();
  });
  // With n = 8000 samples, E[log rho1] over the model's samples has standard error 1.25 / sqrt(8000) = 0.014, so
  // the 0.05-nat criterion is 3.6 standard errors: a correct sampler fails it with probability ~3e-4, while a
  // discretisation bias of 0.05 would show.
  const tol = 0.05;

  test('probability-flow ODE (adaptive Dormand-Prince) reproduces the target', () => {
    const r = finish(SI.odeSampler(b, x0, { method: 'dopri5', atol: 1e-5, rtol: 1e-5 }));
    const lp = mean(rho1.logProb(r.x).dataSync() as Float64Array);
    expect(Math.abs(lp - truth)).toBeLessThan(tol);
    expect(r.nfe).toBeLessThan(200);
  });

  test.each([['euler-maruyama', 200], ['heun', 60]] as const)('forward SDE eps = 0.5 (%s, %i steps) reproduces the target', (method, steps) => {
    tf.manualSeed(22);
    const r = finish(SI.sdeSampler(b, s, x0, { method, eps: 0.5, steps, joint }));
    const lp = mean(rho1.logProb(r.x).dataSync() as Float64Array);
    expect(Math.abs(lp - truth)).toBeLessThan(tol);
  });

  test.each([['brownian', 1], ['sigmoid', 2]] as const)('mirror (%s gamma, scale %d): the forward SDE from data draws keeps rho1, and the opposite drift sign does not', (gname, a) => {
    // rho0 = rho1: the SDE dX = (b + eps s) dt + sqrt(2 eps) dW with b = -gamma gamma' s maps rho1 to rho1.
    // The official code's mirror ODE right-hand side carries +gamma gamma' s (digest 3.3 iv); with that sign the SDE
    // drifts off rho1 by > 1 nat here (measured 2.7 / 1.5). The ODE cannot tell the signs apart: gamma gamma' is odd
    // about t = 1/2, so the flipped flow retraces itself and also returns rho1.
    const I = SI.interpolant({ path: 'mirror', gamma: gname, gammaScale: a });
    const E = new SI.GaussianMixtureInterpolant(I, rho1, rho1);
    const bm: SI.Field = (x, t) => E.fields(x, t).b, sm: SI.Field = (x, t) => E.fields(x, t).s;
    // n = 2000 draws keep this quick on a shared machine: standard error 1.25 / sqrt(2000) = 0.028, so 0.1 is 3.6 of them.
    tf.manualSeed(27);
    const xd = rho1.sample(2000).double();
    const lp = (x: Tensor) => mean(rho1.logProb(x).dataSync() as Float64Array);
    expect(Math.abs(lp(finish(SI.sdeSampler(bm, sm, xd, { eps: 0.5, steps: 200 })).x) - truth)).toBeLessThan(0.1);
    expect(Math.abs(lp(finish(SI.odeSampler(bm, xd, { method: 'rk4', steps: 50 })).x) - truth)).toBeLessThan(0.1);
    const flipped: SI.Field = (x, t) => bm(x, t).neg();
    expect(truth - lp(finish(SI.sdeSampler(flipped, sm, xd, { eps: 0.5, steps: 200 })).x)).toBeGreaterThan(1);
  });

  test('backward SDE from the target reaches the base: E[log rho0] = -log(2 pi) - 1', () => {
    tf.manualSeed(23);
    const n = 4000;
    // eps vanishing at the ends exercises a time-dependent schedule.
    const r = finish(SI.sdeSampler(b, s, rho1.sample(n).double(), { eps: (t) => 2 * t * (1 - t) + 0.1, steps: 200, direction: -1, joint }));
    const lp = mean(rho0.logProb(r.x).dataSync() as Float64Array);
    // sd(log rho0) = sd(|x|²/2) = 1 in 2-D: standard error 0.016 at n = 4000; 0.06 is ~4 of them.
    expect(Math.abs(lp - (-Math.log(2 * Math.PI) - 1))).toBeLessThan(0.06);
  });

  test('fixed-step ODE solvers converge at their order (Heun 2, RK4 4) against a tight Dormand-Prince solution', () => {
    const x = x0.slice(0, 0, 256);
    const ref = finish(SI.odeSampler(b, x, { method: 'dopri5', atol: 1e-11, rtol: 1e-11 })).x;
    const err = (method: SI.FixedOdeMethod, steps: number) => {
      const y = finish(SI.odeSampler(b, x, { method, steps })).x;
      return Math.max(...arr(y.sub(ref).abs()));
    };
    // Halving the step divides the error by 2^order (4 for Heun, 16 for RK4); at these step counts the measured
    // ratios are 3.5 and 12.9 (the next term of the error expansion still contributes), so the bounds separate
    // the claimed order from one order less (2 and 8).
    const heun = err('heun', 40) / err('heun', 80), rk4 = err('rk4', 20) / err('rk4', 40);
    expect(heun).toBeGreaterThan(3); expect(heun).toBeLessThan(5.5);
    expect(rk4).toBeGreaterThan(10); expect(rk4).toBeLessThan(22);
  });

  test('ODE log-likelihood matches the exact log-density within 1e-3 nats (RK4 and Dormand-Prince, exact divergence)', () => {
    tf.manualSeed(24);
    const xs = rho1.sample(64).double();
    const exact = arr(rho1.logProb(xs));
    const rk4 = SI.odeLogLikelihood(b, rho0, xs, { method: 'rk4', steps: 100 });
    const dp = SI.odeLogLikelihood(b, rho0, xs, { method: 'dopri5', atol: 1e-8, rtol: 1e-8 });
    expectClose(rk4.logProb, exact, 1e-3, 0, 'rk4');
    expectClose(dp.logProb, exact, 1e-3, 0, 'dopri5');
  });

  test('Hutchinson divergence gives an unbiased ODE log-likelihood', () => {
    tf.manualSeed(25);
    const xs = rho1.sample(8).double();
    const exact = mean(arr(rho1.logProb(xs)));
    // 16 copies of each point, one Rademacher probe per stage each: the average over 128 rows has a standard
    // error of ~0.16 here (measured); the test bounds the bias by 4 of them.
    const rep = tf.indexSelect(xs, 0, tf.tensor(Int32Array.from({ length: 128 }, (_, i) => i % 8), { dtype: 'int32' }));
    const h = SI.odeLogLikelihood(b, rho0, rep, { method: 'rk4', steps: 10, divergence: 'hutchinson' });
    const se = sd(h.logProb) / Math.sqrt(128);
    expect(Math.abs(mean(h.logProb) - exact)).toBeLessThan(4 * se + 2e-3);
    expect(se).toBeGreaterThan(0);
  });

  test('SDE log-likelihood estimator is unbiased within its Monte-Carlo error and reports that error', () => {
    tf.manualSeed(26);
    const xs = rho1.sample(32).double();
    const exact = arr(rho1.logProb(xs));
    const r = SI.sdeLogLikelihood(b, s, rho0, xs, { eps: 0.5, steps: 100, paths: 32 });
    const err = Array.from(r.logProb, (v, i) => v - exact[i]);
    // The error of the mean over 32 points has standard error sd(err) / sqrt(32) (~0.06 measured); 4 of them.
    expect(Math.abs(mean(err))).toBeLessThan(4 * sd(err) / Math.sqrt(32));
    // The reported per-point standard errors match the spread of the actual errors: their RMS estimates sd(err)
    // (each point's error is its own Monte-Carlo error); with 32 points the sample sd has ~12% relative error.
    const rms = Math.sqrt(mean(Array.from(r.stdErr, (v) => v * v)));
    expect(rms / sd(err)).toBeGreaterThan(0.6);
    expect(rms / sd(err)).toBeLessThan(1.6);
  });

  test('bits per dimension: the uniform density over the dequantised 8-bit range is exactly 8 bits', () => {
    // Dequantised values (u + U[0, 1)) / 127.5 - 1 fill a box of width 256 / 127.5 per dimension; uniform on it,
    // each grey level has probability 1/256: 8 bits.
    const w = 256 / 127.5;
    expectClose(SI.bitsPerDim([-3 * Math.log(w), -10], 3), [8, (10 / 3 + Math.log(127.5)) / Math.LN2], 1e-12);
    expectClose(SI.bitsPerDim([-2 * Math.log(2)], 2, 128), [8], 1e-12);
    expectCode(() => SI.bitsPerDim([0], 0), 'TF_INVALID_ARGUMENT');
  });

  test('bad input', () => {
    const x = tf.zeros([4, 2], { dtype: 'float64' });
    expectCode(() => finish(SI.odeSampler(b, x, { method: 'bogus' as SI.FixedOdeMethod })), 'TF_INVALID_ARGUMENT');
    expectCode(() => finish(SI.odeSampler(b, x, { method: 'dopri5', atol: -1 })), 'TF_INVALID_ARGUMENT');
    expectCode(() => finish(SI.odeSampler(b, x, { steps: 0 })), 'TF_INVALID_ARGUMENT');
    expectCode(() => finish(SI.sdeSampler(b, s, x, { eps: -1 })), 'TF_INVALID_ARGUMENT');
    expectCode(() => finish(SI.sdeSampler(b, s, x, { eps: 1, times: [0, 0.5, 1], direction: -1 })), 'TF_INVALID_ARGUMENT');
    expectCode(() => finish(SI.sdeSampler(b, s, x, { eps: 1, method: 'bogus' as SI.SdeMethod })), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.odeLogLikelihood(b, rho0, tf.zeros([4]), {}), 'TF_SHAPE_MISMATCH');
    expectCode(() => SI.sdeLogLikelihood(b, s, rho0, x, { eps: 1, paths: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => finish(SI.odeSampler(b, tf.zeros([4, 3], { dtype: 'float64' }))), 'TF_SHAPE_MISMATCH');
  });
});

describe('likelihood control', () => {
  test('fieldExcess of an affine perturbation matches ½ int E|delta|² dt computed from the Gaussian moments of x_t', () => {
    // rho0 = N(0, I), rho1 = N(mu, diag sd²), linear / brownian: x_t ~ N(t mu, Sigma_t), Sigma_t = (1-t)² + t² sd² + t(1-t).
    // delta = A (x - t mu) + c gives ½ int sum_j (A_j² Sigma_j + c_j²) dt.
    const mu = [1.5, -1], sd = [0.5, 0.8], A = [0.5, -0.3], c = [0.4, 0.2];
    const r0 = new GaussianMixture({ means: [[0, 0]], std: 1 }), r1 = new GaussianMixture({ means: [mu], std: [sd] });
    const E = new SI.GaussianMixtureInterpolant(linear, r0, r1);
    const At = tf.tensor([A], { dtype: 'float64' }), ct = tf.tensor([c], { dtype: 'float64' }), mt = tf.tensor([mu], { dtype: 'float64' });
    const bStar: SI.Field = (x, t) => E.b(x, t);
    const bHat: SI.Field = (x, t) => E.b(x, t).add(x.sub(t.reshape(x.shape[0], 1).mul(mt)).mul(At).add(ct));
    const m = 4000;
    let exact = 0;
    for (let i = 0; i < m; i++) {
      const t = (i + 0.5) / m;
      for (let j = 0; j < 2; j++) exact += 0.5 * (A[j] ** 2 * ((1 - t) ** 2 + t * t * sd[j] ** 2 + t * (1 - t)) + c[j] ** 2) / m;
    }
    tf.manualSeed(31);
    const r = SI.fieldExcess(linear, bHat, bStar, r0.sample(20000).double(), r1.sample(20000).double());
    expect(Math.abs(r.value - exact)).toBeLessThan(4 * r.stdErr);
    expect(r.stdErr).toBeLessThan(0.02 * exact);
    expect(SI.fieldExcess(linear, bStar, bStar, r0.sample(100).double(), r1.sample(100).double()).value).toBe(0);
  });

  test('likelihoodControlBound = excess_b / eps + eps excess_s; bad input', () => {
    expect(SI.likelihoodControlBound(0.2, 0.1, 0.5)).toBeCloseTo(0.45, 14);
    expectCode(() => SI.likelihoodControlBound(0.2, 0.1, 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => SI.likelihoodControlBound(-1, 0.1, 1), 'TF_INVALID_ARGUMENT');
    const x = tf.zeros([4, 2], { dtype: 'float64' });
    expectCode(() => SI.fieldExcess(linear, (y) => y, (y) => y, x, tf.zeros([3, 2], { dtype: 'float64' })), 'TF_SHAPE_MISMATCH');
    expectCode(() => SI.fieldExcess(linear, (y) => y, (y) => y, x, x, { tMin: 0.5, tMax: 0.5 }), 'TF_INVALID_ARGUMENT');
  });
});

describe('the interpolant CLI method', () => {
  test('trains and samples through the command (ODE and SDE; (b, s), (v, eta) and (b, eta); Gaussian and 8-Gaussian bases)', async () => {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const fs = require('fs') as typeof import('fs'), os = require('os') as typeof import('os'), path = require('path') as typeof import('path');
    require('../lib/models');
    const { trainCommand } = require('../lib/cli/train') as typeof import('../lib/cli/train');
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-si-'));
    try {
      const common = ['--method', 'interpolant', '--data', 'checkerboard', '--batch', '64', '--hidden', '32', '--layers', '2',
        '--samples', '200', '--steps', '20', '--ckpt-every', '20', '--sampleSteps', '10'];
      const runs = [[], ['--sampler', 'sde', '--eps', '0.5'],
        ['--path', 'linear', '--base', '8gaussians', '--fields', 'veta', '--sampler', 'sde', '--sdeMethod', 'euler-maruyama'],
        ['--fields', 'b-eta', '--sampler', 'sde', '--eps', '0.5']];
      // The mirror path (data to data) with the official code's sigmoid gamma, ODE and SDE.
      runs.push(['--path', 'mirror', '--gamma', 'sigmoid', '--gammaScale', '2'], ['--path', 'mirror', '--gamma', 'sigmoid', '--sampler', 'sde', '--fields', 'b-eta']);
      for (const [i, extra] of runs.entries()) {
        const dir = path.join(tmp, `run${i}`);
        const r = await trainCommand([...common, ...extra, '--out', dir], () => undefined);
        expect(r.steps).toBe(20);
        const m = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
        expect(Number.isFinite(m.slicedW2)).toBe(true);
      }
      const cfg = JSON.parse(fs.readFileSync(path.join(tmp, 'run4', 'config.json'), 'utf8'));
      expect([cfg.options.path, cfg.options.gamma, cfg.options.gammaScale]).toEqual(['mirror', 'sigmoid', 2]);
      // Unknown values and invalid combinations fail before training with a TF_ code that names the valid ones.
      const fails: [string[], RegExp][] = [
        [['--gamma', 'sigmoidal'], /option 'gamma' must be one of .*sigmoid/],
        [['--path', 'mirrored'], /option 'path' must be one of .*mirror/],
        [['--path', 'mirror', '--base', '8gaussians'], /mirror path's base is the data/],
        [['--path', 'mirror', '--gamma', 'zero'], /mirror needs a nonzero gamma/],
      ];
      for (const [extra, msg] of fails) {
        await expect(trainCommand([...common, ...extra, '--out', path.join(tmp, 'bad')], () => undefined))
          .rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT', message: expect.stringMatching(msg) });
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
