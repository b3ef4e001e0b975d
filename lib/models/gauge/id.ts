// Intrinsic-dimension estimators from a score field (digest B §2.4).
//  A (Stanczuk et al., score-SVD): perturb a point at a small noise level, stack the centred scores of K
//    perturbations, and read the dimension off the largest gap of their singular values: near a d-dimensional
//    manifold the score points into the D - d normal directions, so D - d singular values are large.
//  B1 (Jacobian spectrum): the eigenvalues of the symmetric part of ds/dx at the point; D - d of them are about
//    -1/sigma^2 (the normal directions), d about 0; for a free (non-conservative) field also report the asymmetry
//    ||J - J^T|| / ||J||, which a conservative field has none of.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { randn } from '../../random';
import { tidy } from '../../scope';
import { jacobian } from '../../func';
import { singularValues, symEig } from '../../linalg';

/** A score field at one noise level: x [n, D] -> s [n, D]. */
export type ScoreAt = (x: Tensor) => Tensor;

export interface ScoreSvdResult {
  dim: number;
  /** Singular values, descending. */
  singularValues: Float64Array;
}

/**
 * Estimator A at one point x0 [D]: K perturbations x0 + sigma z, their scores centred over the K rows, singular
 * values, d = D - (argmax_i (sv[i] - sv[i+1]) + 1). K defaults to 4 D (the official code uses at least D).
 */
export function scoreSvdDimension(score: ScoreAt, x0: Tensor, sigma: number, K?: number): ScoreSvdResult {
  const D = x0.numel();
  const k = K ?? 4 * D;
  if (!(sigma > 0) || !Number.isInteger(k) || k < 2)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `scoreSvdDimension: need sigma > 0 and K >= 2, got ${sigma} and ${k}`);
  const S = tidy(() => {
    const x = x0.reshape(1, D).add(randn([k, D], { dtype: x0.dtype }).mul(sigma));
    const s = score(x);
    return s.sub(s.mean(0, true)).double().dataSync() as Float64Array;
  });
  const sv = singularValues(S, k, D);
  return { dim: D - (largestGap(sv) + 1), singularValues: sv };
}

/** Index i of the largest sv[i] - sv[i+1] (sv descending). */
export function largestGap(sv: ArrayLike<number>): number {
  let best = 0, gap = -Infinity;
  for (let i = 0; i + 1 < sv.length; i++) {
    const g = sv[i] - sv[i + 1];
    if (g > gap) { gap = g; best = i; }
  }
  return best;
}

export interface JacobianSpectrumResult {
  dim: number;
  /** Eigenvalues of (J + J^T) / 2, ascending. */
  eigenvalues: Float64Array;
  /** ||J - J^T||_F / ||J||_F. */
  asymmetry: number;
}

/**
 * Estimator B1 at x0 [D]: J = ds/dx (reverse mode, so a conservative net's score must keep its graph; float64 on
 * the host afterwards); d = the number of eigenvalues
 * of its symmetric part with |lambda| < 1 / (2 sigma^2), sigma the noise level the field was evaluated at.
 */
export function jacobianDimension(score: ScoreAt, x0: Tensor, sigma: number): JacobianSpectrumResult {
  const D = x0.numel();
  const J = tidy(() => jacobian((x) => score(x.reshape(1, D)).reshape(D), x0.reshape(D)).double().dataSync() as Float64Array);
  let num = 0, den = 0;
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) {
    num += (J[i * D + j] - J[j * D + i]) ** 2;
    den += J[i * D + j] ** 2;
  }
  const { values } = symEig(J, D);
  const cut = 1 / (2 * sigma * sigma);
  let dim = 0;
  for (const v of values) if (Math.abs(v) < cut) dim++;
  return { dim, eigenvalues: values, asymmetry: Math.sqrt(num) / Math.sqrt(den || 1) };
}

/** The exact score of N(0, Q Q^T + s^2 I) (a standard Gaussian on the subspace spanned by Q's orthonormal
 * columns, D x k row-major, noised by s): -(P x / (1 + s^2) + (x - P x) / s^2), P = Q Q^T. */
export function subspaceGaussianScore(Q: Float64Array, D: number, k: number, s: number): ScoreAt {
  const q = tensor(Q, { shape: [D, k] });
  return (x) => {
    const px = x.matmul(q.to(x.dtype)).matmul(q.to(x.dtype).transpose(0, 1));
    return px.div(-(1 + s * s)).add(x.sub(px).div(-(s * s)));
  };
}
