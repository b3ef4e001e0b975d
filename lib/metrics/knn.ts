// k-nearest-neighbour estimates of densities' cross-entropy (Kozachenko-Leonenko; the two-sample form of
// Wang, Kulkarni & Verdu 2009): with r_k(x) the distance from x to its k-th nearest neighbour among m points
// y ~ q in d dimensions,
//   log q(x) ~ psi(k) - log m - log V_d - d log r_k(x),     V_d = pi^(d/2) / Gamma(d/2 + 1),
// asymptotically unbiased as m -> infinity with k fixed. With x ~ p, the mean of -log q^(x_i) estimates
// H(p, q) = -E_p[log q]; with log p known, KL(p || q) = E_p[log p] + H(p, q).
import { TensorfieldError } from '../tensor';
import { Samples, toMatrix, requireRows, sameDim } from './linalg';
import { forEachSqDistRow, kthSmallest } from './distances';

/** digamma at a positive integer: -euler_gamma + sum_{i < k} 1/i. */
function digammaInt(k: number): number {
  let s = -0.5772156649015329;
  for (let i = 1; i < k; i++) s += 1 / i;
  return s;
}

/** log of the volume of the unit ball in d dimensions. */
function logUnitBall(d: number): number {
  // log Gamma(d/2 + 1) by the recursion Gamma(z + 1) = z Gamma(z) down to Gamma(1) = 1 or Gamma(1/2) = sqrt(pi).
  let lg = d % 2 === 0 ? 0 : 0.5 * Math.log(Math.PI);
  for (let z = d % 2 === 0 ? 1 : 0.5; z < d / 2 + 1 - 1e-9; z += 1) lg += Math.log(z);
  return (d / 2) * Math.log(Math.PI) - lg;
}

export interface KnnEstimate {
  /** Mean over the x points. */
  value: number;
  /** Standard deviation of the per-point terms / sqrt(n) (treats the terms as independent). */
  stdErr: number;
  /** The per-point estimates of -log q(x_i). */
  perPoint: Float64Array;
}

/** kNN estimate of H(p, q) = -E_p[log q] from x ~ p [n, d] and y ~ q [m, d] (k-th neighbour, default 5). */
export function knnCrossEntropy(x: Samples, y: Samples, opts: { k?: number } = {}): KnnEstimate {
  const fn = 'knnCrossEntropy';
  const k = opts.k ?? 5;
  const a = toMatrix(x, fn, 'x'), b = toMatrix(y, fn, 'y');
  sameDim(a, b, fn);
  requireRows(a, 1, fn, 'x points');
  if (!(Number.isInteger(k) && k >= 1 && k <= b.rows)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: k must be an integer in [1, ${b.rows}], got ${k}`);
  const d = a.cols, m = b.rows;
  const c = -digammaInt(k) + Math.log(m) + logUnitBall(d);
  const per = new Float64Array(a.rows);
  forEachSqDistRow(a, b, (i, row) => {
    const r2 = kthSmallest(row, k);
    if (!(r2 > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x point ${i} has ${k} or more exact duplicates among y`);
    per[i] = c + (d / 2) * Math.log(r2);
  });
  let mean = 0;
  for (const v of per) mean += v;
  mean /= per.length;
  let ss = 0;
  for (const v of per) ss += (v - mean) ** 2;
  return { value: mean, stdErr: Math.sqrt(ss / Math.max(per.length - 1, 1) / per.length), perPoint: per };
}
