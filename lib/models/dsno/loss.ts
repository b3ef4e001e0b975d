// The DSNO loss (digest A §4.4): L = mean over slices i of w_i d(x_hat_i, x_i), w_i = clamp(alpha/sigma, 1, 1e4)
// (schedule.sliceWeights), d the per-sample L1 (mean |.| over a slice's values, the ImageNet config) or L2 (mean
// square). The final slice's weight (1e4) dominates; the others act as auxiliary supervision.
import { Tensor, TensorfieldError, tensor } from '../../tensor';

export type DsnoDistance = 'l1' | 'l2';

/** pred, target [B, M, ...]; weights [M]. Returns the scalar loss and the per-slice mean distances (no weight). */
export function dsnoLoss(pred: Tensor, target: Tensor, weights: number[], distance: DsnoDistance = 'l1'): { loss: Tensor; perSlice: Tensor } {
  if (pred.ndim < 2 || pred.shape.join() !== target.shape.join())
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `dsnoLoss: prediction [${pred.shape}] and target [${target.shape}] must match, [B, M, ...]`);
  const M = pred.shape[1];
  if (weights.length !== M) throw new TensorfieldError('TF_SHAPE_MISMATCH', `dsnoLoss: ${weights.length} weights for ${M} slices`);
  if (distance !== 'l1' && distance !== 'l2') throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsnoLoss: distance must be 'l1' or 'l2', got ${JSON.stringify(distance)}`);
  const diff = pred.sub(target);
  const e = distance === 'l1' ? diff.abs() : diff.square();
  const dims = Array.from({ length: pred.ndim - 2 }, (_, i) => i + 2);
  const perSample = dims.length ? e.mean(dims) : e;          // [B, M]
  const perSlice = perSample.mean(0);                          // [M]
  const w = tensor(Float32Array.from(weights), { shape: [M] }).to(pred.dtype as never);
  return { loss: perSlice.mul(w).mean(), perSlice };
}
