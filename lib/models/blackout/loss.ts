// The Blackout training objective: a weighted Poisson negative log-likelihood of the births still to come,
// target = n_0 - n_t, against the network's softplus rate estimate y. Its minimiser over y is E[n_0 - n_t | n_t]
// for any positive weight, which is what the reverse birth rate y p_t / (1 - p_t) needs.
import { Tensor, TensorfieldError } from '../../tensor';
import { tidy } from '../../scope';
import { perItem } from './forward';

/**
 * How the network's raw output becomes the rate estimate y ~ E[n_0 - n_t | n_t]:
 *  - 'paper': y = softplus(raw), the official code's link (positive, linear for large counts);
 *  - 'scaled': y = (1 - p_t) softplus(raw). The deficit n_0 - n_t is Binomial(n_0, 1 - p_t) before conditioning,
 *    so it shrinks to 0 as p_t -> 1, and 'paper' must drive raw towards -inf there, where the Poisson gradient
 *    sigmoid(raw)(1 - target/y) vanishes with y: in short runs the low-noise rates stay far too high (measured:
 *    100x at p = 0.99995 on the digits, lib/models/blackout/README.md). Here softplus(raw) estimates the O(1)
 *    ratio E[n_0 - n_t | n_t] / (1 - p_t), and the reverse birth rate y p / (1 - p) is just p softplus(raw).
 */
export type RateParam = 'paper' | 'scaled';
export const RATE_PARAMS: readonly RateParam[] = ['paper', 'scaled'];

/** y from raw [B, ...] and each item's p_t ([B]). */
export function rateOf(raw: Tensor, p?: ArrayLike<number>, param: RateParam = 'paper'): Tensor {
  if (param === 'paper') return raw.softplus();
  if (param !== 'scaled') throw new TensorfieldError('TF_INVALID_ARGUMENT', `blackout: rate parameterisation must be one of ${RATE_PARAMS.join(', ')}, got '${String(param)}'`);
  if (!p || p.length !== raw.shape[0]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `blackout rateOf: 'scaled' needs one p per item (${raw.shape[0]}), got ${p?.length ?? 'none'}`);
  return tidy(() => raw.softplus().mul(perItem(Array.from(p, (v) => 1 - v), raw.ndim - 1, raw.dtype as 'float32' | 'float64')));
}

/**
 * mean over the batch and elements of w_b (y - target log y). y is floored at 1e-30 inside the log only: a
 * softplus of a very negative raw output underflows to 0 in float32, and log 0 would make the loss infinite where
 * the true loss is large but finite (the clamp passes no gradient there; the y term still pushes y up).
 */
export function poissonNll(y: Tensor, target: Tensor, weights: ArrayLike<number>): Tensor {
  if (y.shape.length !== target.shape.length || y.shape.some((d, i) => d !== target.shape[i])) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `blackout poissonNll: rates [${y.shape}] and targets [${target.shape}] differ`);
  }
  if (y.shape[0] !== weights.length) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `blackout poissonNll: ${weights.length} weights for a batch of ${y.shape[0]}`);
  }
  return tidy(() => {
    const w = perItem(weights, y.ndim - 1, y.dtype as 'float32' | 'float64');
    return y.sub(target.mul(y.clamp(1e-30, Infinity).log())).mul(w).mean();
  });
}
