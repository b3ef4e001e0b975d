// Kullback-Leibler divergence between two Gaussians, in float64 with Cholesky factors:
//   KL(N(m1, C1) || N(m2, C2)) = ½ [ tr(C2⁻¹ C1) + (m2 - m1)ᵀ C2⁻¹ (m2 - m1) - d + ln det C2 - ln det C1 ].
// With gaussianStats it gives the plug-in KL between a sample's Gaussian fit and a known Gaussian.
import { TensorfieldError } from '../tensor';

/** Lower Cholesky factor of a symmetric positive-definite d x d matrix (row-major); throws if it is not SPD. */
export function cholesky(a: ArrayLike<number>, d: number, fn = 'cholesky'): Float64Array {
  if (a.length !== d * d) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: expected ${d}x${d} = ${d * d} entries, got ${a.length}`);
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let acc = a[i * d + j];
      for (let k = 0; k < j; k++) acc -= L[i * d + k] * L[j * d + k];
      if (i === j) {
        if (!(acc > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the matrix is not positive definite (pivot ${i} = ${acc})`);
        L[i * d + i] = Math.sqrt(acc);
      } else {
        L[i * d + j] = acc / L[j * d + j];
      }
    }
  }
  return L;
}

/** Solves L y = b for lower-triangular L (forward substitution). */
function forward(L: Float64Array, b: Float64Array, d: number): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let acc = b[i];
    for (let k = 0; k < i; k++) acc -= L[i * d + k] * y[k];
    y[i] = acc / L[i * d + i];
  }
  return y;
}

/**
 * KL(N(mu1, cov1) || N(mu2, cov2)) in nats; covariances d x d row-major, symmetric positive definite. The
 * trace term is |L2⁻¹ L1|²_F, so no inverse is formed.
 */
export function gaussianKL(mu1: ArrayLike<number>, cov1: ArrayLike<number>, mu2: ArrayLike<number>, cov2: ArrayLike<number>): number {
  const fn = 'gaussianKL', d = mu1.length;
  if (mu2.length !== d) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: mu1 has length ${d}, mu2 ${mu2.length}`);
  const L1 = cholesky(cov1, d, fn), L2 = cholesky(cov2, d, fn);
  let trace = 0;
  for (let j = 0; j < d; j++) {
    const col = new Float64Array(d);
    for (let i = 0; i < d; i++) col[i] = L1[i * d + j];
    for (const v of forward(L2, col, d)) trace += v * v;
  }
  const diff = new Float64Array(d);
  for (let i = 0; i < d; i++) diff[i] = mu2[i] - mu1[i];
  let maha = 0;
  for (const v of forward(L2, diff, d)) maha += v * v;
  let logdet = 0;
  for (let i = 0; i < d; i++) logdet += 2 * (Math.log(L2[i * d + i]) - Math.log(L1[i * d + i]));
  return 0.5 * (trace + maha - d + logdet);
}
