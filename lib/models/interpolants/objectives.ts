// The quadratic objectives of stochastic interpolants, estimated on a batch. Each is
//   L[f] = E_t E[ ½|f(t, x_t)|² - target · f(t, x_t) ]
// whose unique minimiser is f = E[target | x_t] (expand ½|f - E[target|x_t]|²: the rest does not depend on f):
//   b:   target = alpha' x0 + beta' x1 + gamma' z
//   v:   target = alpha' x0 + beta' x1
//   eta: target = z                          (eta = E[z | x_t]; s = -eta / gamma: the sign convention here)
//        one-sided (gamma = 0): target = x0, the base noise (the denoiser eta = E[x0 | x_t]; s = -eta / alpha)
//   s:   target = -z / gamma                 (one-sided, gamma = 0: -x0 / alpha; E[-z/gamma | x_t] = grad log rho_t)
// Antithetic sampling (b and s): the batch is evaluated at x_t^± = alpha x0 + beta x1 ± gamma z with targets
// I' ± gamma' z (b) and ∓ z / gamma (s), and the two halves averaged. Each half alone is an unbiased estimate;
// in the average the O(1/gamma) (s) and O(gamma') (b) parts of the target multiply f(x^+) - f(x^-) = O(gamma),
// so the estimator stays bounded as t -> 0, 1 instead of having variance ~ 1/gamma².
// Per-sample losses sum over the data dimensions; the reduction averages over the batch.
import { Tensor, TensorfieldError } from '../../tensor';
import { rand, randnLike } from '../../random';
import { coefColumns, floatDtype, timesOf } from './coeffs';
import type { Interpolant } from './schedules';

/** A time-dependent vector field on batches: x [n, ...], t [n] (per-row times, x's dtype) -> [n, ...]. */
export type Field = (x: Tensor, t: Tensor) => Tensor;

export type ObjectiveName = 'b' | 'v' | 's' | 'eta';
export const OBJECTIVE_NAMES: readonly ObjectiveName[] = ['b', 'v', 's', 'eta'];

export interface ObjectiveOptions {
  /** Per-row times [n]; default uniform on [tMin, tMax]. */
  t?: Tensor;
  /** The latent noise (x0's shape); default standard normal. */
  z?: Tensor;
  /** Default true for b and s (ignored for v and eta, whose targets do not depend on the sign of z). */
  antithetic?: boolean;
  /**
   * Time range for the default draw. Default [1e-4, 1 - 1e-4]: the s target divides by gamma (or alpha, one-sided),
   * which vanishes at an end; a draw landing within 1e-4 of it carries a weight below 1e-4 of the t-integral.
   */
  tMin?: number;
  tMax?: number;
  /** 'mean' (default): a scalar; 'none': the [n] per-sample losses. */
  reduction?: 'mean' | 'none';
}

function check(x0: Tensor, x1: Tensor, fn: string): void {
  if (!(x0 instanceof Tensor) || !(x1 instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x0 and x1 must be tensors`);
  if (x0.ndim < 2 || x0.shape.join(',') !== x1.shape.join(',')) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: x0 and x1 must have the same shape [n, ...], got [${x0.shape.join(', ')}] and [${x1.shape.join(', ')}]`);
  }
  if (x0.dtype !== x1.dtype) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: x0 is ${x0.dtype}, x1 ${x1.dtype}`);
  floatDtype(x0, fn);
}

function perSample(q: Tensor): Tensor { return q.reshape(q.shape[0], -1).sum(1); }

/**
 * The objective `which` for the field f on a batch of coupled pairs (x0, x1) (each [n, ...]). Differentiable
 * in f's parameters. For one-sided interpolants x0 must be the standard-normal base sample.
 */
export function interpolantLoss(I: Interpolant, which: ObjectiveName, f: Field, x0: Tensor, x1: Tensor,
  opts: ObjectiveOptions = {}): Tensor {
  const fn = `interpolantLoss(${String(which)})`;
  if (!OBJECTIVE_NAMES.includes(which)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `interpolantLoss: unknown objective '${String(which)}' (valid: ${OBJECTIVE_NAMES.join(', ')})`);
  }
  check(x0, x1, fn);
  const n = x0.shape[0], dt = x0.dtype as 'float32' | 'float64';
  const tMin = opts.tMin ?? 1e-4, tMax = opts.tMax ?? 1 - 1e-4;
  if (!(tMin >= 0 && tMax <= 1 && tMin <= tMax)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need 0 <= tMin <= tMax <= 1`);
  const tT = opts.t ?? rand([n], { dtype: dt }).mul(tMax - tMin).add(tMin);
  const ts = timesOf(tT, n, fn);
  const t = tT.ndim === 1 ? tT : tT.reshape(n);
  const oneSided = I.oneSided;
  const z = oneSided ? null : (opts.z ?? randnLike(x0));
  if (z && z.shape.join(',') !== x0.shape.join(',')) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: z must have x0's shape`);
  const C = coefColumns(I, ts, ['alpha', 'beta', 'gamma', 'dAlpha', 'dBeta', 'dGamma'], x0.ndim, dt);
  for (let i = 0; i < n; i++) {
    const c = I.coefficients(ts[i]);
    if (which === 's' && !(oneSided ? c.alpha > 0 : c.gamma > 0)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the score target divides by ${oneSided ? 'alpha' : 'gamma'}, which is 0 at t = ${ts[i]}`);
    }
    if (which === 'b' && z && !Number.isFinite(c.dGamma)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: gamma' is infinite at t = ${ts[i]} (draw t inside (0, 1))`);
    }
  }
  // x_t = det + coef * e with e the latent noise: two-sided det = alpha x0 + beta x1, e = z, coef = gamma;
  // one-sided (base sample x0 ~ N(0, I)) det = beta x1, e = x0, coef = alpha. Antithetic pairs flip e.
  const e = oneSided ? x0 : z!;
  const coef = oneSided ? C.alpha : C.gamma, coefDot = oneSided ? C.dAlpha : C.dGamma;
  const mid = oneSided ? C.beta.mul(x1) : C.alpha.mul(x0).add(C.beta.mul(x1));
  const midDot = oneSided ? C.dBeta.mul(x1) : C.dAlpha.mul(x0).add(C.dBeta.mul(x1));
  const noise = coef.mul(e);
  const dI = C.dAlpha.mul(x0).add(C.dBeta.mul(x1));
  const half = (xt: Tensor, target: Tensor) => {
    const y = f(xt, t);
    if (y.shape.join(',') !== xt.shape.join(',')) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: the field returned [${y.shape.join(', ')}] for x of shape [${xt.shape.join(', ')}]`);
    }
    return perSample(y.mul(y).mul(0.5).sub(y.mul(target)));
  };
  let L: Tensor;
  if (which === 'v' || which === 'eta') {
    L = half(mid.add(noise), which === 'v' ? dI : e);
  } else {
    // Target for x^+ = base + tn; x^- = mid - noise gets base - tn.
    const tn = which === 'b' ? coefDot.mul(e) : e.div(coef).neg();
    const base = which === 'b' ? midDot : null;
    const plus = base ? base.add(tn) : tn;
    const anti = opts.antithetic ?? true;
    if (!anti) {
      L = half(mid.add(noise), plus);
    } else {
      const minus = base ? base.sub(tn) : tn.neg();
      L = half(mid.add(noise), plus).add(half(mid.sub(noise), minus)).mul(0.5);
    }
  }
  return (opts.reduction ?? 'mean') === 'none' ? L : L.mean();
}
