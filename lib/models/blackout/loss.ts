// The Blackout training objective: a weighted Poisson negative log-likelihood of the births still to come,
// target = n_0 - n_t, against the network's softplus rate estimate y. Its minimiser over y is E[n_0 - n_t | n_t]
// for any positive weight, which is what the reverse birth rate y p_t / (1 - p_t) needs.
import { Tensor, TensorfieldError } from '../../tensor';
import { tidy } from '../../scope';
import { perItem } from './forward';

/**
 * The rate estimate y = softplus(raw) (the official code's link: positive, and linear for large counts so
 * a 255-count pixel is not squashed).
 */
export function rateOf(raw: Tensor): Tensor { return raw.softplus(); }

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
