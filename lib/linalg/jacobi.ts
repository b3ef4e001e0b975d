// Dense linear algebra on the host in float64, for the small matrices that estimators and checks need (D up to a
// few hundred): Jacobi methods, chosen because they are short, unconditionally convergent and accurate for small
// eigenvalues and singular values (the spectral gaps of intrinsic-dimension estimates live there).
// Matrices are row-major Float64Arrays.

const EPS = 2.220446049250313e-16;

/**
 * Eigen-decomposition of a symmetric n x n matrix by cyclic Jacobi rotations: values ascending, vectors as the
 * columns of a row-major n x n matrix (A = V diag(values) V^T). Only the upper triangle is read as given; the
 * matrix is symmetrised first ((A + A^T) / 2), so a slightly asymmetric input gives its symmetric part's spectrum.
 */
export function symEig(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = new Float64Array(n * n), V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    V[i * n + i] = 1;
    for (let j = 0; j < n; j++) A[i * n + j] = 0.5 * (a[i * n + j] + a[j * n + i]);
  }
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += A[i] * A[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A[i * n + j] * A[i * n + j];
    if (off <= EPS * EPS * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        // the rotation that zeroes A[p][q] (Golub & Van Loan, sym.schur2), with t the smaller root
        const tau = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        for (let k = 0; k < n; k++) {  // columns p, q
          const akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {  // rows p, q
          const apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[i * n + i] - A[j * n + j]);
  const values = new Float64Array(n), vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = A[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src];
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
        if (gamma === 0 || Math.abs(gamma) <= EPS * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
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
    sv[j] = Math.sqrt(s);
  }
  return sv.sort().reverse();
}
