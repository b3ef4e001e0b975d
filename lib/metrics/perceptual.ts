// A perceptual distance offline: LPIPS's construction (Zhang et al. 2018) over the shipped Fashion-MNIST
// classifier instead of an ImageNet network, since nothing may be downloaded. At every stage of the classifier
// (three conv blocks, then the 128 penultimate features) each pixel's channel vector is scaled to unit length, and
// the squared difference of the two images' unit vectors, summed over channels and averaged over pixels, is added
// up over the stages. LPIPS then weights channels with a linear layer fitted to human judgements; no such
// judgements exist here, so every channel weighs 1 (LPIPS's "baseline" variant). Each stage contributes between 0
// and 4, so the distance lies in [0, 16]. Differentiable in both images: the DSNO loss (lib/models/dsno/loss.ts)
// uses it in place of LPIPS.
import { Tensor, TensorfieldError } from '../tensor';
import { cat } from '../ops';
import { FashionClassifier, loadFashionClassifier, toClassifierInput } from './classifier';

export interface PerceptualOptions {
  /** the network whose stages are compared; default the shipped classifier (its parameters are frozen) */
  classifier?: FashionClassifier;
}

// Unit length along the channel axis; the 1e-10 under the root keeps the gradient finite for an all-zero pixel
// (LPIPS adds 1e-10 to the norm instead: the same up to 1e-5 relative at the norms met here).
function unitChannels(f: Tensor): Tensor {
  return f.div(f.square().sum(1, true).add(1e-10).sqrt());
}

/**
 * Per-image distance [N] between images a and b [N, 1, 28, 28] or [N, 1, 14, 14] in [-1, 1] (14x14 are upsampled
 * as for the classifier's scores). Both images go through the network in one batch.
 */
export function classifierPerceptualDistance(a: Tensor, b: Tensor, opts: PerceptualOptions = {}): Tensor {
  const fn = 'classifierPerceptualDistance';
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: a and b must be Tensors`);
  if (a.shape.join() !== b.shape.join())
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: a [${a.shape}] and b [${b.shape}] must have one shape`);
  const net = opts.classifier ?? loadFashionClassifier();
  if (!(net instanceof FashionClassifier)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: classifier must be a FashionClassifier`);
  // the images take the network's dtype (float64 for gradient checks)
  const dtype = net.head.weight.dtype as 'float32' | 'float64';
  const prep = (x: Tensor) => toClassifierInput(x, fn, dtype);
  const n = a.shape[0];
  const stages = net.activations(cat([prep(a), prep(b)], 0));
  let total: Tensor | null = null;
  for (const f of stages) {
    const u = unitChannels(f);
    const d = u.narrow(0, 0, n).sub(u.narrow(0, n, n)).square().sum(1);  // [N, H, W] or [N]
    const perImage = d.ndim > 1 ? d.mean(Array.from({ length: d.ndim - 1 }, (_, i) => i + 1)) : d;
    total = total ? total.add(perImage) : perImage;
  }
  return total!;
}
