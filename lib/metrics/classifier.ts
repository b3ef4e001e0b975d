// A small Fashion-MNIST classifier trained by tensorfield itself (scripts/train-fashion-classifier.js), whose
// penultimate features stand in for Inception features when scoring generated Fashion-MNIST samples. The
// weights and the real test set's feature statistics ship in assets/classifier/.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, TensorfieldError } from '../tensor';
import { Module } from '../nn/module';
import { Conv2d, GroupNorm, Linear, Sequential, Activation, AvgPool2d } from '../nn/layers';
import * as F from '../nn/functional';
import { loadSafetensors } from '../io/safetensors';
import { tidy, keep } from '../scope';
import { noGrad } from '../autograd';

/** Width of the penultimate layer: the feature space of FD_cls and of precision/recall. */
export const FEATURE_DIM = 128;
export const NUM_CLASSES = 10;
/** The shipped weights and statistics (two levels above both lib/metrics and dist/metrics). */
export const CLASSIFIER_DIR = path.join(__dirname, '..', '..', 'assets', 'classifier');
export const CLASSIFIER_FILE = path.join(CLASSIFIER_DIR, 'fashion-cnn.safetensors');

// conv 3x3 -> GroupNorm -> SiLU: GroupNorm rather than BatchNorm so a sample's features do not depend on the
// rest of its batch (the metric must not change with the batch size).
function block(cin: number, cout: number): Module & { forward(x: Tensor): Tensor } {
  return new Sequential(new Conv2d(cin, cout, 3, { padding: 1 }), new GroupNorm(Math.min(8, cout / 4), cout), new Activation('silu'));
}

/**
 * [N, 1, 28, 28] in [-1, 1] -> logits [N, 10]. Three conv stages (28 -> 14 -> 7 by 2x2 mean pooling), a
 * 128-wide penultimate layer (the features) and a linear head. Small on purpose: it has to train in minutes on
 * two CPU cores and ship in well under 2 MB.
 */
export class FashionClassifier extends Module {
  body: Sequential;
  fc: Linear;
  head: Linear;
  constructor(public width = 16) {
    super();
    const w = width;
    this.body = this.module('body', new Sequential(
      block(1, w), new AvgPool2d(2),            // 14x14
      block(w, 2 * w), new AvgPool2d(2),        // 7x7
      block(2 * w, 4 * w),
    ));
    // 7x7 -> 4x4 by 2x2 mean pooling with padding 1 (no row or column of the 7x7 map is dropped).
    this.fc = this.module('fc', new Linear(4 * w * 4 * 4, FEATURE_DIM));
    this.head = this.module('head', new Linear(FEATURE_DIM, NUM_CLASSES));
  }
  /** Penultimate activations [N, 128]. */
  features(x: Tensor): Tensor { return this.activations(x).at(-1)!; }
  /**
   * Every stage's activations, shallow to deep: the three conv blocks' outputs ([N, w, 28, 28], [N, 2w, 14, 14],
   * [N, 4w, 7, 7], before their pooling) and the penultimate features [N, 128] (lib/metrics/perceptual.ts).
   */
  activations(x: Tensor): Tensor[] {
    const out: Tensor[] = [];
    let h = x;
    for (const layer of this.body.layers) {
      h = layer.forward(h);
      if (!(layer instanceof AvgPool2d)) out.push(h);
    }
    out.push(this.fc.forward(F.avgPool2d(h, 2, 2, 1).flatten(1)).silu());
    return out;
  }
  logits(features: Tensor): Tensor { return this.head.forward(features); }
  forward(x: Tensor): Tensor { return this.logits(this.features(x)); }
}

/** Mean cross-entropy of logits [N, K] against integer labels [N]. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return logits.logSoftmax(1).gather(1, labels.reshape(-1, 1)).mean().neg();
}

/**
 * 14x14 images are scored at 28x28 by nearest-neighbour upsampling; the 14x14 reference statistics are made
 * from real images downsampled by 2x2 means and upsampled the same way, so only the sample's quality differs.
 */
export function checkImages(images: Tensor, fn: string): 28 | 14 {
  if (!(images instanceof Tensor)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: images must be a Tensor`);
  const s = images.shape;
  if (s.length !== 4 || s[1] !== 1 || s[2] !== s[3] || (s[2] !== 28 && s[2] !== 14)) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: expected images [N, 1, 28, 28] or [N, 1, 14, 14], got [${s.join(', ')}]`);
  }
  if (s[0] === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no images`);
  return s[2] as 28 | 14;
}

/** Images as the classifier reads them: in its dtype (float32 unless a float64 copy is being checked), 14x14 upsampled. */
export function toClassifierInput(images: Tensor, fn = 'classifier', dtype: 'float32' | 'float64' = 'float32'): Tensor {
  const side = checkImages(images, fn);
  const x = images.dtype === dtype ? images : images.to(dtype);
  return side === 14 ? F.upsampleNearest(x, 2) : x;
}

/** Downsamples [N, 1, 28, 28] by 2x2 means and upsamples back by repetition: what a 14x14 model can show at best. */
export function roundTrip14(images: Tensor): Tensor {
  return F.upsampleNearest(F.avgPool2d(images, 2), 2);
}

let cached: FashionClassifier | null = null;

/**
 * The shipped classifier in eval mode (loaded once, then shared). A missing, truncated or foreign file is a
 * TF_BAD_FILE naming it and how to rebuild it.
 */
export function loadFashionClassifier(file: string = CLASSIFIER_FILE): FashionClassifier {
  if (file === CLASSIFIER_FILE && cached) return cached;
  if (!fs.existsSync(file)) {
    throw new TensorfieldError('TF_BAD_FILE', `classifier weights '${file}' not found; rebuild them with ` +
      `'node scripts/train-fashion-classifier.js' (needs the full Fashion-MNIST)`);
  }
  const model = noGrad(() => tidy(() => {
    const { tensors, metadata } = loadSafetensors(file);
    const width = Number(metadata.width ?? NaN);
    if (!Number.isInteger(width) || width <= 0) {
      throw new TensorfieldError('TF_BAD_FILE', `classifier weights '${file}': metadata has no valid 'width' (not a tensorfield classifier file?)`);
    }
    const m = new FashionClassifier(width);
    const own = m.stateDict();
    const state = new Map([...tensors].filter(([k]) => own.has(k)));
    try {
      m.loadStateDict(state);
    } catch (e) {
      m.dispose();
      throw new TensorfieldError('TF_BAD_FILE', `classifier weights '${file}' do not fit the architecture: ${(e as Error).message}`);
    }
    for (const p of m.parameters()) keep(p);
    return m;
  }));
  model.eval();
  for (const p of model.parameters()) p.requiresGrad = false;
  if (file === CLASSIFIER_FILE) cached = model;
  return model;
}
