// Toy distributions: samples against closed-form moments, log-densities that integrate to 1, the GMM's score and
// denoiser against independent computations, manifold constraints, and seeded reproducibility.
//
// Tolerances. Sample moments of n draws have standard error sqrt(var / n) (means) and sqrt((mu4 - var^2) / n)
// (second moments); we allow 6 standard errors (a correct sampler fails with probability ~1e-9; every test is
// seeded anyway). Grid integrals use the midpoint rule with spacing h on boxes reaching 6 noise-stds past the
// support: for a Gaussian blur of std s the rule's error is ~exp(-2 pi^2 s^2 / h^2) (spectral accuracy for
// smooth, decaying integrands) plus the ~1e-8 mass outside the box, so 1e-5 leaves a wide margin while any wrong
// normaliser (a factor 2, a missing 2 pi) is off by O(1).
import * as tf from '../lib';
import { Tensor } from '../lib';
import {
  GaussianMixture, eightGaussians, Checkerboard, TwoMoons, SwissRoll, Rings, SphereManifold, SubspaceManifold,
  randomIsometry, type Distribution,
} from '../lib/data';
import { expectClose, expectCode } from './helpers';

const f64 = (t: Tensor): Float64Array => Float64Array.from(t.dataSync() as ArrayLike<number>);

function moments(v: Float64Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d), cov = new Float64Array(d * d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i] += v[r * d + i] / n;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) cov[i * d + j] += (v[r * d + i] - mean[i]) * (v[r * d + j] - mean[j]) / (n - 1);
  }
  return { mean, cov };
}

/** Midpoint-rule integral of exp(logProb) over [x0, x1] x [y0, y1] with spacing h. */
function gridIntegral(p: Distribution, x0: number, x1: number, y0: number, y1: number, h: number): number {
  const nx = Math.round((x1 - x0) / h), ny = Math.round((y1 - y0) / h);
  const pts = new Float64Array(2 * nx * ny);
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) {
    pts[2 * (i * ny + j)] = x0 + (i + 0.5) * h;
    pts[2 * (i * ny + j) + 1] = y0 + (j + 0.5) * h;
  }
  const x = tf.tensor(pts, { shape: [nx * ny, 2] });
  const lp = f64(p.logProb(x));
  x.dispose();
  let s = 0;
  for (const l of lp) s += Math.exp(l);
  return s * h * h;
}

describe('Gaussian mixtures', () => {
  const gmm = new GaussianMixture({
    means: [[0, 1, -1], [2, -1, 0.5], [-1.5, 0, 2]],
    weights: [0.5, 0.3, 0.2],
    std: [[0.5, 1, 0.3], [0.8, 0.4, 0.6], [1.2, 0.7, 0.2]],
  });

  test('sample mean and covariance match the closed forms', () => {
    tf.manualSeed(1);
    const n = 40000, d = 3;
    const x = gmm.sample(n);
    expect(x.shape).toEqual([n, d]);
    expect(x.dtype).toBe('float32');
    const { mean, cov } = moments(f64(x), n, d);
    x.dispose();
    const m = gmm.mean(), c = gmm.covariance();
    for (let i = 0; i < d; i++) {
      expect(Math.abs(mean[i] - m[i])).toBeLessThan(6 * Math.sqrt(c[i * d + i] / n));
      for (let j = 0; j < d; j++) {
        // Var of a product of two coordinates is at most sqrt(E x^4 E y^4); these stay below 3 (c_ii c_jj) * 4
        // for mixtures this compact, hence the bound below.
        const se = Math.sqrt((12 * c[i * d + i] * c[j * d + j]) / n);
        expect(Math.abs(cov[i * d + j] - c[i * d + j])).toBeLessThan(6 * se);
      }
    }
  });

  test('logProb equals the density computed directly in float64', () => {
    tf.manualSeed(2);
    const x = tf.randn([50, 3], { dtype: 'float64' }).mul(2);
    const lp = f64(gmm.logProb(x));
    const xv = f64(x);
    const ws = [0.5, 0.3, 0.2], mus = [[0, 1, -1], [2, -1, 0.5], [-1.5, 0, 2]];
    const ss = [[0.5, 1, 0.3], [0.8, 0.4, 0.6], [1.2, 0.7, 0.2]];
    const ref = new Float64Array(50);
    for (let r = 0; r < 50; r++) {
      let p = 0;
      for (let c = 0; c < 3; c++) {
        let dens = ws[c];
        for (let d = 0; d < 3; d++) {
          const e = xv[r * 3 + d] - mus[c][d];
          dens *= Math.exp(-(e * e) / (2 * ss[c][d] ** 2)) / (Math.sqrt(2 * Math.PI) * ss[c][d]);
        }
        p += dens;
      }
      ref[r] = Math.log(p);
    }
    // Both are float64 evaluations of the same quantity by different routes (log-sum-exp vs products): they
    // agree to a few ulps of the log-density's magnitude.
    expectClose(lp, ref, 1e-12, 1e-12, 'gmm logProb');
    x.dispose();
  });

  test('score equals central differences of logProb', () => {
    tf.manualSeed(3);
    const x = tf.randn([20, 3], { dtype: 'float64' });
    const s = f64(gmm.score(x));
    const xv = f64(x);
    x.dispose();
    const eps = 1e-5;
    const lpAt = (v: Float64Array): number => {
      const t = tf.tensor(v, { shape: [1, 3] });
      const l = gmm.logProb(t).item();
      t.dispose();
      return l;
    };
    const fd = new Float64Array(60);
    for (let r = 0; r < 20; r++) for (let d = 0; d < 3; d++) {
      const p = xv.slice(r * 3, r * 3 + 3), m = p.slice();
      p[d] += eps; m[d] -= eps;
      fd[r * 3 + d] = (lpAt(p) - lpAt(m)) / (2 * eps);
    }
    // Truncation O(eps^2 f''') ~ 1e-9 (stds down to 0.2 make f''' ~ 1e2), rounding O(1e-16 |f| / eps) ~ 1e-10.
    expectClose(s, fd, 1e-6, 1e-6, 'score');
  });

  test('posteriorMean and noised agree with 1-D numerical integration over x0', () => {
    const g = new GaussianMixture({ means: [[-1], [1.5]], weights: [0.3, 0.7], std: [0.4, 0.6] });
    const alpha = 0.8, sigma = 0.5;
    const xs = [-2.5, -1, -0.2, 0, 0.4, 1.1, 2, 3.5];
    // p(x0) N(x; alpha x0, sigma^2) on a fine trapezoid grid of x0 (spacing 1e-3 against widths >= 0.4: the
    // trapezoid rule on a smooth decaying integrand is accurate far below 1e-9).
    const numer: number[] = [], denom: number[] = [];
    for (const x of xs) {
      let a = 0, b = 0;
      for (let x0 = -10; x0 <= 10; x0 += 1e-3) {
        let p = 0;
        for (const [w, m, s] of [[0.3, -1, 0.4], [0.7, 1.5, 0.6]]) p += w * Math.exp(-((x0 - m) ** 2) / (2 * s * s)) / (Math.sqrt(2 * Math.PI) * s);
        const lik = Math.exp(-((x - alpha * x0) ** 2) / (2 * sigma * sigma)) / (Math.sqrt(2 * Math.PI) * sigma);
        a += x0 * p * lik * 1e-3;
        b += p * lik * 1e-3;
      }
      numer.push(a); denom.push(b);
    }
    const xt = tf.tensor(Float64Array.from(xs), { shape: [xs.length, 1] });
    const pm = f64(g.posteriorMean(xt, alpha, sigma));
    expectClose(pm, numer.map((a, i) => a / denom[i]), 1e-8, 1e-8, 'posterior mean');
    const lpn = f64(g.noised(alpha, sigma).logProb(xt));
    expectClose(lpn, denom.map(Math.log), 1e-8, 1e-8, 'noised density');
    // Per-row alpha and sigma give the same as the scalar call.
    const pm2 = f64(g.posteriorMean(xt, tf.full([xs.length], alpha, { dtype: 'float64' }), tf.full([xs.length, 1], sigma)));
    expectClose(pm2, pm, 1e-7, 0, 'per-row');
    xt.dispose();
  });

  test('posteriorMean satisfies Tweedie: E[x0|x] = (x + sigma^2 score_noised(x)) / alpha, in 3-D', () => {
    tf.manualSeed(4);
    const x = tf.randn([30, 3], { dtype: 'float64' });
    const alpha = 0.6, sigma = 0.9;
    const pm = f64(gmm.posteriorMean(x, alpha, sigma));
    const sc = f64(gmm.noised(alpha, sigma).score(x));
    const xv = f64(x);
    expectClose(pm, Array.from(xv, (v, i) => (v + sigma * sigma * sc[i]) / alpha), 1e-12, 1e-10, 'tweedie');
    // The limits: sigma = 0 recovers x / alpha; alpha = 0 the prior mean.
    expectClose(f64(gmm.posteriorMean(x, 2, 0)), Array.from(xv, (v) => v / 2), 1e-12, 1e-12, 'sigma=0');
    const prior = gmm.mean();
    expectClose(f64(gmm.posteriorMean(x, 0, 1)), Array.from(xv, (_, i) => prior[i % 3]), 1e-12, 1e-12, 'alpha=0');
    expectCode(() => gmm.posteriorMean(x, 0, 0), 'TF_INVALID_ARGUMENT');
    x.dispose();
  });

  test('results keep a float32 input dtype; bad inputs are refused with stable codes', () => {
    const x = tf.zeros([4, 3]);
    expect(gmm.logProb(x).dtype).toBe('float32');
    expect(gmm.score(x).shape).toEqual([4, 3]);
    expectCode(() => gmm.logProb(tf.zeros([4, 2])), 'TF_SHAPE_MISMATCH');
    expectCode(() => gmm.posteriorMean(x, tf.ones([3]), 1), 'TF_SHAPE_MISMATCH');
    expectCode(() => new GaussianMixture({ means: [[0, 0]], std: -1 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new GaussianMixture({ means: [[0, 0], [1]] }), 'TF_SHAPE_MISMATCH');
    expectCode(() => new GaussianMixture({ means: [[0]], weights: [1, 2] }), 'TF_SHAPE_MISMATCH');
    expectCode(() => new GaussianMixture({ means: [] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => gmm.sample(-1), 'TF_INVALID_ARGUMENT');
    // A zero-weight component is never drawn, and its density contributes nothing.
    const z = new GaussianMixture({ means: [[100], [0], [200]], weights: [0, 1, 0], std: 0.1 });
    expect(Math.max(...(f64(z.sample(2000)) as unknown as number[]))).toBeLessThan(1);
    expect(z.logProb(tf.tensor([[100]], { dtype: 'float64' })).item()).toBeCloseTo(-(100 ** 2) / (2 * 0.01) - Math.log(Math.sqrt(2 * Math.PI) * 0.1), 6);
  });
});

describe('2-D targets', () => {
  test('8 Gaussians: modes on the ring, moments, nearestMode', () => {
    const p = eightGaussians({ radius: 2, std: 0.1 });
    expect(p.modes).toHaveLength(8);
    expectClose(p.modes[2], [0, 2], 1e-12);
    tf.manualSeed(5);
    const n = 16000, x = p.sample(n);
    const { mean, cov } = moments(f64(x), n, 2);
    // Per-coordinate variance r^2 / 2 + s^2 = 2.01; the mixture's fourth moment is below 3 var^2.
    const v = 2.01;
    for (let i = 0; i < 2; i++) expect(Math.abs(mean[i])).toBeLessThan(6 * Math.sqrt(v / n));
    expect(Math.abs(cov[0] - v)).toBeLessThan(6 * Math.sqrt(2 * v * v / n));
    expect(Math.abs(cov[1])).toBeLessThan(6 * Math.sqrt(v * v / n));
    // With std 0.1 and modes 1.5 apart every sample's nearest mode is its component; the 8 counts are
    // Binomial(n, 1/8): within 6 standard errors of n / 8.
    const counts = new Array(8).fill(0);
    for (const c of p.nearestMode(x).dataSync() as Int32Array) counts[c]++;
    for (const c of counts) expect(Math.abs(c - n / 8)).toBeLessThan(6 * Math.sqrt(n * (1 / 8) * (7 / 8)));
    x.dispose();
  });

  test('every 2-D log-density integrates to 1 on a grid', () => {
    expect(Math.abs(gridIntegral(eightGaussians(), -2.2, 2.2, -2.2, 2.2, 0.02) - 1)).toBeLessThan(1e-5);
    expect(Math.abs(gridIntegral(new TwoMoons(), -1.7, 2.7, -1.2, 1.7, 0.04) - 1)).toBeLessThan(1e-5);
    expect(Math.abs(gridIntegral(new SwissRoll(), -3.5, 3.5, -3.5, 3.5, 0.04) - 1)).toBeLessThan(1e-5);
    expect(Math.abs(gridIntegral(new Rings(), -2.6, 2.6, -2.6, 2.6, 0.02) - 1)).toBeLessThan(1e-5);
    // The checkerboard is piecewise constant; a grid aligned with the squares integrates it exactly.
    expect(Math.abs(gridIntegral(new Checkerboard(), -2.5, 2.5, -2.5, 2.5, 0.05) - 1)).toBeLessThan(1e-12);
    expect(Math.abs(gridIntegral(new Checkerboard({ grid: 6, squareSize: 0.5 }), -2, 2, -2, 2, 0.05) - 1)).toBeLessThan(1e-12);
  });

  test('curve densities agree with brute-force trapezoid integration along the curve', () => {
    // 4e4 trapezoid nodes per curve: spacing h <= 8e-5 in t against bump widths w = noise / speed >= 0.03. Inside
    // the interval the trapezoid rule is spectrally accurate on such a bump; the endpoint correction of
    // Euler-Maclaurin, h^2 / 12 * |f'| ~ h^2 / (12 w) relative, is below 2e-8 — under the 1e-7 tolerance, which is
    // still 1e6 times tighter than any normalisation slip.
    const brute = (pts: number[][], curves: [(t: number) => number[], number, number, number][], s: number): number[] =>
      pts.map(([a, b]) => {
        let p = 0;
        for (const [c, t0, t1, mass] of curves) {
          const N = 40000, h = (t1 - t0) / N;
          for (let i = 0; i <= N; i++) {
            const [cx, cy] = c(t0 + i * h);
            const w = i === 0 || i === N ? 0.5 : 1;
            p += (mass * w * h / (t1 - t0)) * Math.exp(-((a - cx) ** 2 + (b - cy) ** 2) / (2 * s * s)) / (2 * Math.PI * s * s);
          }
        }
        return Math.log(p);
      });
    const pts = [[0, 0], [1, 0.2], [0.5, -0.3], [-1, 0.1], [2, 0.5], [0.3, 1.1], [1.9, -0.2]];
    const moons = new TwoMoons({ noise: 0.07 });
    const t64 = (a: number[][]) => tf.tensor(a, { dtype: 'float64' });
    const got = f64(moons.logProb(t64(pts)));
    const ref = brute(pts, [
      [(t) => [Math.cos(t), Math.sin(t)], 0, Math.PI, 0.5],
      [(t) => [1 - Math.cos(t), 0.5 - Math.sin(t)], 0, Math.PI, 0.5],
    ], 0.07);
    expectClose(got, ref, 1e-7, 1e-7, 'moons');
    const roll = new SwissRoll({ noise: 0.15, scale: 0.25 });
    const rpts = [[0, 0], [1, -1], [-2, 1], [2.5, 0.3], [-0.5, -2.7]];
    expectClose(f64(roll.logProb(t64(rpts))), brute(rpts, [
      [(t) => [0.25 * t * Math.cos(t), 0.25 * t * Math.sin(t)], 1.5 * Math.PI, 4.5 * Math.PI, 1],
    ], 0.15), 1e-7, 1e-7, 'swiss roll');
    // The rings' closed form (Bessel I0) against the same brute force over the angle, including a point far
    // enough out that the density underflows in linear space only for the brute force's float64 exponent.
    const rings = new Rings({ radii: [0.7, 1.6], weights: [1, 3], noise: 0.1 });
    const gpts = [[0, 0], [0.7, 0], [0.5, 0.5], [1.2, -1.0], [0, 1.6]];
    expectClose(f64(rings.logProb(t64(gpts))), brute(gpts, [
      [(t) => [0.7 * Math.cos(t), 0.7 * Math.sin(t)], 0, 2 * Math.PI, 0.25],
      [(t) => [1.6 * Math.cos(t), 1.6 * Math.sin(t)], 0, 2 * Math.PI, 0.75],
    ], 0.1), 1e-7, 1e-7, 'rings');
    // Far from the support the log-density stays finite (log-space quadrature) instead of -Infinity.
    const far = f64(moons.logProb(t64([[20, 20]])))[0];
    expect(Number.isFinite(far)).toBe(true);
    expect(far).toBeLessThan(-1e4);
  });

  test('checkerboard samples lie on the dark squares, evenly', () => {
    tf.manualSeed(6);
    const p = new Checkerboard();
    expect(p.area).toBe(8);
    const n = 16000, x = p.sample(n);
    const lp = f64(p.logProb(x.double()));
    expect(lp.every((l) => l === -Math.log(8))).toBe(true);
    const v = f64(x), counts = new Map<string, number>();
    for (let r = 0; r < n; r++) {
      const key = `${Math.floor(v[2 * r])},${Math.floor(v[2 * r + 1])}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(8);
    for (const c of counts.values()) expect(Math.abs(c - n / 8)).toBeLessThan(6 * Math.sqrt(n * (1 / 8) * (7 / 8)));
    expect(counts.has('-2,-1')).toBe(true);
    expect(f64(p.logProb(tf.tensor([[-1.5, -1.5], [3, 0]], { dtype: 'float64' })))).toEqual(new Float64Array([-Infinity, -Infinity]));
    x.dispose();
  });

  test('checkerboard and two-moons sample moments match their closed forms', () => {
    tf.manualSeed(12);
    const n = 20000;
    // Checkerboard: each column of squares holds the same dark area, so each marginal is uniform on [-2, 2]
    // (mean 0, variance 4/3); E[xy] = (1/8) * sum over dark squares of centre products = -2/8.
    const cb = moments(f64(new Checkerboard().sample(n)), n, 2);
    // Fourth moment of U(-2, 2) is 16/5, so the variance estimate has standard error sqrt((16/5 - 16/9) / n).
    expect(Math.abs(cb.mean[0])).toBeLessThan(6 * Math.sqrt(4 / 3 / n));
    expect(Math.abs(cb.cov[0] - 4 / 3)).toBeLessThan(6 * Math.sqrt((16 / 5 - 16 / 9) / n));
    // Var(xy) <= E[x^2 y^2] <= sqrt(E x^4 E y^4) = 16/5 (Cauchy-Schwarz).
    expect(Math.abs(cb.cov[1] + 0.25)).toBeLessThan(6 * Math.sqrt(16 / 5 / n));
    // Two moons: mean ((0 + 1) / 2, (2/pi + 0.5 - 2/pi) / 2) = (0.5, 0.25); each coordinate's variance is below 1.
    const tm = moments(f64(new TwoMoons().sample(n)), n, 2);
    expect(Math.abs(tm.mean[0] - 0.5)).toBeLessThan(6 * Math.sqrt(1 / n));
    expect(Math.abs(tm.mean[1] - 0.25)).toBeLessThan(6 * Math.sqrt(1 / n));
  });

  test('rings: samples at the right radii; same seed, same samples, for every target', () => {
    tf.manualSeed(7);
    const rings = new Rings();
    const n = 8000, x = rings.sample(n), v = f64(x);
    const idx = rings.nearestMode(x).dataSync() as Int32Array;
    const dev = [0, 0, 0, 0], cnt = [0, 0, 0, 0];
    for (let r = 0; r < n; r++) { dev[idx[r]] += Math.hypot(v[2 * r], v[2 * r + 1]) - rings.radii[idx[r]]; cnt[idx[r]]++; }
    // The radial offset of a blurred circle has mean ~ s^2 / (2R) (<= 0.0064 here) and std ~ s = 0.08.
    for (let c = 0; c < 4; c++) expect(Math.abs(dev[c] / cnt[c])).toBeLessThan(0.0064 + 6 * 0.08 / Math.sqrt(cnt[c]));
    for (const p of [eightGaussians(), new Checkerboard(), new TwoMoons(), new SwissRoll(), new Rings()] as Distribution[]) {
      tf.manualSeed(42);
      const a = p.sample(64).dataSync();
      tf.manualSeed(42);
      const b = p.sample(64).dataSync();
      const c = p.sample(64).dataSync();
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    }
    expectCode(() => new TwoMoons({ noise: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new Checkerboard({ grid: 3 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new Rings({ radii: [1], weights: [1, 1] }), 'TF_SHAPE_MISMATCH');
    expectCode(() => rings.logProb(tf.zeros([3])), 'TF_SHAPE_MISMATCH');
  });
});

/** Eigenvalues of a symmetric d x d matrix (cyclic Jacobi). */
function symEig(a0: Float64Array, d: number): number[] {
  const a = a0.slice();
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) off += a[i * d + j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) {
      if (Math.abs(a[p * d + q]) < 1e-300) continue;
      const th = (a[q * d + q] - a[p * d + p]) / (2 * a[p * d + q]);
      const t = Math.sign(th || 1) / (Math.abs(th) + Math.sqrt(th * th + 1));
      const c = 1 / Math.sqrt(t * t + 1), s = t * c;
      for (let k = 0; k < d; k++) {
        const akp = a[k * d + p], akq = a[k * d + q];
        a[k * d + p] = c * akp - s * akq; a[k * d + q] = s * akp + c * akq;
      }
      for (let k = 0; k < d; k++) {
        const apk = a[p * d + k], aqk = a[q * d + k];
        a[p * d + k] = c * apk - s * aqk; a[q * d + k] = s * apk + c * aqk;
      }
    }
  }
  return Array.from({ length: d }, (_, i) => a[i * d + i]).sort((x, y) => y - x);
}

describe('manifold data', () => {
  test('the random isometry has orthonormal columns and depends on its seed only', () => {
    const q = randomIsometry(12, 4, 9);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 12; k++) s += q[k * 4 + i] * q[k * 4 + j];
      expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-13);
    }
    expect(randomIsometry(12, 4, 9)).toEqual(q);
    expect(randomIsometry(12, 4, 10)).not.toEqual(q);
  });

  test('k-sphere: unit norm after undoing the embedding, nothing outside its k+1 dimensions', () => {
    tf.manualSeed(8);
    const m = new SphereManifold({ intrinsicDim: 2, ambientDim: 10, seed: 3 });
    expect(m.intrinsicDim).toBe(2);
    const n = 2000, x = m.sample(n);
    expect(x.shape).toEqual([n, 10]);
    const z = f64(m.toLatent(x)), xv = f64(x);
    let worst = 0, resid = 0;
    for (let r = 0; r < n; r++) {
      worst = Math.max(worst, Math.abs(Math.hypot(z[3 * r], z[3 * r + 1], z[3 * r + 2]) - 1));
      let xn = 0;
      for (let i = 0; i < 10; i++) xn += xv[r * 10 + i] ** 2;
      resid = Math.max(resid, xn - (z[3 * r] ** 2 + z[3 * r + 1] ** 2 + z[3 * r + 2] ** 2));
    }
    // float32 samples: each coordinate carries a relative rounding of 6e-8, so norms hold to ~1e-6.
    expect(worst).toBeLessThan(1e-6);
    expect(resid).toBeLessThan(1e-6);
    // Covariance rank k + 1 = 3: three eigenvalues near 1/3 (uniform on S^2), the rest at rounding level.
    const ev = symEig(moments(xv, n, 10).cov, 10);
    for (let i = 0; i < 3; i++) expect(ev[i]).toBeGreaterThan(0.25);
    for (let i = 3; i < 10; i++) expect(Math.abs(ev[i])).toBeLessThan(1e-10);
    x.dispose();
  });

  test('noisy Gaussian subspace: logProb is the N(0, QQ^T + s^2 I) density and integrates to 1', () => {
    const m = new SubspaceManifold({ intrinsicDim: 1, ambientDim: 2, noise: 0.3, seed: 5 });
    // Direct 2x2 formula: covariance S = q q^T + s^2 I, density exp(-x^T S^-1 x / 2) / (2 pi sqrt(det S)).
    const q = m.embedding, s2 = 0.09;
    const S = [q[0] * q[0] + s2, q[0] * q[1], q[1] * q[1] + s2];
    const det = S[0] * S[2] - S[1] * S[1];
    const pts = [[0, 0], [1, -0.5], [0.3, 2], [-3, 1]];
    const ref = pts.map(([a, b]) => -(S[2] * a * a - 2 * S[1] * a * b + S[0] * b * b) / (2 * det) - Math.log(2 * Math.PI * Math.sqrt(det)));
    expectClose(f64(m.logProb(tf.tensor(pts, { dtype: 'float64' }))), ref, 1e-12, 1e-12, 'subspace density');
    // Variance 1.09 along the line: a box of +-8 covers 7 standard deviations.
    expect(Math.abs(gridIntegral(m, -8, 8, -8, 8, 0.04) - 1)).toBeLessThan(1e-5);
  });

  test('k-subspace: rank k, ball law inside the unit ball, ambient noise fills the rest', () => {
    tf.manualSeed(9);
    const n = 3000;
    const g = new SubspaceManifold({ intrinsicDim: 3, ambientDim: 8, seed: 1 });
    const xg = g.sample(n);
    const ev = symEig(moments(f64(xg), n, 8).cov, 8);
    // Standard normal in 3 dimensions: eigenvalues 1 within sampling error (~sqrt(2/n) each, 6x allowed).
    for (let i = 0; i < 3; i++) expect(Math.abs(ev[i] - 1)).toBeLessThan(6 * Math.sqrt(2 / n) + 0.05);
    for (let i = 3; i < 8; i++) expect(Math.abs(ev[i])).toBeLessThan(1e-10);
    const b = new SubspaceManifold({ intrinsicDim: 3, ambientDim: 8, law: 'ball', seed: 1 });
    const z = f64(b.toLatent(b.sample(n)));
    let inner = 0;
    for (let r = 0; r < n; r++) {
      const rho = Math.hypot(z[3 * r], z[3 * r + 1], z[3 * r + 2]);
      expect(rho).toBeLessThanOrEqual(1 + 1e-6);
      if (rho <= 0.5) inner++;
    }
    // P(|z| <= 1/2) = 1/8 in the 3-ball.
    expect(Math.abs(inner / n - 1 / 8)).toBeLessThan(6 * Math.sqrt((1 / 8) * (7 / 8) / n));
    const noisy = new SubspaceManifold({ intrinsicDim: 3, ambientDim: 8, noise: 0.1, seed: 1 });
    const evn = symEig(moments(f64(noisy.sample(n)), n, 8).cov, 8);
    for (let i = 3; i < 8; i++) expect(Math.abs(evn[i] - 0.01)).toBeLessThan(0.005);
    expectCode(() => g.logProb(tf.zeros([1, 8])), 'TF_INVALID_ARGUMENT');
    expectCode(() => new SphereManifold({ intrinsicDim: 3, ambientDim: 3 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new SubspaceManifold({ intrinsicDim: 2, ambientDim: 4, law: 'cube' as 'ball' }), 'TF_INVALID_ARGUMENT');
    xg.dispose();
  });
});
