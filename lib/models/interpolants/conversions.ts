// Conversions between the fields of one interpolant (sign convention: eta = E[z | x_t], so s = -eta / gamma):
//   b = v + gamma' eta = v - gamma gamma' s.
// On a one-sided path (gamma = 0, x_t = alpha x0 + beta x1 with x0 ~ N(0, I)) the latent noise is the base
// sample: eta = E[x0 | x_t] (the denoiser) and s = -eta / alpha, so sFromEta / etaFromS use alpha there.
// The (v, s) form uses the finite product gamma gamma' and is defined on all of [0, 1]; the (v, eta) form needs
// gamma', infinite at the ends for gamma = sqrt(a t(1-t)), so it is evaluated at times clamped to
// [tEdge, 1 - tEdge] there (eta -> 0 at the ends, so the product is finite in the limit).
import { Tensor, TensorfieldError } from '../../tensor';
import { coefColumns, timesOf } from './coeffs';
import type { Field } from './objectives';
import type { Interpolant } from './schedules';

function col(I: Interpolant, name: 'gg' | 'gamma' | 'dGamma' | 'alpha', x: Tensor, t: Tensor, fn: string, map?: (t: number) => number): Tensor {
  const ts = timesOf(t, x.shape[0], fn);
  if (map) for (let i = 0; i < ts.length; i++) ts[i] = map(ts[i]);
  return coefColumns(I, ts, [name], x.ndim, x.dtype as 'float32' | 'float64')[name];
}

/** b = v - gamma gamma' s. */
export function bFromVS(I: Interpolant, v: Field, s: Field): Field {
  return (x, t) => v(x, t).sub(col(I, 'gg', x, t, 'bFromVS').mul(s(x, t)));
}

/** The coefficient of the latent noise: gamma, or alpha on a one-sided path. */
function noiseCoef(I: Interpolant, fn: string): 'gamma' | 'alpha' {
  if (I.oneSided) return 'alpha';
  if (I.gammaSchedule.isZero) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: gamma is identically 0 on a two-sided path (no latent noise)`);
  return 'gamma';
}

/**
 * s = -eta / gamma (one-sided: -eta / alpha), undefined where that coefficient is 0: with tEdge > 0 it is taken
 * at times clamped to [tEdge, 1 - tEdge] (for a learned eta, only approximately 0 there; default 0: exact).
 */
export function sFromEta(I: Interpolant, eta: Field, tEdge = 0): Field {
  const k = noiseCoef(I, 'sFromEta');
  const clampT = tEdge > 0 ? (u: number) => Math.min(Math.max(u, tEdge), 1 - tEdge) : undefined;
  return (x, t) => eta(x, t).div(col(I, k, x, t, 'sFromEta', clampT)).neg();
}

/** eta = -gamma s (one-sided: -alpha s). */
export function etaFromS(I: Interpolant, s: Field): Field {
  const k = noiseCoef(I, 'etaFromS');
  return (x, t) => s(x, t).mul(col(I, k, x, t, 'etaFromS')).neg();
}

/** b = v + gamma' eta, with gamma' taken at times clamped to [tEdge, 1 - tEdge] (see above). */
export function bFromVEta(I: Interpolant, v: Field, eta: Field, tEdge = 1e-6): Field {
  const clampT = (u: number) => Math.min(Math.max(u, tEdge), 1 - tEdge);
  return (x, t) => v(x, t).add(col(I, 'dGamma', x, t, 'bFromVEta', clampT).mul(eta(x, t)));
}

/** v = b + gamma gamma' s. */
export function vFromBS(I: Interpolant, b: Field, s: Field): Field {
  return (x, t) => b(x, t).add(col(I, 'gg', x, t, 'vFromBS').mul(s(x, t)));
}
