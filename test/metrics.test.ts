// tensorfield.metrics without the classifier: Fréchet distance and its linear algebra, two-sample distances,
// mode coverage, likelihood conversions and forecast scores, against closed forms and independent computations.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as tf from '../lib';
import { Tensor } from '../lib';

const M = tf.metrics;

// ---- helpers -------------------------------------------------------------------------------------------------

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}
function normals(n: number, seed: number): Float64Array {
  const r = lcg(seed), out = new Float64Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - r(), v = r(), m = Math.sqrt(-2 * Math.log(u));
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}
/** n rows of d standard normals shifted by `shift`. */
function gaussRows(n: number, d: number, seed: number, shift: number[] = []): number[][] {
  const z = normals(n * d, seed);
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => z[i * d + j] + (shift[j] ?? 0)));
}
function randomSpd(d: number, seed: number, rank = d): Float64Array {
  const a = normals(d * rank, seed), s = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let v = 0;
    for (let k = 0; k < rank; k++) v += a[i * rank + k] * a[j * rank + k];
    s[i * d + j] = v / rank;
  }
  return s;
}
function mm(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * n + k] * b[k * n + j];
  return c;
}
function inverse(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a), inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    for (let k = 0; k < n; k++) {
      [m[c * n + k], m[p * n + k]] = [m[p * n + k], m[c * n + k]];
      [inv[c * n + k], inv[p * n + k]] = [inv[p * n + k], inv[c * n + k]];
    }
    const piv = m[c * n + c];
    for (let k = 0; k < n; k++) { m[c * n + k] /= piv; inv[c * n + k] /= piv; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      for (let k = 0; k < n; k++) { m[r * n + k] -= f * m[c * n + k]; inv[r * n + k] -= f * inv[c * n + k]; }
    }
  }
  return inv;
}
/**
 * tr((S1 S2)^½) by the Denman-Beavers iteration on the non-symmetric product: an algorithm independent of
 * the library's symmetric-eigen route (no eigen-decomposition at all).
 */
function traceSqrtProductDB(s1: Float64Array, s2: Float64Array, n: number): number {
  let y = mm(s1, s2, n);
  let z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  for (let it = 0; it < 60; it++) {
    const yi = inverse(y, n), zi = inverse(z, n);
    y = y.map((v, i) => 0.5 * (v + zi[i]));
    z = z.map((v, i) => 0.5 * (v + yi[i]));
  }
  let t = 0;
  for (let i = 0; i < n; i++) t += y[i * n + i];
  return t;
}
function trace(s: Float64Array, n: number): number { let t = 0; for (let i = 0; i < n; i++) t += s[i * n + i]; return t; }
function code(fn: () => unknown): string | undefined {
  try { fn(); } catch (e) { return (e as { code?: string }).code; }
  return 'no error';
}
const havePython = (() => {
  try { execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' }); return fs.existsSync('/usr/bin/python3'); } catch { return false; }
})();

// Null distribution of a two-sample statistic by random re-splits of the pooled sample: its spread is the
// estimator's own sampling error, the yardstick for "near zero" in the tests below.
function permutationSpread(x: number[][], y: number[][], stat: (a: number[][], b: number[][]) => number, reps: number, seed: number): { mean: number; sd: number } {
  const pooled = [...x, ...y], r = lcg(seed), vals: number[] = [];
  for (let k = 0; k < reps; k++) {
    const p = pooled.slice();
    for (let i = p.length - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [p[i], p[j]] = [p[j], p[i]]; }
    vals.push(stat(p.slice(0, x.length), p.slice(x.length)));
  }
  const mean = vals.reduce((a, b) => a + b, 0) / reps;
  const sd = Math.sqrt(vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (reps - 1));
  return { mean, sd };
}

// ---- linear algebra and Fréchet distance ---------------------------------------------------------------------

describe('symmetricEigen', () => {
  test('reconstructs a random symmetric matrix with orthonormal vectors', () => {
    const n = 12, a = randomSpd(n, 3).map((v, i) => v - (i % (n + 1) === 0 ? 0.7 : 0));  // indefinite
    const { values, vectors } = M.symmetricEigen(a, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let rec = 0, dot = 0;
      for (let k = 0; k < n; k++) { rec += vectors[i * n + k] * values[k] * vectors[j * n + k]; dot += vectors[k * n + i] * vectors[k * n + j]; }
      // Jacobi is backward stable: errors of a few ulps times the matrix norm (here ~3).
      expect(Math.abs(rec - a[i * n + j])).toBeLessThan(1e-12);
      expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-12);
    }
    expect(values.reduce((s, v) => s + v, 0)).toBeCloseTo(trace(a, n), 12);
  });
});

describe('frechetDistance', () => {
  test('diagonal covariances: |dmu|² + Σ (sqrt a - sqrt b)²', () => {
    const a = [1, 4, 0.25, 9], b = [2, 1, 1, 0.5], mu1 = [0, 1, 2, 3], mu2 = [1, 1, 0, 3];
    const diag = (v: number[]) => { const s = new Float64Array(16); v.forEach((x, i) => { s[i * 5] = x; }); return s; };
    const expected = 1 + 4 + a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i])) ** 2, 0);
    expect(M.frechetDistance(mu1, diag(a), mu2, diag(b))).toBeCloseTo(expected, 12);
  });

  test('commuting covariances (shared rotated eigenvectors) follow the same closed form', () => {
    const d = 6, q = M.symmetricEigen(randomSpd(d, 11), d).vectors;  // an orthogonal matrix
    const a = [0.1, 1, 2, 3, 5, 8], b = [1, 1, 0.5, 4, 0.01, 2];
    const build = (ev: number[]) => {
      const s = new Float64Array(d * d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < d; k++) s[i * d + j] += q[i * d + k] * ev[k] * q[j * d + k];
      return s;
    };
    const mu = new Array(d).fill(0);
    const expected = a.reduce((s, ai, i) => s + (Math.sqrt(ai) - Math.sqrt(b[i])) ** 2, 0);
    expect(M.frechetDistance(mu, build(a), mu, build(b))).toBeCloseTo(expected, 10);
  });

  test('1-D: (m1 - m2)² + (s1 - s2)²', () => {
    expect(M.frechetDistance([1], [4], [3], [9])).toBeCloseTo(4 + 1, 14);
  });

  test('identical Gaussians give 0 within rounding', () => {
    const d = 40, s = randomSpd(d, 5), mu = Array.from({ length: d }, (_, i) => i);
    // The cross term reproduces tr(S) through two eigen-decompositions: error ~ 1e-13 relative to tr(S) = 40.
    expect(M.frechetDistance(mu, s, mu, s)).toBeLessThan(1e-9 * trace(s, d));
  });

  test('non-commuting covariances match the Denman-Beavers square root of S1 S2', () => {
    const d = 8, s1 = randomSpd(d, 21), s2 = randomSpd(d, 22);
    const mu1 = Array.from({ length: d }, (_, i) => Math.sin(i)), mu2 = Array.from({ length: d }, (_, i) => Math.cos(i));
    const dm = mu1.reduce((s, v, i) => s + (v - mu2[i]) ** 2, 0);
    const expected = dm + trace(s1, d) + trace(s2, d) - 2 * traceSqrtProductDB(s1, s2, d);
    const got = M.frechetDistance(mu1, s1, mu2, s2);
    expect(Math.abs(got - expected)).toBeLessThan(1e-9 * (trace(s1, d) + trace(s2, d)));
    // Symmetric in its arguments although the formula is not written symmetrically.
    expect(M.frechetDistance(mu2, s2, mu1, s1)).toBeCloseTo(got, 10);
  });

  (havePython ? test : test.skip)('non-commuting covariances match numpy (eigenvalues of S1 S2)', () => {
    const d = 10, s1 = randomSpd(d, 31), s2 = randomSpd(d, 32, 4);  // s2 singular (rank 4)
    const mu1 = new Array(d).fill(0.5), mu2 = new Array(d).fill(0);
    const py = `import json,sys,numpy as np
a=json.load(sys.stdin);d=a['d'];s1=np.array(a['s1']).reshape(d,d);s2=np.array(a['s2']).reshape(d,d)
ev=np.linalg.eigvals(s1@s2).real.clip(0)
print(float(np.sum((np.array(a['m1'])-np.array(a['m2']))**2)+np.trace(s1)+np.trace(s2)-2*np.sum(np.sqrt(ev))))`;
    const out = execFileSync('/usr/bin/python3', ['-c', py], { input: JSON.stringify({ d, s1: Array.from(s1), s2: Array.from(s2), m1: mu1, m2: mu2 }) });
    // numpy's eigenvalues of the singular product carry errors ~eps·|S1 S2| ~ 1e-15, and the square root lifts
    // each of the 6 zero ones to ~3e-8: that, not this library, limits the agreement.
    expect(Math.abs(M.frechetDistance(mu1, s1, mu2, s2) - Number(out.toString()))).toBeLessThan(6 * 2 * Math.sqrt(1e-15 * 10));
  });

  test('singular covariances: zero eigenvalues rounded below zero are clamped, not NaN', () => {
    // N(0, diag(1, 0)) vs N(0, diag(0, 1)): W2² = (1 - 0)² + (0 - 1)² = 2.
    expect(M.frechetDistance([0, 0], [1, 0, 0, 0], [0, 0], [0, 0, 0, 1])).toBeCloseTo(2, 12);
    // Covariance of 5 samples in 20-D has rank 4: finite, and 0 against itself.
    const rows = gaussRows(5, 20, 7);
    const st = M.gaussianStats(rows);
    const fd = M.frechetDistance(st.mu, st.cov, st.mu, st.cov);
    expect(Number.isFinite(fd)).toBe(true);
    expect(fd).toBeLessThan(1e-9);
  });

  test('gaussianStats: mean and unbiased covariance, from tensors or rows', () => {
    const rows = [[1, 2], [3, 5], [5, 11]];
    const st = M.gaussianStats(tf.tensor(rows));
    expect(Array.from(st.mu)).toEqual([3, 6]);
    // var(x) = 4, var(y) = (16 + 1 + 25)/2 = 21, cov = (-2*-4 + 0 + 2*5)/2 = 9
    expect(Array.from(st.cov)).toEqual([4, 9, 9, 21]);
    expect(st.count).toBe(3);
    expect(Array.from(M.gaussianStats(rows).cov)).toEqual([4, 9, 9, 21]);
  });

  test('bad input: clear codes', () => {
    expect(code(() => M.gaussianStats([[1, 2]]))).toBe('TF_INVALID_ARGUMENT');        // one sample: no covariance
    expect(code(() => M.gaussianStats([[1, 2], [3]]))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.gaussianStats([[1, NaN], [3, 4]]))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.gaussianStats(tf.zeros([2, 3, 4])))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.frechetDistance([0, 0], [1, 0, 0, 1], [0], [1]))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.frechetDistance([0, 0], [1, 0, 0], [0, 0], [1, 0, 0, 1]))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.frechetDistance([0, 0], [1, 2, 0, 1], [0, 0], [1, 0, 0, 1]))).toBe('TF_INVALID_ARGUMENT');  // not symmetric
    expect(code(() => M.frechetDistance([0, Infinity], [1, 0, 0, 1], [0, 0], [1, 0, 0, 1]))).toBe('TF_INVALID_ARGUMENT');
    const a = M.gaussianStats(gaussRows(4, 2, 1)), b = M.gaussianStats(gaussRows(4, 3, 2));
    expect(code(() => M.frechetDistanceStats(a, b))).toBe('TF_SHAPE_MISMATCH');
  });
});

// ---- two-sample distances ------------------------------------------------------------------------------------

describe('gaussianKL', () => {
  test('against the 2 x 2 closed form written with an explicit inverse and determinants', () => {
    const m1 = [0.3, -1], C1 = [2, 0.6, 0.6, 1], m2 = [1, 0.5], C2 = [1.5, -0.4, -0.4, 0.8];
    const det = (c: number[]) => c[0] * c[3] - c[1] * c[2];
    const inv2 = [C2[3] / det(C2), -C2[1] / det(C2), -C2[2] / det(C2), C2[0] / det(C2)];
    const tr = inv2[0] * C1[0] + inv2[1] * C1[2] + inv2[2] * C1[1] + inv2[3] * C1[3];
    const d = [m2[0] - m1[0], m2[1] - m1[1]];
    const maha = d[0] * (inv2[0] * d[0] + inv2[1] * d[1]) + d[1] * (inv2[2] * d[0] + inv2[3] * d[1]);
    const ref = 0.5 * (tr + maha - 2 + Math.log(det(C2) / det(C1)));
    expect(Math.abs(M.gaussianKL(m1, C1, m2, C2) - ref)).toBeLessThan(1e-14);
    expect(M.gaussianKL(m1, C1, m1, C1)).toBeCloseTo(0, 14);
    // 1-D: ½ [v1/v2 + (m2 - m1)²/v2 - 1 + ln(v2/v1)].
    expect(M.gaussianKL([0], [4], [1], [2])).toBeCloseTo(0.5 * (2 + 0.5 - 1 + Math.log(0.5)), 14);
  });

  test('bad input', () => {
    expect(() => M.gaussianKL([0, 0], [1, 0, 0, -1], [0, 0], [1, 0, 0, 1])).toThrow(/positive definite/);
    expect(() => M.gaussianKL([0, 0], [1, 0, 0, 1], [0], [1])).toThrow(/length/);
  });
});

describe('knnCrossEntropy', () => {
  test('H(p, q) for 2-D Gaussians against the closed form, and the KL it gives', () => {
    // p = N(0, I2): H(p, p) = log(2 pi e) = 2.8379. q = N((0.5, 0), 1.5² I2): H(p, q) = log(2 pi 1.5²) + (2 + 0.25) / (2 * 1.5²).
    tf.manualSeed(41);
    const x = tf.randn([3000, 2], { dtype: 'float64' }), y = tf.randn([3000, 2], { dtype: 'float64' });
    const hpp = M.knnCrossEntropy(x, y);
    expect(Math.abs(hpp.value - Math.log(2 * Math.PI * Math.E))).toBeLessThan(4 * hpp.stdErr + 0.02);
    const q = y.mul(1.5).add(tf.tensor([[0.5, 0]], { dtype: 'float64' }));
    const hpq = M.knnCrossEntropy(x, q, { k: 3 });
    const ref = Math.log(2 * Math.PI * 2.25) + 2.25 / (2 * 2.25);
    expect(Math.abs(hpq.value - ref)).toBeLessThan(4 * hpq.stdErr + 0.03);
    expect(hpq.perPoint.length).toBe(3000);
  });

  test('bad input', () => {
    const x = tf.zeros([4, 2], { dtype: 'float64' });
    expect(() => M.knnCrossEntropy(x, tf.zeros([4, 3], { dtype: 'float64' }))).toThrow(/dimension/);
    expect(() => M.knnCrossEntropy(x, tf.randn([4, 2]), { k: 5 })).toThrow(/k must be/);
    expect(() => M.knnCrossEntropy(x, x, { k: 2 })).toThrow(/duplicates/);
  });
});

describe('sliced Wasserstein', () => {
  test('1-D empirical W_p walks the quantile functions exactly, for unequal sizes too', () => {
    const w = (x: number[], y: number[], p: number) => M.wasserstein1dPow(Float64Array.from(x).sort(), Float64Array.from(y).sort(), p);
    expect(w([0, 1], [0.5], 1)).toBeCloseTo(0.5, 15);
    expect(w([0, 1], [0.5], 2)).toBeCloseTo(0.25, 15);
    // F^-1 = 0 on (0, ½), 3 on (½, 1); G^-1 = 1 on (0, ⅓), 2 on (⅓, ⅔), 4 on (⅔, 1)
    expect(w([0, 3], [1, 2, 4], 1)).toBeCloseTo((1 / 3) * 1 + (1 / 6) * 2 + (1 / 6) * 1 + (1 / 3) * 1, 14);
    expect(M.slicedWasserstein(Float64Array.of(0, 1, 2), Float64Array.of(5, 6, 7), { p: 1 })).toBeCloseTo(5, 14);
  });

  test('a pure shift: every projection moves by theta·delta, so SW matches the sphere averages', () => {
    const d = 2, L = 512, delta = [3, -4];  // |delta| = 5
    const x = gaussRows(400, d, 9), y = x.map((r) => r.map((v, j) => v + delta[j]));
    // E (theta·delta)² = |delta|²/d; Var((theta_1)²) = 3/(d(d+2)) - 1/d² = 1/8 for d = 2, so the L-direction
    // average has sd |delta|² sqrt(1/8/L); 4 sd.
    const sw2 = M.slicedWasserstein(x, y, { p: 2, projections: L, seed: 1 }) ** 2;
    expect(Math.abs(sw2 - 25 / 2)).toBeLessThan(4 * 25 * Math.sqrt(1 / 8 / L));
    // E|theta_1| = 2/pi in 2-D; Var |theta_1| = 1/2 - 4/pi².
    const sw1 = M.slicedWasserstein(x, y, { p: 1, projections: L, seed: 1 });
    expect(Math.abs(sw1 - 5 * 2 / Math.PI)).toBeLessThan(4 * 5 * Math.sqrt((0.5 - 4 / Math.PI ** 2) / L));
    // Seeded: the same directions for the same seed.
    expect(M.slicedWasserstein(x, y, { seed: 1, projections: 16 })).toBe(M.slicedWasserstein(x, y, { seed: 1, projections: 16 }));
  });

  test('same distribution: within the empirical-measure error; shifted and mode-dropped clearly larger', () => {
    const n = 1000, x = gaussRows(n, 2, 41), y = gaussRows(n, 2, 42);
    // Each projection of N(0, I) is N(0, 1); E W1(F_n, F) <= J/sqrt(n) with J = ∫ sqrt(Phi(1 - Phi)) dx, so two
    // samples are at most 2J/sqrt(n) apart on average; allow twice that.
    let J = 0;
    for (let t = -10; t < 10; t += 1e-3) { const F = M.normalCdf(t + 5e-4); J += Math.sqrt(F * (1 - F)) * 1e-3; }
    const same = M.slicedWasserstein(x, y, { p: 1 });
    expect(same).toBeLessThan(2 * 2 * J / Math.sqrt(n));
    expect(M.slicedWasserstein(x, gaussRows(n, 2, 43, [1, 0]), { p: 1 })).toBeGreaterThan(5 * same);
    // Blurred: the same points convolved with N(0, 1) noise (sd sqrt 2): each projection's W1 is
    // (sqrt 2 - 1) E|Z| = 0.33.
    const noise = normals(2 * n, 47);
    const blurred = y.map((r, i) => r.map((v, j) => v + noise[2 * i + j]));
    expect(M.slicedWasserstein(x, blurred, { p: 1 })).toBeGreaterThan(3 * same);
    // Mixture of two modes vs only one of them.
    const mix = gaussRows(n, 2, 44).map((r, i) => [r[0] * 0.3 + (i % 2 ? 3 : -3), r[1] * 0.3]);
    const mix2 = gaussRows(n, 2, 45).map((r, i) => [r[0] * 0.3 + (i % 2 ? 3 : -3), r[1] * 0.3]);
    const dropped = gaussRows(n, 2, 46).map((r) => [r[0] * 0.3 + 3, r[1] * 0.3]);
    expect(M.slicedWasserstein(mix, dropped)).toBeGreaterThan(10 * M.slicedWasserstein(mix, mix2));
  });
});

describe('MMD² and energy distance', () => {
  const bw = { bandwidths: [0.5, 1, 2] };
  test('point masses: closed forms', () => {
    const a = Array.from({ length: 5 }, () => [0, 0]), b = Array.from({ length: 4 }, () => [3, 4]);
    // Each within-set kernel value is k(0) = 3 (three bandwidths); cross = Σ exp(-25 / (2 s²)).
    const kab = [0.5, 1, 2].reduce((s, v) => s + Math.exp(-25 / (2 * v * v)), 0);
    expect(M.mmd2(a, b, bw)).toBeCloseTo(3 + 3 - 2 * kab, 12);
    // 2 E|X - Y| - E|X - X'| - E|Y - Y'| = 2 * 5.
    expect(M.energyDistance(a, b)).toBeCloseTo(10, 12);
    expect(M.energyDistance(Float64Array.of(1, 1, 1), Float64Array.of(-2, -2))).toBeCloseTo(6, 12);
  });

  test('same distribution: within the permutation null, which is centred on 0 (unbiased); shifts far outside', () => {
    const x = gaussRows(150, 2, 51), y = gaussRows(150, 2, 52);
    for (const stat of [(a: number[][], b: number[][]) => M.mmd2(a, b, bw), (a: number[][], b: number[][]) => M.energyDistance(a, b)]) {
      const nul = permutationSpread(x, y, stat, 20, 3);
      // The estimator's own sampling error is the null sd; 4 sd for the observed value, and the null's mean
      // (20 draws, standard error sd/sqrt(20)) within 4 standard errors of 0.
      expect(Math.abs(stat(x, y))).toBeLessThan(4 * nul.sd);
      expect(Math.abs(nul.mean)).toBeLessThan(4 * nul.sd / Math.sqrt(20));
      expect(stat(x, gaussRows(150, 2, 53, [0.7, 0]))).toBeGreaterThan(8 * nul.sd);
      expect(stat(x, x.map((r) => r.map((v) => v * 0.6)))).toBeGreaterThan(4 * nul.sd);  // too narrow
      expect(stat(x, y.map((r) => r.map((v) => v * 1.6)))).toBeGreaterThan(4 * nul.sd);  // blurred: too wide
    }
  });

  test('the default median-heuristic bandwidths give a positive MMD for a shift and accept tensors', () => {
    const x = tf.tensor(gaussRows(300, 3, 61));
    const y = tf.tensor(gaussRows(300, 3, 62, [1, 1, 1]), { dtype: 'float64' });
    expect(M.mmd2(x, y)).toBeGreaterThan(0.1);
  });

  test('bad input', () => {
    expect(code(() => M.mmd2([[0, 1]], [[0, 1], [1, 1]]))).toBe('TF_INVALID_ARGUMENT');   // one sample
    expect(code(() => M.mmd2([[0, 1], [1, 1]], [[0], [1]]))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.mmd2([[0, 1], [1, 1]], [[0, 1], [1, 1]], { bandwidths: [0] }))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.energyDistance([[0, NaN], [1, 1]], [[0, 1], [1, 1]]))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.slicedWasserstein([[0, 1]], [[0, 1]], { p: 3 }))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.slicedWasserstein(tf.zeros([2, 2, 2]), [[0, 1]]))).toBe('TF_SHAPE_MISMATCH');
  });
});

describe('modeCoverage', () => {
  const modes = Array.from({ length: 8 }, (_, k) => [Math.cos(k * Math.PI / 4) * 4, Math.sin(k * Math.PI / 4) * 4]);
  test('counts, modes hit, off-mode fraction and TV on a constructed sample', () => {
    const near = (k: number, e: number) => [modes[k][0] + e, modes[k][1] - e];
    const samples = [
      ...Array.from({ length: 10 }, (_, i) => near(0, 0.01 * i)),
      ...Array.from({ length: 10 }, (_, i) => near(1, -0.02 * i)),
      ...Array.from({ length: 5 }, () => [0, 0]),          // the centre: 4 away from every mode
    ];
    const c = M.modeCoverage(samples, modes, { radius: 0.5 });
    expect(c.counts).toEqual([10, 10, 0, 0, 0, 0, 0, 0]);
    expect(c.modesHit).toBe(2);
    expect(c.fractionHit).toBe(0.25);
    expect(c.offModeFraction).toBeCloseTo(5 / 25, 15);
    // on-mode histogram (½, ½, 0...) vs uniform ⅛: ½(2·⅜ + 6·⅛) = ¾
    expect(c.tv).toBeCloseTo(0.75, 15);
    expect(M.modeCoverage(samples, modes, { radius: 0.5, minCount: 11 }).modesHit).toBe(0);
    const w = [1, 1, 0, 0, 0, 0, 0, 0];
    expect(M.modeCoverage(samples, modes, { radius: 0.5, weights: w }).tv).toBeCloseTo(0, 15);
    expect(M.modeCoverage([[0, 0]], modes, { radius: 0.5 }).tv).toBe(1);
  });

  test('a balanced sample covers every mode; a mode-dropped one does not', () => {
    const z = gaussRows(800, 2, 71);
    const full = z.map((r, i) => [modes[i % 8][0] + 0.1 * r[0], modes[i % 8][1] + 0.1 * r[1]]);
    const c = M.modeCoverage(full, modes, { radius: 0.6 });  // 6 sd of the jitter: nothing falls off
    expect(c.fractionHit).toBe(1);
    expect(c.offModeFraction).toBe(0);
    // 100 per mode exactly, so TV is exactly 0.
    expect(c.tv).toBeCloseTo(0, 15);
    const dropped = full.filter((_, i) => i % 8 < 3);
    const d = M.modeCoverage(dropped, modes, { radius: 0.6 });
    expect(d.fractionHit).toBeCloseTo(3 / 8, 15);
    expect(d.tv).toBeCloseTo(0.5 * (3 * (1 / 3 - 1 / 8) + 5 / 8), 12);
  });

  test('bad input', () => {
    expect(code(() => M.modeCoverage([[0, 0]], modes, { radius: -1 }))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.modeCoverage([[0, 0]], modes, { radius: 1, weights: [1, 2] }))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.modeCoverage([[0, 0, 0]], modes, { radius: 1 }))).toBe('TF_SHAPE_MISMATCH');
  });
});

// ---- likelihoods ---------------------------------------------------------------------------------------------

describe('likelihood', () => {
  // A standard normal with a logProb method: the structural interface toy densities implement.
  const stdNormal = { logProb: (x: Tensor) => x.square().sum(1).mul(-0.5).sub(x.shape[1] * 0.5 * Math.log(2 * Math.PI)) };

  test('meanLogLikelihood: exact at a point, the entropy for its own samples, worse for a shifted set', () => {
    expect(M.meanLogLikelihood(tf.zeros([7, 2]), stdNormal, { batchSize: 3 }).mean).toBeCloseTo(-Math.log(2 * Math.PI), 6);
    const x = tf.tensor(gaussRows(4000, 2, 81));
    const ll = M.meanLogLikelihood(x, stdNormal, { batchSize: 1000 });
    // E log p = -log(2 pi) - 1 (minus the entropy); 4 standard errors.
    expect(Math.abs(ll.mean - (-Math.log(2 * Math.PI) - 1))).toBeLessThan(4 * ll.stdError);
    expect(ll.count).toBe(4000);
    const shifted = M.meanLogLikelihood(x.add(1.5), stdNormal);
    expect(shifted.mean).toBeLessThan(ll.mean - 1);  // expected drop 1.5²·2/2 = 2.25
    const before = tf.memory().tensors;
    M.meanLogLikelihood(x, stdNormal, { batchSize: 100 });
    expect(tf.memory().tensors).toBe(before);
  });

  test('meanLogLikelihood: bad densities', () => {
    const x = tf.zeros([4, 2]);
    expect(code(() => M.meanLogLikelihood(x, { logProb: (t: Tensor) => t }))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.meanLogLikelihood(x, { logProb: (t: Tensor) => t.sum(1).mul(NaN) }))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.meanLogLikelihood(x, {} as never))).toBe('TF_INVALID_ARGUMENT');
  });

  test('bits per dimension: conversions and the dequantisation offset', () => {
    expect(M.bitsPerDimToNats(M.natsToBitsPerDim(1234.5, 784), 784)).toBeCloseTo(1234.5, 10);
    // A uniform density on [-1, 1)^D has NLL D ln 2; dequantised, it is the uniform law over 256 levels: 8 bits.
    const D = 784;
    expect(M.dequantizedBitsPerDim(D * Math.LN2, D)).toBeCloseTo(8, 12);
    // The /127.5 convention: the same uniform law now spans 256/127.5 in x, and still gives 8 bits.
    expect(M.dequantizedBitsPerDim(D * Math.log(256 / 127.5), D, { binWidth: 1 / 127.5 })).toBeCloseTo(8, 12);
    const u = tf.tensor(Uint8Array.of(0, 255, 128), { shape: [3] });
    const x = Array.from(M.dequantize(u).dataSync() as Float32Array);
    expect(x[0]).toBeGreaterThanOrEqual(-1);
    expect(x[0]).toBeLessThan(-1 + 1 / 128);
    expect(x[1]).toBeGreaterThanOrEqual(1 - 1 / 128);
    expect(x[1]).toBeLessThan(1);
    expect(code(() => M.natsToBitsPerDim(1, 0))).toBe('TF_INVALID_ARGUMENT');
  });

  test('bits per character', () => {
    expect(M.bitsPerCharacter(new Array(50).fill(-Math.log(27)))).toBeCloseTo(Math.log2(27), 12);
    expect(M.bitsPerCharacterFromLogits(tf.zeros([6, 64]), [0, 1, 2, 3, 4, 63])).toBeCloseTo(6, 6);
    // A confident right prediction costs almost nothing; the same logits on the wrong target cost a lot.
    const logits = tf.tensor([[10, 0, 0], [0, 10, 0]]);
    expect(M.bitsPerCharacterFromLogits(logits, [0, 1])).toBeLessThan(0.01);
    expect(M.bitsPerCharacterFromLogits(logits, [1, 0])).toBeGreaterThan(10);
    expect(code(() => M.bitsPerCharacterFromLogits(logits, [0]))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.bitsPerCharacterFromLogits(logits, [0, 3]))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.bitsPerCharacter([-1, 0.5]))).toBe('TF_INVALID_ARGUMENT');
  });
});

// ---- forecasts -----------------------------------------------------------------------------------------------

describe('forecast scores', () => {
  const quantile = (p: number) => {  // inverse normal CDF by bisection on the library's Phi
    let lo = -40, hi = 40;
    for (let i = 0; i < 64; i++) { const m = (lo + hi) / 2; if (M.normalCdf(m) < p) lo = m; else hi = m; }
    return (lo + hi) / 2;
  };

  test('erf against reference values', () => {
    // Abramowitz & Stegun table values / mpmath.
    expect(M.erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(M.erf(2)).toBeCloseTo(0.9953222650189527, 14);
    expect(M.erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(M.erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
  });

  test('sorted and pairwise CRPS agree; a one-member ensemble is the absolute error', () => {
    const r = normals(37, 91);
    for (const fair of [false, true]) {
      expect(M.crpsEnsemble(r, 0.3, { fair })).toBeCloseTo(M.crpsEnsemble(r, 0.3, { method: 'pairwise', fair }), 12);
    }
    expect(M.crpsEnsemble([2.5], -1)).toBe(3.5);
    expect(M.crpsGaussian(0, 1, 0)).toBeCloseTo((Math.SQRT2 - 1) / Math.sqrt(Math.PI), 14);
  });

  test('an ensemble of Gaussian quantiles converges to the closed-form Gaussian CRPS', () => {
    const m = 2000, mu = 1, sigma = 2;
    const members = Array.from({ length: m }, (_, i) => mu + sigma * quantile((i + 0.5) / m));
    for (const y of [1, -2, 6]) {
      // The midpoint quantiles approximate F to O(1/m) in the CRPS integral: tolerance sigma / m.
      expect(Math.abs(M.crpsEnsemble(members, y) - M.crpsGaussian(mu, sigma, y))).toBeLessThan(sigma / m);
    }
  });

  test('fair CRPS of small random ensembles is unbiased for the Gaussian CRPS; the plain one is not', () => {
    const n = 4000, m = 4, z = normals(n * m, 101), y = normals(n, 102);
    const ens = Array.from({ length: n }, (_, i) => Array.from(z.subarray(i * m, (i + 1) * m)));
    const fair = M.meanCrps(ens, y, { fair: true });
    const exact = y.reduce((s, v) => s + M.crpsGaussian(0, 1, v), 0) / n;
    // Per-forecast CRPS has sd ~0.5 here, so the mean over 4000 has sd ~0.008: 0.03 is ~4 sd.
    expect(Math.abs(fair - exact)).toBeLessThan(0.03);
    // The plain estimator overstates it by E|X - X'| / (2m) = (2/sqrt(pi)) / 8 = 0.141.
    expect(M.meanCrps(tf.tensor(ens), tf.tensor(y), {}) - exact).toBeGreaterThan(0.1);
  });

  test('a sharper, centred forecast scores better than a biased or over-dispersed one', () => {
    const members = (mu: number, s: number) => Array.from({ length: 201 }, (_, i) => mu + s * quantile((i + 0.5) / 201));
    const y = normals(500, 111);
    const score = (mu: number, s: number) => { const e = members(mu, s); return M.meanCrps(Array.from(y, () => e), y); };
    const good = score(0, 1);
    expect(score(1, 1)).toBeGreaterThan(good + 0.1);
    expect(score(0, 3)).toBeGreaterThan(good + 0.1);
  });

  test('quantile loss: closed form and minimised at the true quantile', () => {
    expect(M.quantileLoss([1], [3], 0.9)).toBeCloseTo(0.9 * 2, 15);
    expect(M.quantileLoss([3], [1], 0.9)).toBeCloseTo(0.1 * 2, 15);
    const y = normals(5000, 121), n = y.length;
    const at = (q: number, tau: number) => M.quantileLoss(new Array(n).fill(q), y, tau);
    for (const tau of [0.1, 0.5, 0.9]) {
      const q = quantile(tau);
      expect(at(q, tau)).toBeLessThan(at(q + 0.3, tau));
      expect(at(q, tau)).toBeLessThan(at(q - 0.3, tau));
    }
    // Several levels at once: predictions [n, K].
    expect(M.quantileLoss([[0, 1], [2, 3]].flat(), [1, 1], [0.25, 0.75])).toBeCloseTo((0.25 + 0 + 0.75 + 0.25 * 2) / 4, 15);
    expect(code(() => M.quantileLoss([1, 2, 3], [1, 2], [0.5]))).toBe('TF_SHAPE_MISMATCH');
    expect(code(() => M.quantileLoss([1], [1], 1))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.crpsEnsemble([1, NaN], 0))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.crpsEnsemble([1], 0, { fair: true }))).toBe('TF_INVALID_ARGUMENT');
    expect(code(() => M.crpsGaussian(0, 0, 1))).toBe('TF_INVALID_ARGUMENT');
  });
});
