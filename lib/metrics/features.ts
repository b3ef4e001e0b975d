// Penultimate features and class probabilities of the shipped Fashion-MNIST classifier, in batches under
// tidy() so native memory stays flat however many images are scored.
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { tidy } from '../scope';
import { noGrad } from '../autograd';
import { FashionClassifier, FEATURE_DIM, NUM_CLASSES, loadFashionClassifier, toClassifierInput, checkImages } from './classifier';

export interface FeatureOptions {
  /** Images per forward pass (default 250). Only speed and peak memory depend on it. */
  batchSize?: number;
  /** Another classifier (default: the shipped one). */
  model?: FashionClassifier;
}

export interface AsyncFeatureOptions extends FeatureOptions {
  /** Called after each batch with the images done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface ClassifierOutputs {
  /** [n, 128] penultimate activations, float64. */
  features: Float64Array;
  /** [n, 10] softmax class probabilities, float64. */
  probs: Float64Array;
  count: number;
  featureDim: number;
}

function batchSizeOf(o: FeatureOptions, fn: string): number {
  const b = o.batchSize ?? 250;
  if (!Number.isInteger(b) || b <= 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: batchSize must be a positive integer, got ${b}`);
  return b;
}

function runBatch(model: FashionClassifier, x: Tensor, start: number, len: number, out: ClassifierOutputs): void {
  noGrad(() => tidy(() => {
    const f = model.features(toClassifierInput(x.narrow(0, start, len)));
    const p = model.logits(f).softmax(1);
    out.features.set(f.dataSync() as Float32Array, start * FEATURE_DIM);
    out.probs.set(p.dataSync() as Float32Array, start * NUM_CLASSES);
  }));
}

function prepare(images: Tensor, o: FeatureOptions, fn: string): { model: FashionClassifier; n: number; b: number; out: ClassifierOutputs } {
  checkImages(images, fn);
  checkFinite(images, fn);
  const b = batchSizeOf(o, fn);
  const model = o.model ?? loadFashionClassifier();
  const n = images.shape[0];
  return { model, n, b, out: { features: new Float64Array(n * FEATURE_DIM), probs: new Float64Array(n * NUM_CLASSES), count: n, featureDim: FEATURE_DIM } };
}

function checkFinite(images: Tensor, fn: string): void {
  const ok = tidy(() => images.isfinite().to('float32').min().item());
  if (ok !== 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: images contain NaN or infinite values`);
}

/** Features and class probabilities of images [N, 1, 28, 28] or [N, 1, 14, 14] in [-1, 1]. */
export function classifierOutputs(images: Tensor, opts: FeatureOptions = {}): ClassifierOutputs {
  const { model, n, b, out } = prepare(images, opts, 'classifierOutputs');
  for (let s = 0; s < n; s += b) runBatch(model, images, s, Math.min(b, n - s), out);
  return out;
}

/** Async form: one batch per macrotask, so a server or UI stays responsive while thousands of images are scored. */
export async function classifierOutputsAsync(images: Tensor, opts: AsyncFeatureOptions = {}): Promise<ClassifierOutputs> {
  const { model, n, b, out } = prepare(images, opts, 'classifierOutputsAsync');
  for (let s = 0; s < n; s += b) {
    runBatch(model, images, s, Math.min(b, n - s), out);
    opts.onProgress?.(Math.min(s + b, n), n);
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** Penultimate features [N, 128] as a float64 tensor. */
export function classifierFeatures(images: Tensor, opts: FeatureOptions = {}): Tensor {
  const o = classifierOutputs(images, opts);
  return tensor(o.features, { shape: [o.count, FEATURE_DIM], dtype: 'float64' });
}

export async function classifierFeaturesAsync(images: Tensor, opts: AsyncFeatureOptions = {}): Promise<Tensor> {
  const o = await classifierOutputsAsync(images, opts);
  return tensor(o.features, { shape: [o.count, FEATURE_DIM], dtype: 'float64' });
}

/** Fraction of images whose most probable class is the label. */
export function classifierAccuracy(images: Tensor, labels: ArrayLike<number> | Tensor, opts: FeatureOptions = {}): number {
  checkImages(images, 'classifierAccuracy');
  const lab = labels instanceof Tensor ? (labels.dataSync() as ArrayLike<number>) : labels;
  if (!lab || lab.length !== images.shape[0]) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `classifierAccuracy: ${images.shape[0]} images but ${lab?.length} labels`);
  }
  const { probs, count } = classifierOutputs(images, opts);
  let correct = 0;
  for (let i = 0; i < count; i++) {
    let best = 0;
    for (let k = 1; k < NUM_CLASSES; k++) if (probs[i * NUM_CLASSES + k] > probs[i * NUM_CLASSES + best]) best = k;
    if (best === lab[i]) correct++;
  }
  return correct / count;
}
