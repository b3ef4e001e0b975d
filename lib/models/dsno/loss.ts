// The DSNO loss (digest A §4.4): L = mean over slices i of w_i d(x_hat_i, x_i), w_i = clamp(alpha/sigma, 1, 1e4)
// (schedule.sliceWeights), d the per-sample L1 (mean |.| over a slice's values, the ImageNet config) or L2 (mean
// square), or for Fashion-MNIST images the classifier-feature distance that stands in for the paper's LPIPS
// offline (lib/metrics/perceptual.ts). The final slice's weight (1e4) dominates; the others act as auxiliary
// supervision.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { classifierPerceptualDistance } from '../../metrics/perceptual';
import type { FashionClassifier } from '../../metrics/classifier';

export type DsnoDistance = 'l1' | 'l2' | 'feature';

export interface DsnoLossOptions {
  /** 'feature': the factor that brings pred and target back to data units ([-1, 1] images); default 1 */
  dataScale?: number;
  /** 'feature': the network compared in; default the shipped Fashion-MNIST classifier */
  classifier?: FashionClassifier;
}

/**
 * pred, target [B, M, ...] ([B, M, 1, H, W] images with H = 28 or 14 for 'feature'); weights [M]. Returns the
 * scalar loss and the per-slice mean distances (no weight).
 */
export function dsnoLoss(pred: Tensor, target: Tensor, weights: number[], distance: DsnoDistance = 'l1',
                         opts: DsnoLossOptions = {}): { loss: Tensor; perSlice: Tensor } {
  if (pred.ndim < 2 || pred.shape.join() !== target.shape.join())
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `dsnoLoss: prediction [${pred.shape}] and target [${target.shape}] must match, [B, M, ...]`);
  const M = pred.shape[1];
  if (weights.length !== M) throw new TensorfieldError('TF_SHAPE_MISMATCH', `dsnoLoss: ${weights.length} weights for ${M} slices`);
  if (distance !== 'l1' && distance !== 'l2' && distance !== 'feature')
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsnoLoss: distance must be 'l1', 'l2' or 'feature', got ${JSON.stringify(distance)}`);
  let perSample: Tensor;                                       // [B, M]
  if (distance === 'feature') {
    if (pred.ndim !== 5) throw new TensorfieldError('TF_SHAPE_MISMATCH', `dsnoLoss: 'feature' needs image slices [B, M, 1, H, W], got [${pred.shape}]`);
    const s = opts.dataScale ?? 1;
    if (!(s > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsnoLoss: dataScale must be > 0, got ${s}`);
    const flat = (x: Tensor) => x.reshape(-1, ...x.shape.slice(2)).mul(s);
    perSample = classifierPerceptualDistance(flat(pred), flat(target), { classifier: opts.classifier })
      .to(pred.dtype as never).reshape(pred.shape[0], M);
  } else {
    const diff = pred.sub(target);
    const e = distance === 'l1' ? diff.abs() : diff.square();
    const dims = Array.from({ length: pred.ndim - 2 }, (_, i) => i + 2);
    perSample = dims.length ? e.mean(dims) : e;
  }
  const perSlice = perSample.mean(0);                          // [M]
  const w = tensor(Float32Array.from(weights), { shape: [M] }).to(pred.dtype as never);
  return { loss: perSlice.mul(w).mean(), perSlice };
}
