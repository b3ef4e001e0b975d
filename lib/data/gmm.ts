// Gaussian mixtures in any dimension with diagonal covariances: the one family where the density, its score,
// the density of the noised variable alpha*x0 + sigma*z and the denoiser E[x0 | x] are all exact, which makes
// it the reference target for testing samplers and score models.
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { rand, randn } from '../random';
import { CategoryPicker, LOG_2PI, count, fromF64, logSumExp, outDtype, positive, rowsF64 } from './numeric';

/** A distribution on R^dim with an exact log-density. */
export interface Distribution {
  readonly name: string;
  readonly dim: number;
  /** n points as a float32 [n, dim] tensor, drawn from the engine's generator (manualSeed reproduces them). */
  sample(n: number): Tensor;
  /** log p(x) for x [n, dim]: an [n] tensor in x's floating dtype, computed in float64. */
  logProb(x: Tensor): Tensor;
}

export interface GaussianMixtureOptions {
  /** Component means, K rows of length dim. */
  means: number[][];
  /** Component weights (normalised here; default equal). */
  weights?: number[];
  /** Standard deviations: one for all, one per component (isotropic), or K rows of dim (diagonal). Default 1. */
  std?: number | number[] | number[][];
  name?: string;
}

/** Per-row values of alpha or sigma: a number, or a tensor of n values ([n] or [n, 1]). */
export type PerRow = number | Tensor;

function perRow(v: PerRow, n: number, what: string, fn: string): Float64Array {
  if (typeof v === 'number') return new Float64Array(n).fill(positive(v, what, fn, true));
  if (!(v instanceof Tensor) || v.numel() !== n || !(v.ndim === 1 || (v.ndim === 2 && v.shape[1] === 1))) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} must be a number or a tensor of ${n} values ([n] or [n, 1])`);
  }
  const out = Float64Array.from(v.dataSync() as ArrayLike<number>);
  for (const a of out) positive(a, what, fn, true);
  return out;
}

export class GaussianMixture implements Distribution {
  readonly name: string;
  readonly dim: number;
  /** Number of components. */
  readonly k: number;
  /** Normalised weights [k]. */
  readonly weights: Float64Array;
  /** Means, k x dim row-major. */
  readonly means: Float64Array;
  /** Standard deviations, k x dim row-major. */
  readonly stds: Float64Array;
  private readonly logW: Float64Array;
  /** sum_d log std, per component (the normaliser). */
  private readonly logDet: Float64Array;

  constructor(opts: GaussianMixtureOptions) {
    const fn = 'GaussianMixture';
    const means = opts?.means;
    if (!Array.isArray(means) || means.length === 0 || !Array.isArray(means[0]) || means[0].length === 0) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: means must be a non-empty array of non-empty rows`);
    }
    const k = means.length, dim = means[0].length;
    this.k = k;
    this.dim = dim;
    this.name = opts.name ?? `gmm-${k}x${dim}d`;
    this.means = new Float64Array(k * dim);
    means.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== dim) {
        throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: mean ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, expected ${dim}`);
      }
      row.forEach((m, d) => {
        if (!Number.isFinite(m)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: mean ${i} has a non-finite entry ${m}`);
        this.means[i * dim + d] = m;
      });
    });
    const w = opts.weights ?? new Array(k).fill(1);
    if (!Array.isArray(w) || w.length !== k) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: expected ${k} weights, got ${Array.isArray(w) ? w.length : typeof w}`);
    }
    let total = 0;
    for (const x of w) total += positive(x, 'each weight', fn, true);
    if (!(total > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the weights sum to zero`);
    this.weights = Float64Array.from(w, (x) => x / total);
    this.logW = Float64Array.from(this.weights, Math.log);
    const s = opts.std ?? 1;
    if (typeof s !== 'number' && !(Array.isArray(s) && s.length === k)) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: std must be a number, ${k} numbers or ${k} rows of ${dim}`);
    }
    this.stds = new Float64Array(k * dim);
    for (let i = 0; i < k; i++) {
      const row: unknown = typeof s === 'number' ? s : s[i];
      if (Array.isArray(row) && row.length !== dim) {
        throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: std row ${i} has ${row.length} entries, expected ${dim}`);
      }
      for (let d = 0; d < dim; d++) this.stds[i * dim + d] = positive(Array.isArray(row) ? row[d] : row, 'each std', fn);
    }
    this.logDet = new Float64Array(k);
    for (let i = 0; i < k; i++) for (let d = 0; d < dim; d++) this.logDet[i] += Math.log(this.stds[i * dim + d]);
  }

  sample(n: number): Tensor {
    count(n, 'GaussianMixture.sample');
    const { dim } = this;
    const u = rand([n], { dtype: 'float64' }), z = randn([n, dim], { dtype: 'float64' });
    const uv = u.dataSync() as Float64Array, zv = z.dataSync() as Float64Array;
    u.dispose(); z.dispose();
    const out = new Float32Array(n * dim);
    const picker = new CategoryPicker(this.weights);
    for (let r = 0; r < n; r++) {
      const c = picker.pick(uv[r]);
      for (let d = 0; d < dim; d++) out[r * dim + d] = this.means[c * dim + d] + this.stds[c * dim + d] * zv[r * dim + d];
    }
    return tensor(out, { shape: [n, dim] });
  }

  /** log w_c + log N(x; mu_c, diag s_c^2) for every component of one row (into `out`). */
  private componentLogs(x: Float64Array, off: number, out: Float64Array): void {
    const { dim } = this;
    for (let c = 0; c < this.k; c++) {
      let q = 0;
      for (let d = 0; d < dim; d++) {
        const e = (x[off + d] - this.means[c * dim + d]) / this.stds[c * dim + d];
        q += e * e;
      }
      out[c] = this.logW[c] - 0.5 * q - this.logDet[c] - 0.5 * dim * LOG_2PI;
    }
  }

  logProb(x: Tensor): Tensor {
    const { n, v } = rowsF64(x, this.dim, 'GaussianMixture.logProb');
    const out = new Float64Array(n), l = new Float64Array(this.k);
    for (let r = 0; r < n; r++) {
      this.componentLogs(v, r * this.dim, l);
      out[r] = logSumExp(l);
    }
    return fromF64(out, [n], outDtype(x));
  }

  /** Posterior component probabilities of each row (k per row), from log-weights in `l`, in place. */
  private static normalise(l: Float64Array): void {
    const m = logSumExp(l);
    for (let c = 0; c < l.length; c++) l[c] = Math.exp(l[c] - m);
  }

  /** grad_x log p(x), exact: sum_c r_c(x) (mu_c - x) / s_c^2 with r_c the component posteriors. */
  score(x: Tensor): Tensor {
    const { dim, k } = this;
    const { n, v } = rowsF64(x, dim, 'GaussianMixture.score');
    const out = new Float64Array(n * dim), l = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      this.componentLogs(v, r * dim, l);
      GaussianMixture.normalise(l);
      for (let c = 0; c < k; c++) {
        for (let d = 0; d < dim; d++) {
          const s = this.stds[c * dim + d];
          out[r * dim + d] += l[c] * (this.means[c * dim + d] - v[r * dim + d]) / (s * s);
        }
      }
    }
    return fromF64(out, [n, dim], outDtype(x));
  }

  /**
   * The law of alpha * x0 + sigma * z (x0 from this mixture, z standard normal): again a mixture, with means
   * alpha * mu_c and variances alpha^2 s_c^2 + sigma^2.
   */
  noised(alpha: number, sigma: number): GaussianMixture {
    positive(alpha, 'alpha', 'GaussianMixture.noised', true);
    positive(sigma, 'sigma', 'GaussianMixture.noised', true);
    const { dim, k } = this;
    const rows = (f: (c: number, d: number) => number) => Array.from({ length: k }, (_, c) => Array.from({ length: dim }, (_, d) => f(c, d)));
    return new GaussianMixture({
      means: rows((c, d) => alpha * this.means[c * dim + d]),
      weights: Array.from(this.weights),
      std: rows((c, d) => Math.hypot(alpha * this.stds[c * dim + d], sigma)),
      name: `${this.name}-noised`,
    });
  }

  /**
   * E[x0 | alpha * x0 + sigma * z = x], exact. Given the component c, x0 and x are jointly Gaussian, so per
   * coordinate E[x0 | x, c] = mu + alpha s^2 / (alpha^2 s^2 + sigma^2) (x - alpha mu); these are averaged with
   * the posterior component probabilities under the noised mixture. alpha and sigma are numbers or per-row
   * tensors; sigma = 0 gives x / alpha, alpha = 0 the prior mean.
   */
  posteriorMean(x: Tensor, alpha: PerRow, sigma: PerRow): Tensor {
    const fn = 'GaussianMixture.posteriorMean';
    const { dim, k } = this;
    const { n, v } = rowsF64(x, dim, fn);
    const a = perRow(alpha, n, 'alpha', fn), sg = perRow(sigma, n, 'sigma', fn);
    const out = new Float64Array(n * dim), l = new Float64Array(k);
    for (let r = 0; r < n; r++) {
      if (a[r] === 0 && sg[r] === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: alpha and sigma are both 0 at row ${r}`);
      for (let c = 0; c < k; c++) {
        let q = 0, ld = 0;
        for (let d = 0; d < dim; d++) {
          const s = this.stds[c * dim + d];
          const varx = a[r] * a[r] * s * s + sg[r] * sg[r];
          const e = v[r * dim + d] - a[r] * this.means[c * dim + d];
          q += (e * e) / varx;
          ld += 0.5 * Math.log(varx);
        }
        l[c] = this.logW[c] - 0.5 * q - ld;
      }
      GaussianMixture.normalise(l);
      for (let c = 0; c < k; c++) {
        for (let d = 0; d < dim; d++) {
          const mu = this.means[c * dim + d], s = this.stds[c * dim + d];
          const gain = (a[r] * s * s) / (a[r] * a[r] * s * s + sg[r] * sg[r]);
          out[r * dim + d] += l[c] * (mu + gain * (v[r * dim + d] - a[r] * mu));
        }
      }
    }
    return fromF64(out, [n, dim], outDtype(x));
  }

  /** Mean of the mixture [dim]. */
  mean(): Float64Array {
    const m = new Float64Array(this.dim);
    for (let c = 0; c < this.k; c++) for (let d = 0; d < this.dim; d++) m[d] += this.weights[c] * this.means[c * this.dim + d];
    return m;
  }

  /** Covariance of the mixture, dim x dim row-major: sum_c w_c (S_c + mu_c mu_c^T) - m m^T. */
  covariance(): Float64Array {
    const { dim } = this;
    const m = this.mean(), cov = new Float64Array(dim * dim);
    for (let c = 0; c < this.k; c++) {
      for (let i = 0; i < dim; i++) {
        const mi = this.means[c * dim + i];
        cov[i * dim + i] += this.weights[c] * this.stds[c * dim + i] ** 2;
        for (let j = 0; j < dim; j++) cov[i * dim + j] += this.weights[c] * mi * this.means[c * dim + j];
      }
    }
    for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) cov[i * dim + j] -= m[i] * m[j];
    return cov;
  }

  /** The component mean nearest to each row (Euclidean), as int32 [n]: which mode a sample landed on. */
  nearestMode(x: Tensor): Tensor {
    const { dim } = this;
    const { n, v } = rowsF64(x, dim, 'GaussianMixture.nearestMode');
    const out = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      let best = Infinity;
      for (let c = 0; c < this.k; c++) {
        let q = 0;
        for (let d = 0; d < dim; d++) q += (v[r * dim + d] - this.means[c * dim + d]) ** 2;
        if (q < best) { best = q; out[r] = c; }
      }
    }
    return tensor(out, { shape: [n] });
  }

  /** The component means as [k][dim] arrays (the modes, for well-separated components). */
  get modes(): number[][] {
    return Array.from({ length: this.k }, (_, c) => Array.from(this.means.subarray(c * this.dim, (c + 1) * this.dim)));
  }
}

export interface RingOfGaussiansOptions {
  /** Number of components, evenly spaced on the circle (default 8). */
  count?: number;
  /** Circle radius (default sqrt(2): with std 0.1 each coordinate has variance 1.01). */
  radius?: number;
  /** Component standard deviation (default 0.1). */
  std?: number;
}

/** Equal-weight Gaussians evenly spaced on a circle; the first sits at angle 0. `modes` gives the centres. */
export function ringOfGaussians(opts: RingOfGaussiansOptions = {}): GaussianMixture {
  const k = opts.count ?? 8, r = opts.radius ?? Math.SQRT2, s = opts.std ?? 0.1;
  if (!Number.isInteger(k) || k < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `ringOfGaussians: count must be a positive integer, got ${k}`);
  positive(r, 'radius', 'ringOfGaussians', true);
  const means = Array.from({ length: k }, (_, i) => [r * Math.cos((2 * Math.PI * i) / k), r * Math.sin((2 * Math.PI * i) / k)]);
  return new GaussianMixture({ means, std: s, name: `${k}-gaussians` });
}

/** The classic 8 Gaussians on a ring (see ringOfGaussians for the defaults). */
export function eightGaussians(opts: Omit<RingOfGaussiansOptions, 'count'> = {}): GaussianMixture {
  return ringOfGaussians({ ...opts, count: 8 });
}
