// Samplers on exact cases: for a Gaussian mixture the denoiser E[x0 | x0 + sigma n] is known in closed form
// (written here on the host in float64, independent of the engine), so sampling with it must reproduce the
// mixture, and each solver's error against a converged solution must shrink at its order.
import * as tf from '../lib';
import { Tensor } from '../lib';
import * as S from '../lib/samplers';
import { arr, expectArraysEqual, expectClose, expectCode, settle } from './helpers';

const W = [0.5, 0.3, 0.2];
const MU = [[-2, 0], [2, 1], [0, -2.5]];
const SD = [0.3, 0.5, 0.4];

/** Posterior responsibilities and mean of x0 given x = x0 + sigma n, per point. */
function posterior(x: number[], sigma: number): { r: number[]; mean: number[] } {
  const logr = W.map((w, k) => {
    const v = SD[k] ** 2 + sigma ** 2;
    const d2 = (x[0] - MU[k][0]) ** 2 + (x[1] - MU[k][1]) ** 2;
    return Math.log(w) - d2 / (2 * v) - Math.log(2 * Math.PI * v);
  });
  const m = Math.max(...logr);
  const e = logr.map((l) => Math.exp(l - m));
  const z = e.reduce((a, b) => a + b, 0);
  const r = e.map((v) => v / z);
  const mean = [0, 0];
  r.forEach((rk, k) => {
    const shrink = SD[k] ** 2 / (SD[k] ** 2 + sigma ** 2);
    for (let j = 0; j < 2; j++) mean[j] += rk * (MU[k][j] + shrink * (x[j] - MU[k][j]));
  });
  return { r, mean };
}

function logDensity(x: number[]): number {
  let p = 0;
  W.forEach((w, k) => {
    const v = SD[k] ** 2;
    p += (w / (2 * Math.PI * v)) * Math.exp(-((x[0] - MU[k][0]) ** 2 + (x[1] - MU[k][1]) ** 2) / (2 * v));
  });
  return Math.log(p);
}

// The same posterior mean as posterior(), in one typed-array pass (the solvers call it thousands of times).
const exactDenoiser: S.Denoiser = (x: Tensor, sigma: number) => {
  const v = x.dataSync() as Float64Array;
  const out = new Float64Array(v.length);
  const lr = new Float64Array(3), shrink = new Float64Array(3);
  const c = W.map((w, k) => Math.log(w) - Math.log(2 * Math.PI * (SD[k] ** 2 + sigma ** 2)));
  const iv = SD.map((s) => 1 / (2 * (s * s + sigma * sigma)));
  for (let k = 0; k < 3; k++) shrink[k] = SD[k] ** 2 / (SD[k] ** 2 + sigma ** 2);
  for (let i = 0; i < v.length; i += 2) {
    let m = -Infinity;
    for (let k = 0; k < 3; k++) {
      const a = v[i] - MU[k][0], b = v[i + 1] - MU[k][1];
      lr[k] = c[k] - (a * a + b * b) * iv[k];
      if (lr[k] > m) m = lr[k];
    }
    let z = 0, o0 = 0, o1 = 0;
    for (let k = 0; k < 3; k++) {
      const e = Math.exp(lr[k] - m);
      z += e;
      o0 += e * (MU[k][0] + shrink[k] * (v[i] - MU[k][0]));
      o1 += e * (MU[k][1] + shrink[k] * (v[i + 1] - MU[k][1]));
    }
    out[i] = o0 / z;
    out[i + 1] = o1 / z;
  }
  return tf.tensor(out, { shape: x.shape });
};

function points(t: Tensor): number[][] {
  const v = t.dataSync() as ArrayLike<number>;
  return Array.from({ length: v.length / 2 }, (_, i) => [v[2 * i], v[2 * i + 1]]);
}

/** Mixture statistics of samples: component frequencies (by responsibility at sigma 0) and E[log p]. */
function stats(t: Tensor): { freq: number[]; meanLogP: number } {
  const ps = points(t);
  const freq = [0, 0, 0];
  let lp = 0;
  for (const p of ps) {
    const r = posterior(p, 0).r;
    freq[r.indexOf(Math.max(...r))] += 1 / ps.length;
    lp += logDensity(p) / ps.length;
  }
  return { freq, meanLogP: lp };
}

// The exact E[log p] = -H by quadrature on [-6, 6]² with step 0.01 (the density's finest scale is std 0.3, so
// the midpoint rule is accurate far beyond the tolerances below): -1.8811.
function exactMeanLogP(): number {
  let acc = 0;
  const h = 0.01;
  for (let x = -6 + h / 2; x < 6; x += h) {
    for (let y = -6 + h / 2; y < 6; y += h) {
      const l = logDensity([x, y]);
      acc += Math.exp(l) * l * h * h;
    }
  }
  return acc;
}

describe('solvers reproduce a Gaussian mixture with its exact denoiser', () => {
  const n = 4000;
  const target = exactMeanLogP();
  // Frequencies: binomial sampling error sqrt(w (1 - w) / n) <= 0.008; 4 of those is 0.032. E[log p]: the
  // samples' own MC error is std(log p) / sqrt(n) = 1.25 / 63 = 0.02, so 0.06 is 3 sigma.
  test.each([['heun', 32, 63], ['dpmpp2m', 48, 48], ['euler', 256, 256]] as [S.SolverName, number, number][])(
    '%s with %d levels', (name, steps, nfe) => {
      tf.manualSeed(1);
      const x = tf.randn([n, 2], { dtype: 'float64' }).mul(80);
      const r = S.sample(name, exactDenoiser, x, S.edmSigmas(steps));
      expect(r.nfe).toBe(nfe);
      const st = stats(r.x);
      st.freq.forEach((f, k) => expect(Math.abs(f - W[k])).toBeLessThan(0.032));
      expect(Math.abs(st.meanLogP - target)).toBeLessThan(0.06);
    });

  test('stochastic Heun (churn) and DDPM/DDIM over a discrete VP schedule', () => {
    tf.manualSeed(2);
    // Churn adds discretisation error (measured: 32 levels with S_churn 20 sits 0.08 nats low, 64 levels with
    // S_churn 10 within the MC error), so the stochastic sampler gets the finer grid.
    const heun = S.sample('heun', exactDenoiser, tf.randn([n, 2], { dtype: 'float64' }).mul(80), S.edmSigmas(64),
      { sChurn: 10, sTmin: 0.05, sTmax: 50 });
    const sched = S.ddpmSchedule(1000, 'linear');
    // E[n | x_t] from the EDM denoiser at the equivalent level: x_t / alpha = x0 + (sigma / alpha) n
    const eps: S.EpsModel = (x, t) => {
      const a = Math.sqrt(sched.alphaBars[t]), s = Math.sqrt(1 - sched.alphaBars[t]);
      return x.sub(exactDenoiser(x.div(a), s / a).mul(a)).div(s);
    };
    const ts = Array.from({ length: 125 }, (_, i) => 999 - 8 * i);  // 50 levels measured 0.064 nats too sharp
    const ddim = S.run(S.ddimSolver(eps, tf.randn([n, 2], { dtype: 'float64' }), sched, ts, 0));
    const ddpm = S.run(S.ddpmSolver(eps, tf.randn([n, 2], { dtype: 'float64' }), sched));
    expect(ddim.nfe).toBe(125);
    expect(ddpm.nfe).toBe(1000);
    for (const [label, r] of [['churn', heun.x], ['ddim', ddim.x], ['ddpm', ddpm.x]] as [string, Tensor][]) {
      const st = stats(r);
      st.freq.forEach((f, k) => expect(Math.abs(f - W[k])).toBeLessThan(0.032));
      expect([label, Math.abs(st.meanLogP - target) < 0.06]).toEqual([label, true]);
    }
  });
});

describe('solver convergence order on the exact probability-flow ODE', () => {
  // One fixed batch, float64; the reference is Heun with 4096 levels (error ~1e-7, far below the errors fitted).
  tf.manualSeed(3);
  const x = tf.randn([64, 2], { dtype: 'float64' }).mul(80);
  const grid = (n: number) => S.edmSigmas(n, { sigmaMin: 0.02 });
  const ref = arr(S.sample('heun', exactDenoiser, x, grid(4096)).x);
  const err = (name: S.SolverName, n: number) => {
    const y = arr(S.sample(name, exactDenoiser, x, grid(n)).x);
    return Math.sqrt(y.reduce((a, v, i) => a + (v - ref[i]) ** 2, 0) / y.length);
  };
  // Observed order = log2(e(N) / e(2N)) over a doubling; accept 0.7-1.4 for first order, >= 1.6 for second.
  test.each([['euler', 0.7, 1.4], ['heun', 1.6, 3], ['dpmpp2m', 1.6, 3]] as [S.SolverName, number, number][])(
    '%s', (name, lo, hi) => {
      const e1 = err(name, 64), e2 = err(name, 128);
      const order = Math.log2(e1 / e2);
      expect(order).toBeGreaterThan(lo);
      expect(order).toBeLessThan(hi);
    });
});

describe('schedules, grids and preconditioning', () => {
  test('EDM sigma and time are inverse; VP-type schedules preserve variance', () => {
    for (const name of S.SCHEDULES) {
      const sc = S.schedule(name);
      for (const s of [0.01, 0.3, 1, 7, 60]) expect(sc.edmSigma(sc.timeOfEdmSigma(s))).toBeCloseTo(s, 9);
      const t = name === 'edm' ? 3 : name === 'trigflow' ? 0.7 : 0.4;
      expect(sc.edmSigma(t)).toBeCloseTo(sc.sigma(t) / sc.alpha(t), 12);
      expect(sc.logSnr(t)).toBeCloseTo(-2 * Math.log(sc.edmSigma(t)), 9);
      if (name === 'vp' || name === 'cosine') expect(sc.alpha(t) ** 2 + sc.sigma(t) ** 2).toBeCloseTo(1, 12);
    }
    expect(S.schedule('cosine').logSnr(0)).toBeCloseTo(15, 9);
    expect(S.schedule('cosine').logSnr(1)).toBeCloseTo(-15, 9);
    expectCode(() => S.schedule('bogus' as S.ScheduleName), 'TF_INVALID_ARGUMENT');
  });

  test('grids', () => {
    const g = S.edmSigmas(18);
    expect(g.length).toBe(19);
    expect(g[0]).toBeCloseTo(80, 12);
    expect(g[17]).toBeCloseTo(0.002, 12);
    expect(g[18]).toBe(0);
    const l = S.logSnrSigmas(5, { sigmaMin: 0.01, sigmaMax: 100 });
    expectClose(l, [100, 10, 1, 0.1, 0.01, 0], 1e-12, 1e-12);
    expect(S.uniformTimes(4, 1, 0)).toEqual([1, 0.75, 0.5, 0.25, 0]);
    const d = S.ddpmSchedule(1000);
    expect(d.betas[0]).toBeCloseTo(1e-4, 15);
    expect(d.betas[999]).toBeCloseTo(0.02, 15);
    expect(d.alphaBars[999]).toBeCloseTo(4.04e-5, 6);  // the DDPM paper's value, ~exp(-10)
    expectCode(() => S.edmSigmas(0), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.sample('euler', exactDenoiser, tf.zeros([1, 2], { dtype: 'float64' }), [1, 2, 0]), 'TF_INVALID_ARGUMENT');
    expectCode(() => S.sample('rk9' as S.SolverName, exactDenoiser, tf.zeros([1, 2]), [1, 0]), 'TF_INVALID_ARGUMENT');
  });

  test('EDM preconditioning: closed forms at sigma = sigmaData, and tensor form equals scalar', () => {
    const c = S.preconditioning('edm', 0.5, { sigmaData: 0.5 });
    expect(c.cSkip).toBeCloseTo(0.5, 14);
    expect(c.cOut).toBeCloseTo(0.5 / Math.SQRT2, 14);
    expect(c.cIn).toBeCloseTo(Math.SQRT2, 14);
    const sig = tf.tensor([0.01, 0.5, 3, 40], { dtype: 'float64' });
    for (const kind of S.PRECONDITIONINGS) {
      const ct = S.preconditioningTensor(kind, sig);
      arr(sig).forEach((s, i) => {
        const cs = S.preconditioning(kind, s);
        for (const key of ['cSkip', 'cOut', 'cIn', 'cNoise'] as const) expect(arr(ct[key])[i]).toBeCloseTo(cs[key], 10);
      });
    }
  });

  test('TrigFlow preconditioning is the consistency function f = cos t x_t - sin t sigmaD F(x_t / sigmaD, t)', () => {
    const sd = 0.5;
    const net = (xIn: Tensor, c: number) => xIn.tanh().mul(c + 0.3);
    const D = S.preconditionedDenoiser(net, 'trigflow', { sigmaData: sd });
    tf.manualSeed(4);
    const xEdm = tf.randn([5, 3], { dtype: 'float64' });
    for (const t of [0.2, 1.1, 1.5]) {
      const s = sd * Math.tan(t), xt = xEdm.mul(Math.cos(t));
      const f = S.trigflowStep(xt, net(xt.div(sd), t), t, 0, sd);
      expectClose(arr(D(xEdm, s)), arr(f), 1e-12, 1e-12);
    }
  });
});

describe('sampling: async form, progress and memory', () => {
  test('sampleAsync equals sample and reports every step', async () => {
    tf.manualSeed(5);
    const x = tf.randn([16, 2], { dtype: 'float64' }).mul(80);
    const sync = S.sample('heun', exactDenoiser, x, S.edmSigmas(6), { sChurn: 5 });
    const seen: number[] = [];
    tf.manualSeed(5);
    tf.randn([16, 2], { dtype: 'float64' });
    const asyncR = await S.sampleAsync('heun', exactDenoiser, x, S.edmSigmas(6), { sChurn: 5, onProgress: (p) => seen.push(p.step) });
    expectArraysEqual(arr(asyncR.x), arr(sync.x), 'samplers line 233');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(x.isDisposed).toBe(false);
  });

  test('native memory is the same before and after sampling (result disposed)', async () => {
    const x = tf.randn([256, 2], { dtype: 'float64' });
    for (const name of S.SOLVER_NAMES) S.sample(name, exactDenoiser, x, S.edmSigmas(4)).x.dispose();
    await settle();
    const before = tf.memory().bytes;
    for (let i = 0; i < 3; i++) for (const name of S.SOLVER_NAMES) S.sample(name, exactDenoiser, x, S.edmSigmas(8)).x.dispose();
    await settle();
    expect(tf.memory().bytes).toBe(before);
  });
});
