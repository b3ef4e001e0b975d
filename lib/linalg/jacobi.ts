// Dense linear algebra on the host in float64, for the small matrices that estimators and checks need (D up to a
// few hundred): Jacobi methods, chosen because they are short, unconditionally convergent and accurate for small
// eigenvalues and singular values (the spectral gaps of intrinsic-dimension estimates live there).
// Matrices are row-major Float64Arrays.

import { TensorfieldError } from '../tensor';

const EPS = 2.220446049250313e-16;
// Math functions bound once at module scope: inside a vm context (jest's sandbox) every lookup of a global such as
// Math goes through the context's interceptors, which made these O(n^3) loops ~40x slower.
const { abs, sqrt, sign } = Math;

/**
 * Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi rotations: A = V diag(values) V^T, V's
 * columns the eigenvectors. Jacobi is slower than tridiagonal QL but simple to get right and accurate to
 * working precision for every eigenvalue, small ones included (they matter for the matrix square roots).
 * Only the lower triangle's mirror is assumed equal: the input is symmetrised first.
 */
export function symmetricEigen(aIn: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  if (aIn.length !== n * n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `symmetricEigen: expected ${n * n} entries, got ${aIn.length}`);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = 0.5 * (aIn[i * n + j] + aIn[j * n + i]);
  for (let i = 0; i < n * n; i++)
    if (!Number.isFinite(a[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `symmetricEigen: matrix contains a non-finite value (${a[i]}) at flat index ${i}`);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  scale = sqrt(scale);
  for (let sweep = 0; sweep < 100 && scale > 0; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i * n + j] * a[i * n + j];
    // Converged when the off-diagonal mass is at rounding level relative to the whole matrix.
    if (sqrt(2 * off) <= 1e-15 * scale) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        // Rotation angle from the stable formula for t = tan(theta) (the smaller root).
        const theta = (aqq - app) / (2 * apq);
        const t = sign(theta || 1) / (abs(theta) + sqrt(theta * theta + 1));
        const c = 1 / sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = a[i * n + i];
  return { values, vectors: v };
}

/** symmetricEigen with the values ascending and the vectors (columns) in the same order. */
export function symEig(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const e = symmetricEigen(a, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => e.values[i] - e.values[j]);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = e.values[src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = e.vectors[k * n + src];
  });
  return { values, vectors };
}

/**
 * Singular values of an m x n matrix, descending, by one-sided Jacobi (Hestenes): rotate pairs of columns until
 * they are orthogonal; the singular values are the column norms. Accurate to ~1e-15 relative to the largest.
 */
export function singularValues(a: ArrayLike<number>, m: number, n: number): Float64Array {
  // work on the side with fewer columns: the singular values of A and A^T are the same
  const tr = n > m;
  const rows = tr ? n : m, cols = tr ? m : n;
  const U = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) U[tr ? j * cols + i : i * cols + j] = a[i * n + j];
  for (let sweep = 0; sweep < 100; sweep++) {
    let rotated = false;
    for (let p = 0; p < cols; p++) {
      for (let q = p + 1; q < cols; q++) {
        let alpha = 0, beta = 0, gamma = 0;
        for (let k = 0; k < rows; k++) {
          const up = U[k * cols + p], uq = U[k * cols + q];
          alpha += up * up;
          beta += uq * uq;
          gamma += up * uq;
        }
        if (gamma === 0 || abs(gamma) <= EPS * sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = sign(zeta || 1) / (abs(zeta) + sqrt(1 + zeta * zeta));
        const c = 1 / sqrt(1 + t * t), s = c * t;
        for (let k = 0; k < rows; k++) {
          const up = U[k * cols + p], uq = U[k * cols + q];
          U[k * cols + p] = c * up - s * uq;
          U[k * cols + q] = s * up + c * uq;
        }
      }
    }
    if (!rotated) break;
  }
  const sv = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let k = 0; k < rows; k++) s += U[k * cols + j] * U[k * cols + j];
    sv[j] = sqrt(s);
  }
  return sv.sort().reverse();
}
