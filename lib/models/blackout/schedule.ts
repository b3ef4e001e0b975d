// Blackout observation schedule (Santos et al. 2023, §3.2 of the digest): T observation times whose survival
// probabilities p_k = e^{-t_k} are uniform in logit(p) between logit(1 - e^{-tEnd}) and logit(e^{-tEnd}). The
// official notebooks find these times by bisection; the closed form below is exact (logit is the inverse of
// sigmoid), so there is nothing to iterate. Index k = 0 is the observation nearest the data (p ~ 1), k = T - 1 the
// one nearest the empty image (p = e^{-tEnd}).
import { TensorfieldError } from '../../tensor';

export type LossWeighting = 'instantaneous' | 'finite-time' | 'elbo';
export const LOSS_WEIGHTINGS: readonly LossWeighting[] = ['instantaneous', 'finite-time', 'elbo'];

export interface BlackoutSchedule {
  T: number;
  tEnd: number;
  /** Survival probabilities p_k, decreasing in k (float64). */
  p: Float64Array;
  /** Times t_k = -log p_k, increasing in k. */
  t: Float64Array;
}

/** sigmoid without overflow for large |g| (g reaches ±tEnd, and tEnd may be large). */
function sigmoid(g: number): number {
  return g >= 0 ? 1 / (1 + Math.exp(-g)) : Math.exp(g) / (1 + Math.exp(g));
}

export function blackoutSchedule(T = 1000, tEnd = 15): BlackoutSchedule {
  if (!Number.isInteger(T) || T < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackoutSchedule: T must be an integer >= 2 (observation times), got ${T}`);
  if (!(Number.isFinite(tEnd) && tEnd > 0 && tEnd <= 700)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackoutSchedule: tEnd must be in (0, 700] (e^{-tEnd} must stay a positive double), got ${tEnd}`);
  }
  // logit(e^{-tEnd}) = -tEnd - log(1 - e^{-tEnd}) = -tEnd - log1p(-e^{-tEnd}); fMax < 0
  const fMax = -tEnd - Math.log1p(-Math.exp(-tEnd));
  const p = new Float64Array(T), t = new Float64Array(T);
  for (let k = 0; k < T; k++) {
    const g = -fMax + (2 * fMax * k) / (T - 1);  // linspace(-fMax, fMax, T)
    p[k] = sigmoid(g);
    // -log sigmoid(g) = log1p(e^{-g}) (g > 0) or -g + log1p(e^{g}) (g < 0): keeps t_k accurate near p = 1
    t[k] = g >= 0 ? Math.log1p(Math.exp(-g)) : -g + Math.log1p(Math.exp(g));
  }
  return { T, tEnd, p, t };
}

/**
 * The per-index loss weights w_k of the Poisson NLL, for k drawn uniformly (pi_k = 1/T):
 *  - instantaneous (the official code): p_k (t_k - t_{k-1}) / pi_k, t_{-1} = 0;
 *  - finite-time (the official code's other form): (p_{k-1} - p_k) / pi_k, p_{-1} = 1;
 *  - elbo: p_k / (1 - p_k) (t_k - t_{k-1}) / pi_k, the continuous-time ELBO's weight (the code drops 1/(1 - p)).
 * Any positive weights leave the minimiser E[n_0 - n_t | n_t] unchanged; they change which times the fit favours.
 */
export function lossWeights(s: BlackoutSchedule, kind: LossWeighting): Float64Array {
  const w = new Float64Array(s.T);
  for (let k = 0; k < s.T; k++) {
    const dt = s.t[k] - (k > 0 ? s.t[k - 1] : 0);
    if (kind === 'instantaneous') w[k] = s.p[k] * dt * s.T;
    else if (kind === 'finite-time') w[k] = ((k > 0 ? s.p[k - 1] : 1) - s.p[k]) * s.T;
    else if (kind === 'elbo') w[k] = (s.p[k] / -Math.expm1(-s.t[k])) * dt * s.T;  // 1 - p_k = -expm1(-t_k), exact near p = 1
    else throw new TensorfieldError('TF_INVALID_ARGUMENT', `lossWeights: weighting must be one of ${LOSS_WEIGHTINGS.join(', ')}, got '${String(kind)}'`);
  }
  return w;
}
