// Fréchet distance between Gaussians, the statistic behind FID: d² = |mu1 - mu2|² + tr(S1) + tr(S2)
// - 2 tr((S1^½ S2 S1^½)^½), all in float64.
import { TensorfieldError } from '../tensor';
import { Samples, toMatrix, requireRows, symmetricEigen, spectralMap, matmulSq } from './linalg';

export interface GaussianStats {
  /** Feature mean, length d. */
  mu: Float64Array;
  /** Covariance (unbiased, divisor n - 1, as numpy.cov and pytorch-fid use), d x d row-major. */
  cov: Float64Array;
  dim: number;
  /** Samples the statistics came from. */
  count: number;
}

/** Mean and covariance of features [n, d] (n >= 2), accumulated in float64. */
export function gaussianStats(features: Samples): GaussianStats {
  const m = toMatrix(features, 'gaussianStats', 'features');
  requireRows(m, 2, 'gaussianStats', 'samples for a covariance');
  const { rows: n, cols: d, data } = m;
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += data[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  // Centre first, then accumulate products: the one-pass E[xx^T] - mu mu^T form cancels catastrophically
  // when features sit far from the origin.
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = data[i * d + j] - mu[j];
    for (let a = 0; a < d; a++) {
      const ra = row[a];
      if (ra === 0) continue;
      const o = a * d;
      for (let b = a; b < d; b++) cov[o + b] += ra * row[b];
    }
  }
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const c = cov[a * d + b] / (n - 1);
      cov[a * d + b] = c;
      cov[b * d + a] = c;
    }
  }
  return { mu, cov, dim: d, count: n };
}

function checkStats(mu: ArrayLike<number>, cov: ArrayLike<number>, d: number, which: string): void {
  if (mu.length !== d) throw new TensorfieldError('TF_SHAPE_MISMATCH', `frechetDistance: mu${which} has length ${mu.length}, expected ${d}`);
  if (cov.length !== d * d) throw new TensorfieldError('TF_SHAPE_MISMATCH', `frechetDistance: cov${which} has ${cov.length} entries, expected ${d}x${d} = ${d * d}`);
  for (let i = 0; i < mu.length; i++) if (!Number.isFinite(mu[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `frechetDistance: mu${which}[${i}] is ${mu[i]}`);
  for (let i = 0; i < cov.length; i++) if (!Number.isFinite(cov[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `frechetDistance: cov${which}[${i}] is ${cov[i]}`);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      const a = cov[i * d + j], b = cov[j * d + i];
      if (Math.abs(a - b) > 1e-6 * (Math.abs(a) + Math.abs(b)) + 1e-12) {
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `frechetDistance: cov${which} is not symmetric ([${i},${j}] = ${a}, [${j},${i}] = ${b})`);
      }
    }
  }
}

/**
 * Squared Fréchet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2); covariances as flat d x d
 * row-major arrays. The cross term uses the symmetric form tr((S1^½ S2 S1^½)^½), which equals
 * tr((S1 S2)^½) but needs only symmetric eigen-decompositions (no general matrix square root with complex
 * round-off as scipy's sqrtm gives).
 *
 * Eigenvalues of the PSD matrices S1 and S1^½ S2 S1^½ are clamped at zero before the square root: a
 * covariance from fewer samples than dimensions, or with dead (constant) features, is singular, and rounding
 * leaves its zero eigenvalues at about ±1e-16 x its norm; sqrt of the negative ones would be NaN, and they are
 * zero in exact arithmetic.
 */
export function frechetDistance(mu1: ArrayLike<number>, cov1: ArrayLike<number>, mu2: ArrayLike<number>, cov2: ArrayLike<number>): number {
  const d = mu1?.length;
  if (!d) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'frechetDistance: mu1 must be a non-empty array');
  checkStats(mu1, cov1, d, '1');
  checkStats(mu2, cov2, d, '2');
  let dm = 0, tr = 0;
  for (let i = 0; i < d; i++) {
    dm += (mu1[i] - mu2[i]) ** 2;
    tr += cov1[i * d + i] + cov2[i * d + i];
  }
  const s1half = spectralMap(symmetricEigen(cov1, d), d, (x) => Math.sqrt(Math.max(x, 0)));
  const m = matmulSq(matmulSq(s1half, Float64Array.from(cov2), d), s1half, d);
  const ev = symmetricEigen(m, d).values;
  let cross = 0;
  for (let i = 0; i < d; i++) cross += Math.sqrt(Math.max(ev[i], 0));
  // Rounding can take an exact zero slightly below it; a distance is never negative.
  return Math.max(dm + tr - 2 * cross, 0);
}

/** Fréchet distance between two sets of statistics from gaussianStats. */
export function frechetDistanceStats(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new TensorfieldError('TF_SHAPE_MISMATCH', `frechetDistance: feature dimensions differ (${a.dim} vs ${b.dim})`);
  return frechetDistance(a.mu, a.cov, b.mu, b.cov);
}
