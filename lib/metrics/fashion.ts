// Scores of generated Fashion-MNIST images through the shipped classifier: FD_cls (the FID analogue against
// the real test set's cached statistics), the classifier score (Inception Score analogue) and k-NN precision
// and recall in its feature space.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, TensorfieldError } from '../tensor';
import { loadSafetensors } from '../io/safetensors';
import { tidy } from '../scope';
import { CLASSIFIER_DIR, NUM_CLASSES, checkImages } from './classifier';
import { GaussianStats, gaussianStats, frechetDistanceStats } from './frechet';
import { ClassifierOutputs, FeatureOptions, AsyncFeatureOptions, classifierOutputs, classifierOutputsAsync } from './features';
import { Samples, Matrix, toMatrix, requireRows, sameDim } from './linalg';
import { forEachSqDistRow, kthSmallest } from './distances';

export const REFERENCE_STATS_FILE = path.join(CLASSIFIER_DIR, 'fashion-test-stats.safetensors');

const statsCache = new Map<string, GaussianStats>();

/**
 * Mean and covariance of the classifier features of the 10000 real test images, at 28x28 or (2x2 means,
 * then upsampled back) 14x14, as cached by scripts/train-fashion-classifier.js.
 */
export function fashionReferenceStats(resolution: 28 | 14 = 28, file: string = REFERENCE_STATS_FILE): GaussianStats {
  if (resolution !== 28 && resolution !== 14) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `fashionReferenceStats: resolution must be 28 or 14, got ${resolution}`);
  }
  const key = `${file}@${resolution}`;
  const hit = statsCache.get(key);
  if (hit) return hit;
  if (!fs.existsSync(file)) {
    throw new TensorfieldError('TF_BAD_FILE', `reference statistics '${file}' not found; rebuild them with 'node scripts/train-fashion-classifier.js'`);
  }
  const stats = tidy(() => {
    const { tensors, metadata } = loadSafetensors(file);
    const mu = tensors.get(`mu${resolution}`), cov = tensors.get(`cov${resolution}`);
    const d = mu?.shape[0] ?? 0;
    if (!mu || !cov || mu.ndim !== 1 || cov.ndim !== 2 || cov.shape[0] !== d || cov.shape[1] !== d) {
      throw new TensorfieldError('TF_BAD_FILE', `reference statistics '${file}': no valid mu${resolution} [d] and cov${resolution} [d, d]`);
    }
    return {
      mu: Float64Array.from(mu.dataSync() as ArrayLike<number>), cov: Float64Array.from(cov.dataSync() as ArrayLike<number>),
      dim: d, count: Number(metadata.count ?? 0),
    };
  });
  statsCache.set(key, stats);
  return stats;
}

export interface FashionFDOptions extends FeatureOptions {
  /** Which reference statistics: the samples' own side (28 or 14) by default; must match it if given. */
  resolution?: 28 | 14;
}

function resolutionOf(samples: Tensor, o: FashionFDOptions, fn: string): 28 | 14 {
  const side = checkImages(samples, fn);
  if (o.resolution !== undefined && o.resolution !== side) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: resolution ${o.resolution} given for ${side}x${side} samples`);
  }
  return side;
}

function fdFromOutputs(out: ClassifierOutputs, res: 28 | 14): number {
  const f = { rows: out.count, cols: out.featureDim };
  if (f.rows < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `fashionFrechetDistance: need at least 2 samples, got ${f.rows}`);
  const rows: Float64Array[] = [];
  for (let i = 0; i < f.rows; i++) rows.push(out.features.subarray(i * f.cols, (i + 1) * f.cols));
  return frechetDistanceStats(gaussianStats(rows), fashionReferenceStats(res));
}

/**
 * FD_cls: the Fréchet distance between the classifier features of `samples` (in [-1, 1]) and of the real test
 * set. Like FID it is biased upward for small sample counts (the sample covariance's noise adds to the
 * trace term), so compare models with the same number of samples: 10000 for reported numbers.
 */
export function fashionFrechetDistance(samples: Tensor, opts: FashionFDOptions = {}): number {
  const res = resolutionOf(samples, opts, 'fashionFrechetDistance');
  return fdFromOutputs(classifierOutputs(samples, opts), res);
}

export async function fashionFrechetDistanceAsync(samples: Tensor, opts: FashionFDOptions & AsyncFeatureOptions = {}): Promise<number> {
  const res = resolutionOf(samples, opts, 'fashionFrechetDistanceAsync');
  return fdFromOutputs(await classifierOutputsAsync(samples, opts), res);
}

/**
 * exp(E_x KL(p(y|x) || p(y))) from class probabilities [n, K] (rows summing to 1), with p(y) their mean.
 * Between 1 (every sample the same class distribution) and K (confident, with classes balanced).
 */
export function scoreFromProbs(probs: ArrayLike<number>, k: number = NUM_CLASSES): number {
  const n = probs.length / k;
  if (!Number.isInteger(n) || n < 1) throw new TensorfieldError('TF_SHAPE_MISMATCH', `classifierScore: ${probs.length} probabilities is not a whole number of rows of ${k}`);
  const py = new Float64Array(k);
  for (let i = 0; i < n * k; i++) {
    const p = probs[i];
    if (!(p >= 0 && p <= 1 + 1e-6)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `classifierScore: probability ${p} at flat index ${i} is not in [0, 1]`);
    py[i % k] += p / n;
  }
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const p = probs[i * k + c];
      // 0 log 0 = 0; p(y) > 0 wherever some p(y|x) > 0, so there is no division by zero.
      if (p > 0) kl += p * (Math.log(p) - Math.log(py[c]));
    }
  }
  return Math.exp(kl / n);
}

/** The Inception Score analogue of images [N, 1, 28|14, 28|14] under the shipped classifier (one split). */
export function classifierScore(samples: Tensor, opts: FeatureOptions = {}): number {
  return scoreFromProbs(classifierOutputs(samples, opts).probs);
}

export async function classifierScoreAsync(samples: Tensor, opts: AsyncFeatureOptions = {}): Promise<number> {
  return scoreFromProbs((await classifierOutputsAsync(samples, opts)).probs);
}

export interface PrecisionRecall { precision: number; recall: number }

/** k-NN radius of every row within its own set: the distance to its k-th nearest other row. */
function knnRadii(x: Matrix, k: number): Float64Array {
  const r = new Float64Array(x.rows);
  forEachSqDistRow(x, x, (i, row) => { r[i] = kthSmallest(row, k, i); });
  return r;
}

/**
 * Both coverages from one pass over the fake-to-real distances: a fake counts for precision if it lies in some
 * real ball (squared radius rr[j]); a real counts for recall if some fake's ball (rf[i]) reaches it.
 */
function coverages(fake: Matrix, real: Matrix, rr: Float64Array, rf: Float64Array): PrecisionRecall {
  const reached = new Uint8Array(real.rows);
  let onReal = 0;
  forEachSqDistRow(fake, real, (i, row) => {
    const ri = rf[i];
    let inside = false;
    for (let j = 0; j < row.length; j++) {
      const v = row[j];
      if (v <= rr[j]) inside = true;
      if (v <= ri) reached[j] = 1;
    }
    if (inside) onReal++;
  });
  let recalled = 0;
  for (let j = 0; j < real.rows; j++) recalled += reached[j];
  return { precision: onReal / fake.rows, recall: recalled / real.rows };
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): the real manifold is the union of balls around
 * each real feature reaching its k-th nearest real neighbour, likewise for the fakes. Precision = fraction of
 * fakes on the real manifold (fidelity); recall = fraction of reals on the fake manifold (diversity / mode
 * coverage). Features [n, d] as Tensors, row arrays or (for d = 1) flat typed arrays; k = 3 as in the paper.
 */
export function precisionRecall(realFeatures: Samples, fakeFeatures: Samples, k = 3): PrecisionRecall {
  const fn = 'precisionRecall';
  if (!Number.isInteger(k) || k < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: k must be a positive integer, got ${k}`);
  const real = toMatrix(realFeatures, fn, 'real features');
  const fake = toMatrix(fakeFeatures, fn, 'fake features');
  sameDim(real, fake, fn);
  requireRows(real, k + 1, fn, `real samples for k = ${k}`);
  requireRows(fake, k + 1, fn, `fake samples for k = ${k}`);
  const rr = knnRadii(real, k), rf = knnRadii(fake, k);
  return coverages(fake, real, rr, rf);
}

/**
 * `draws` mutually disjoint sets of `n` positions in [0, poolSize), from a seeded shuffle with its own generator
 * (the engine's stream is not touched, so evaluating does not change what is sampled after it).
 */
export function disjointDraws(poolSize: number, n: number, draws: number, seed = 0): Int32Array[] {
  const fn = 'disjointDraws';
  if (!Number.isInteger(n) || n < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: n must be an integer >= 2, got ${n}`);
  if (!Number.isInteger(draws) || draws < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: draws must be a positive integer, got ${draws}`);
  if (!Number.isInteger(seed)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: seed must be an integer, got ${seed}`);
  if (!Number.isInteger(poolSize) || n * draws > poolSize) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${draws} disjoint draws of ${n} need ${n * draws} images; the pool holds ${poolSize}`);
  }
  // splitmix32: a small, well-mixed generator; Fisher-Yates over the whole pool, then consecutive slices.
  let state = (seed ^ 0x9e3779b9) >>> 0;
  const next = () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
  const perm = new Int32Array(poolSize);
  for (let i = 0; i < poolSize; i++) perm[i] = i;
  for (let i = poolSize - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  return Array.from({ length: draws }, (_, d) => perm.slice(d * n, (d + 1) * n));
}

export interface RealFloor {
  /** Mean FD_cls of the draws: what a real sample of this size scores against the reference. */
  mean: number;
  /** Sample standard deviation over the draws (NaN for one draw). */
  sd: number;
  min: number;
  max: number;
  values: number[];
  n: number;
  draws: number;
}

/**
 * The real-data floor of FD_cls at sample count n: FD_cls of `draws` disjoint real samples of n images taken by
 * `take(positions)` from a pool of `poolSize` images that must not be in the reference statistics (an image that
 * is in them pulls the estimate down: ~35 % lower at n = 1000). Mean, spread and every value.
 */
export async function fashionRealFloorAsync(take: (positions: Int32Array) => Tensor, poolSize: number, n: number,
  opts: { draws?: number; seed?: number } & AsyncFeatureOptions = {}): Promise<RealFloor> {
  const { draws = 3, seed = 0, ...feat } = opts;
  const values: number[] = [];
  for (const pos of disjointDraws(poolSize, n, draws, seed)) {
    const x = take(pos);
    try {
      values.push(await fashionFrechetDistanceAsync(x, feat));
    } finally {
      x.dispose();
    }
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : NaN;
  return { mean, sd, min: Math.min(...values), max: Math.max(...values), values, n, draws };
}
