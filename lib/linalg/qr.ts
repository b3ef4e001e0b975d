// Thin QR factorisation by Householder reflections, host float64, for small dense matrices (random isometric
// embeddings, orthonormal bases in estimators). Householder rather than Gram-Schmidt because its Q is orthonormal
// to working precision whatever the conditioning of A (classical Gram-Schmidt loses orthogonality like cond(A)^2).
// Matrices are row-major Float64Arrays.

import { TensorfieldError } from '../tensor';

const EPS = 2.220446049250313e-16;
// bound once: global lookups inside jest's vm sandbox are slow in O(m n^2) loops (see jacobi.ts)
const { sqrt, max } = Math;

/**
 * A = Q R for an m x n matrix with m >= n and full column rank: Q m x n with orthonormal columns, R n x n upper
 * triangular with a positive diagonal. With that sign convention the factorisation is unique, so Q equals what
 * Gram-Schmidt gives (up to rounding). A diagonal entry of R at the level of the rounding error of the reflections
 * (below 10 max(m, n) eps ||A||_F) means the columns are dependent: TF_INVALID_ARGUMENT, since Q would then be
 * determined by rounding noise, not by A.
 */
export function householderQr(aIn: ArrayLike<number>, m: number, n: number): { q: Float64Array; r: Float64Array } {
  if (!Number.isInteger(m) || !Number.isInteger(n) || n < 1 || m < n)
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `householderQr: need integers m >= n >= 1 (a tall or square matrix), got ${m} x ${n}`);
  if (aIn.length !== m * n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `householderQr: expected ${m * n} entries, got ${aIn.length}`);
  const a = Float64Array.from(aIn);
  let fro = 0;
  for (let i = 0; i < m * n; i++) {
    if (!Number.isFinite(a[i])) throw new TensorfieldError('TF_NON_FINITE', `householderQr: the matrix holds ${a[i]} at (${Math.floor(i / n)}, ${i % n})`);
    fro += a[i] * a[i];
  }
  fro = sqrt(fro);
  // Householder's backward error is a modest multiple of max(m, n) eps ||A||: a pivot below it is numerically 0
  const tol = 10 * max(m, n) * EPS * fro;
  // the unit reflection vectors v_k (entries k..m-1 used), H_k = I - 2 v_k v_k^T
  const vs: Float64Array[] = [];
  const diag = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let nrm = 0;
    for (let i = k; i < m; i++) nrm += a[i * n + k] * a[i * n + k];
    nrm = sqrt(nrm);
    if (!(nrm > tol)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `householderQr: the columns are linearly dependent (column ${k} has ${nrm.toExponential(2)} left outside the span of the ones before it, ` +
        `at most ${tol.toExponential(2)} is rounding error), so Q is not determined`);
    }
    // reflect x = A[k:, k] onto alpha e_1 with alpha = -sign(x_0) |x|: v = x - alpha e_1 then never cancels
    const x0 = a[k * n + k];
    const alpha = x0 >= 0 ? -nrm : nrm;
    const v = new Float64Array(m);
    v[k] = x0 - alpha;
    for (let i = k + 1; i < m; i++) v[i] = a[i * n + k];
    let vn = 0;
    for (let i = k; i < m; i++) vn += v[i] * v[i];
    vn = sqrt(vn);
    for (let i = k; i < m; i++) v[i] /= vn;
    vs.push(v);
    // apply H_k to the remaining columns; column k becomes (alpha, 0, ..., 0) exactly
    for (let j = k + 1; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * a[i * n + j];
      for (let i = k; i < m; i++) a[i * n + j] -= 2 * dot * v[i];
    }
    diag[k] = alpha;
  }
  // Q = H_0 H_1 ... H_{n-1} [I_n; 0], applied right to left
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i] * q[i * n + j];
      for (let i = k; i < m; i++) q[i * n + j] -= 2 * dot * v[i];
    }
  }
  // R from the reduced matrix's upper triangle; flip row k of R and column k of Q where R_kk < 0 (Q R unchanged)
  const r = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = diag[k] < 0 ? -1 : 1;
    r[k * n + k] = s * diag[k];
    for (let j = k + 1; j < n; j++) r[k * n + j] = s * a[k * n + j];
    if (s < 0) for (let i = 0; i < m; i++) q[i * n + k] = -q[i * n + k];
  }
  return { q, r };
}

