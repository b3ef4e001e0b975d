// Linear algebra. eigh/svdvals/qr: host float64 Jacobi methods and Householder QR for estimators and checks
// (jacobi.ts, qr.ts). cholesky,
// solveTriangular and what builds on them: native batched ops on any device with gradients (native/ops/linalg.cpp).
import { Tensor, TensorfieldError, tensor, handle, eye as eyeOf } from '../tensor';
import type { DeviceName } from '../tensor';
import { native } from '../native';
import { symEig, singularValues } from './jacobi';
import { householderQr } from './qr';

export { symEig, singularValues } from './jacobi';
export { householderQr } from './qr';

function host2d(t: Tensor, what: string): { a: Float64Array; m: number; n: number } {
  if (!(t instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: expected a Tensor`);
  if (t.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${what}: expected a matrix, got shape [${t.shape}]`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TensorfieldError('TF_DTYPE', `${what}: expected a float matrix, got ${t.dtype}`);
  const [m, n] = t.shape;
  if (m * n > 4_000_000) throw new TensorfieldError('TF_INVALID_SIZE', `${what}: [${m}, ${n}] is too large for the host methods (at most 4M entries)`);
  const a = Float64Array.from(t.to('cpu').dataSync() as ArrayLike<number>);
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i])) throw new TensorfieldError('TF_NON_FINITE', `${what}: the matrix holds ${a[i]} at (${Math.floor(i / n)}, ${i % n})`);
  return { a, m, n };
}

/** Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix's symmetric part, float64 on the CPU. */
export function eigh(t: Tensor): { values: Tensor; vectors: Tensor } {
  const { a, m, n } = host2d(t, 'eigh');
  if (m !== n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `eigh: expected a square matrix, got [${m}, ${n}]`);
  const r = symEig(a, n);
  return { values: tensor(r.values, { shape: [n] }), vectors: tensor(r.vectors, { shape: [n, n] }) };
}

/** Singular values (descending), float64 on the CPU. */
export function svdvals(t: Tensor): Tensor {
  const { a, m, n } = host2d(t, 'svdvals');
  return tensor(singularValues(a, m, n), { shape: [Math.min(m, n)] });
}

/**
 * Thin QR of a tall or square matrix A [m, n] (m >= n) of full column rank, float64 on the CPU (Householder):
 * Q [m, n] with orthonormal columns and R [n, n] upper triangular with a positive diagonal, A = Q R. Dependent
 * columns: TF_INVALID_ARGUMENT; m < n: TF_SHAPE_MISMATCH.
 */
export function qr(t: Tensor): { q: Tensor; r: Tensor } {
  const { a, m, n } = host2d(t, 'qr');
  const f = householderQr(a, m, n);
  return { q: tensor(f.q, { shape: [m, n] }), r: tensor(f.r, { shape: [n, n] }) };
}

// ---- native batched factorisations (native/ops/linalg.cpp): any device, float32/float64, with backward and JVP ----

function checkMatrices(t: Tensor, what: string): void {
  if (!(t instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: expected a Tensor`);
}

/**
 * The Cholesky factor of the symmetric positive-definite matrices A [..., n, n] (their symmetric part (A + A^T)/2
 * plus `jitter` I): lower L with A = L L^T, or upper U = L^T when `upper`. Not positive definite:
 * TF_INVALID_ARGUMENT naming the matrix and the pivot.
 */
export function cholesky(a: Tensor, opts: { upper?: boolean; jitter?: number } = {}): Tensor {
  checkMatrices(a, 'cholesky');
  const l = new Tensor(native.cholesky(handle(a), opts.jitter ?? 0));
  return opts.upper ? l.transpose(-2, -1) : l;
}

/**
 * X with A X = B (left, default) or X A = B (right), A [..., n, n] triangular (upper or lower; only that
 * triangle is read), B [..., n, k] (left) or [..., k, n] (right); batch dims broadcast. A zero on the diagonal
 * is TF_INVALID_ARGUMENT.
 */
export function solveTriangular(a: Tensor, b: Tensor, opts: { upper: boolean; left?: boolean }): Tensor {
  checkMatrices(a, 'solveTriangular'); checkMatrices(b, 'solveTriangular');
  if (typeof opts?.upper !== 'boolean') throw new TensorfieldError('TF_INVALID_ARGUMENT', 'solveTriangular: say { upper: true } or { upper: false }');
  if (opts.left === false) {
    // X A = B  <=>  A^T X^T = B^T
    if (b.ndim < 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `solveTriangular: B must be [..., k, n], got [${b.shape}]`);
    return new Tensor(native.triangularSolve(handle(a), handle(b.transpose(-2, -1)), opts.upper, true)).transpose(-2, -1);
  }
  return new Tensor(native.triangularSolve(handle(a), handle(b), opts.upper, false));
}

/** A^-1 B from A's Cholesky factor (lower L, or upper U when `upper`): two triangular solves. */
export function choleskySolve(b: Tensor, l: Tensor, opts: { upper?: boolean } = {}): Tensor {
  checkMatrices(b, 'choleskySolve'); checkMatrices(l, 'choleskySolve');
  const up = opts.upper ?? false;
  // L L^T X = B: L Y = B, then L^T X = Y (for U: U^T Y = B, U X = Y)
  const y = new Tensor(native.triangularSolve(handle(l), handle(b), up, up));
  return new Tensor(native.triangularSolve(handle(l), handle(y), up, !up));
}

/** log det A = 2 sum log diag(L) from A's Cholesky factor L [..., n, n]. */
export function choleskyLogdet(l: Tensor): Tensor {
  checkMatrices(l, 'choleskyLogdet');
  if (l.ndim < 2 || l.shape[l.ndim - 1] !== l.shape[l.ndim - 2]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `choleskyLogdet: expected [..., n, n], got [${l.shape}]`);
  const n = l.shape[l.ndim - 1];
  const eye = eyeOf(n, n, { dtype: l.dtype as 'float32' | 'float64', device: l.device as DeviceName });
  return l.mul(eye).sum(-1).log().sum(-1).mul(2);
}

/** Squared distances between the rows of a [..., N, d] and b [..., M, d] (or time stamps [..., N] and [..., M]). */
export function pairwiseSqDist(a: Tensor, b: Tensor): Tensor {
  checkMatrices(a, 'pairwiseSqDist'); checkMatrices(b, 'pairwiseSqDist');
  const A = a.ndim === 1 ? a.unsqueeze(-1) : a, B = b.ndim === 1 ? b.unsqueeze(-1) : b;
  if (A.shape[A.ndim - 1] !== B.shape[B.ndim - 1]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `pairwiseSqDist: rows of length ${A.shape[A.ndim - 1]} and ${B.shape[B.ndim - 1]}`);
  // exact differences (not |a|^2 + |b|^2 - 2ab, which cancels badly for close points)
  return A.unsqueeze(-2).sub(B.unsqueeze(-3)).square().sum(-1);
}

export interface KernelOptions { lengthscale?: number; variance?: number }
function kernelOpts(o: KernelOptions, what: string): { l: number; v: number } {
  const l = o.lengthscale ?? 1, v = o.variance ?? 1;
  if (!(l > 0 && Number.isFinite(l)) || !(v > 0 && Number.isFinite(v))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: lengthscale and variance must be finite and > 0, got ${l}, ${v}`);
  return { l, v };
}

/** The RBF (squared-exponential) covariance v exp(-|a_i - b_j|^2 / (2 l^2)). */
export function rbfKernel(a: Tensor, b: Tensor, opts: KernelOptions = {}): Tensor {
  const { l, v } = kernelOpts(opts, 'rbfKernel');
  return pairwiseSqDist(a, b).mul(-0.5 / (l * l)).exp().mul(v);
}

/**
 * The Ornstein-Uhlenbeck (exponential) covariance v exp(-|a_i - b_j| / l). For time stamps ([N], or rows of one
 * value [..., N, 1]) the distance is |t_i - t_j| (its gradient at 0 is 0); for longer rows, sqrt of the squared
 * distance.
 */
export function ouKernel(a: Tensor, b: Tensor, opts: KernelOptions = {}): Tensor {
  const { l, v } = kernelOpts(opts, 'ouKernel');
  const A = a.ndim === 1 ? a.unsqueeze(-1) : a, B = b.ndim === 1 ? b.unsqueeze(-1) : b;
  const scalarRows = A.shape[A.ndim - 1] === 1 && B.shape[B.ndim - 1] === 1;
  const d = scalarRows ? A.unsqueeze(-2).sub(B.unsqueeze(-3)).abs().squeeze([-1]) : pairwiseSqDist(A, B).sqrt();
  return d.mul(-1 / l).exp().mul(v);
}
