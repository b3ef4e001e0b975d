// Shared numerics for the toy distributions: float64 views of tensors, log-sum-exp, Gauss-Legendre nodes and
// the log of the modified Bessel function I0 (the exact density of a Gaussian-blurred circle).
import { Tensor, TensorfieldError, tensor, DType } from '../tensor';

export const LOG_2PI = Math.log(2 * Math.PI);

/** The rows of an [n, dim] tensor as float64 (a copy). */
export function rowsF64(x: Tensor, dim: number, fn: string): { n: number; v: Float64Array } {
  if (!(x instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: expected a Tensor`);
  if (x.ndim !== 2 || x.shape[1] !== dim) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: expected points of shape [n, ${dim}], got [${x.shape.join(', ')}]`);
  }
  const d = x.dataSync();
  return { n: x.shape[0], v: d instanceof Float64Array ? d : Float64Array.from(d as ArrayLike<number>) };
}

/** Results keep the caller's floating dtype (computed in float64 either way); other inputs get float64. */
export function outDtype(x: Tensor): DType {
  return x.dtype === 'float32' ? 'float32' : 'float64';
}

export function fromF64(v: Float64Array, shape: number[], dtype: DType): Tensor {
  return tensor(v, { shape, dtype });
}

/**
 * log(sum(exp(a[i]))) over a[0..len), stable; -Infinity when every term is. Terms more than 40 below the
 * largest are skipped: together they add under len * 4e-18 relative, below float64 resolution for the
 * sizes used here, and skipping their exp() makes quadrature far from a curve several times cheaper.
 */
export function logSumExp(a: Float64Array, len = a.length): number {
  let m = -Infinity;
  for (let i = 0; i < len; i++) if (a[i] > m) m = a[i];
  if (m === -Infinity) return -Infinity;
  if (m === Infinity) return Infinity;
  let s = 0;
  for (let i = 0; i < len; i++) {
    const d = a[i] - m;
    if (d > -40) s += Math.exp(d);
  }
  return m + Math.log(s);
}

/** Nodes and weights of n-point Gauss-Legendre quadrature on [-1, 1] (Newton's method on P_n, to 1e-15). */
export function gaussLegendre(n: number): { x: Float64Array; w: Float64Array } {
  const x = new Float64Array(n), w = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let z = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1, p1 = z;
      for (let k = 2; k <= n; k++) { const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
      dp = n * (z * p1 - p0) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = -z; x[n - 1 - i] = z;
    w[i] = w[n - 1 - i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
}

/**
 * log I0(z) for z >= 0. Below 20 the power series sum (z/2)^{2k} / (k!)^2 (positive terms, so no cancellation;
 * 80 terms reach machine precision there); above, the asymptotic series e^z / sqrt(2 pi z) * sum_k
 * ((2k-1)!!)^2 / (k! (8z)^k), whose terms keep shrinking up to k ~ 2z and fall below 1e-16 within 20 terms.
 */
export function logBesselI0(z: number): number {
  if (z < 20) {
    const q = (z * z) / 4;
    let term = 1, s = 1;
    for (let k = 1; k < 80; k++) {
      term *= q / (k * k);
      s += term;
      if (term < 1e-17 * s) break;
    }
    return Math.log(s);
  }
  let term = 1, s = 1;
  for (let k = 1; k < 30; k++) {
    term *= ((2 * k - 1) * (2 * k - 1)) / (k * 8 * z);
    s += term;
    if (term < 1e-17 * s) break;
  }
  return z - 0.5 * Math.log(2 * Math.PI * z) + Math.log(s);
}

export function positive(v: unknown, what: string, fn: string, allowZero = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${String(v)}`);
  }
  return v;
}

export function count(n: unknown, fn: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the sample count must be a non-negative integer, got ${String(n)}`);
  }
  return n;
}

/**
 * Inverse-CDF sampling of a category: the first index whose cumulative weight exceeds u in [0, 1). Rounding can
 * leave the total a hair below 1, so a u above it picks the last category with positive weight, never a
 * zero-weight one.
 */
export class CategoryPicker {
  private readonly cum: Float64Array;
  private readonly last: number;
  constructor(weights: ArrayLike<number>) {
    this.cum = new Float64Array(weights.length);
    let acc = 0, last = 0;
    for (let i = 0; i < weights.length; i++) {
      acc += weights[i];
      this.cum[i] = acc;
      if (weights[i] > 0) last = i;
    }
    this.last = last;
  }
  pick(u: number): number {
    for (let i = 0; i < this.last; i++) if (u < this.cum[i]) return i;
    return this.last;
  }
}
