// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, MIT licence): 28x28 grey-level images of clothing in 10 classes,
// 60000 for training and 10000 for testing. The full set is read from the Debian package
// `dataset-fashion-mnist`; a class-balanced subset (3000 train, 1000 test, cut by scripts/cut-fashion-subset.js)
// ships in assets/ so tests and the demo work on a machine without it.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { readIdx } from './idx';
import { rand } from '../random';
import { where } from '../ops';

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
] as const;

/** Where the Debian package puts the files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';
/** The subset shipped with the package (two levels above both lib/data and dist/data). */
export const FASHION_MNIST_EMBEDDED_DIR = path.join(__dirname, '..', '..', 'assets', 'fashion-mnist');

export type Split = 'train' | 'test';

export interface FashionMNISTOptions {
  split?: Split;
  /**
   * 'auto' (default): the Debian package when installed, else the embedded subset. 'full': the Debian package
   * (an error naming the package when it is missing). 'embedded': the shipped subset. Or a directory holding
   * the four IDX files (gzipped or not).
   */
  source?: 'auto' | 'full' | 'embedded' | string;
  /** Keep only the first `limit` images. */
  limit?: number;
}

export interface ImageDataset {
  /** count x height x width bytes, row-major. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  height: number;
  width: number;
  classes: readonly string[];
  /** The directory the files were read from. */
  source: string;
}

const STEMS: Record<Split, string> = { train: 'train', test: 't10k' };

function findFile(dir: string, stem: string): string | null {
  for (const name of [`${stem}.gz`, stem]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

function resolveDir(source: string): string {
  if (source === 'embedded') return FASHION_MNIST_EMBEDDED_DIR;
  if (source === 'full' || source === 'auto') {
    if (findFile(FASHION_MNIST_DEBIAN_DIR, 'train-images-idx3-ubyte')) return FASHION_MNIST_DEBIAN_DIR;
    if (source === 'full') {
      throw new TensorfieldError('TF_BAD_FILE', `the full Fashion-MNIST is not installed (no IDX files in ` +
        `${FASHION_MNIST_DEBIAN_DIR}); install it with 'apt-get install -y dataset-fashion-mnist', pass a ` +
        `directory holding the IDX files, or use source 'embedded' for the shipped subset`);
    }
    return FASHION_MNIST_EMBEDDED_DIR;
  }
  return source;
}

/** The directory a source option reads from ('auto': the Debian package when installed, else the shipped subset). */
export function fashionMNISTDir(source: string = 'auto'): string {
  if (typeof source !== 'string' || source === '') {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `Fashion-MNIST source must be 'auto', 'full', 'embedded' or a directory, got '${String(source)}'`);
  }
  return resolveDir(source);
}

export interface FashionDatasetInfo {
  /** 'full': the Debian package; 'subset': the class-balanced subset shipped in assets/; 'folder': other IDX files. */
  kind: 'full' | 'subset' | 'folder';
  /** The directory the files were read from. */
  dir: string;
  /** One line for logs and READMEs. */
  description: string;
  /** What was asked for ('auto', 'full', 'embedded' or a directory). */
  requested: string;
  /** True when 'auto' fell back to the shipped subset because the Debian package is not installed. */
  fellBack: boolean;
}

/** Which Fashion-MNIST files a source option reads, in words (for logs and for every recorded result). */
export function describeFashionSource(source: string = 'auto'): FashionDatasetInfo {
  const dir = fashionMNISTDir(source);
  if (dir === FASHION_MNIST_DEBIAN_DIR) {
    return { kind: 'full', dir, requested: source, fellBack: false,
      description: `the full Fashion-MNIST (60000 train / 10000 test images, Debian package dataset-fashion-mnist, ${dir})` };
  }
  if (path.resolve(dir) === path.resolve(FASHION_MNIST_EMBEDDED_DIR)) {
    const fellBack = source === 'auto';
    return { kind: 'subset', dir, requested: source, fellBack,
      description: 'the 3,000-image class-balanced Fashion-MNIST subset shipped in assets/fashion-mnist (3000 train / 1000 test images)' +
        (fellBack ? `; the Debian package dataset-fashion-mnist is not installed (${FASHION_MNIST_DEBIAN_DIR})` : '') };
  }
  return { kind: 'folder', dir, requested: source, fellBack: false, description: `Fashion-MNIST IDX files from ${dir}` };
}

/** Loads one split as raw bytes; every file problem is a TF_BAD_FILE naming the file. */
export function loadFashionMNIST(opts: FashionMNISTOptions = {}): ImageDataset {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `loadFashionMNIST: split must be 'train' or 'test', got '${String(split)}'`);
  }
  const dir = resolveDir(opts.source ?? 'auto');
  const hint = dir === FASHION_MNIST_DEBIAN_DIR ? "; reinstall with 'apt-get install --reinstall dataset-fashion-mnist'" : '';
  const stem = STEMS[split];
  const imgFile = findFile(dir, `${stem}-images-idx3-ubyte`) ?? path.join(dir, `${stem}-images-idx3-ubyte.gz`);
  const lblFile = findFile(dir, `${stem}-labels-idx1-ubyte`) ?? path.join(dir, `${stem}-labels-idx1-ubyte.gz`);
  const img = readIdx(imgFile, hint);
  const lbl = readIdx(lblFile, hint);
  if (img.dims.length !== 3) {
    throw new TensorfieldError('TF_BAD_FILE', `IDX file '${imgFile}': images need 3 dimensions, found [${img.dims.join(', ')}]`);
  }
  if (lbl.dims.length !== 1 || lbl.dims[0] !== img.dims[0]) {
    throw new TensorfieldError('TF_BAD_FILE', `IDX file '${lblFile}': expected ${img.dims[0]} labels to match ` +
      `'${imgFile}', found dimensions [${lbl.dims.join(', ')}]`);
  }
  for (let i = 0; i < lbl.data.length; i++) {
    if (lbl.data[i] > 9) throw new TensorfieldError('TF_BAD_FILE', `IDX file '${lblFile}': label ${lbl.data[i]} at ${i} is not a class 0-9`);
  }
  const [n0, height, width] = img.dims;
  let count = n0;
  if (opts.limit !== undefined) {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `loadFashionMNIST: limit must be a non-negative integer, got ${opts.limit}`);
    }
    count = Math.min(count, opts.limit);
  }
  return {
    images: img.data.subarray(0, count * height * width), labels: lbl.data.subarray(0, count), count, height, width,
    classes: FASHION_MNIST_CLASSES, source: dir,
  };
}

export interface ImageTensorOptions {
  /** Output side: the native size or an integer divisor of it (2x2 mean pooling for 14 from 28). Default native. */
  resolution?: number;
  /** Value range: [-1, 1] (default, as diffusion models use) or [0, 1]. */
  range?: '[-1,1]' | '[0,1]';
  /** Which images, in this order (default all). */
  indices?: ArrayLike<number>;
}

/** Images as a float32 [N, 1, r, r] tensor. */
export function imagesToTensor(ds: ImageDataset, opts: ImageTensorOptions = {}): Tensor {
  const { height: H, width: W } = ds;
  const r = opts.resolution ?? H;
  if (!Number.isInteger(r) || r <= 0 || H % r !== 0 || W % r !== 0 || H / r !== W / r) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `imagesToTensor: resolution ${r} must divide the image size ${H}x${W}`);
  }
  const f = H / r;
  const idx = opts.indices ?? null;
  const n = idx ? idx.length : ds.count;
  const [scale, shift] = (opts.range ?? '[-1,1]') === '[0,1]' ? [1 / (255 * f * f), 0] : [2 / (255 * f * f), -1];
  const out = new Float32Array(n * r * r);
  for (let k = 0; k < n; k++) {
    const i = idx ? idx[k] : k;
    if (!(i >= 0 && i < ds.count && Number.isInteger(i))) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `imagesToTensor: index ${i} out of range [0, ${ds.count})`);
    }
    const src = i * H * W;
    for (let y = 0; y < r; y++) {
      for (let x = 0; x < r; x++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += ds.images[src + (y * f + dy) * W + x * f + dx];
        out[(k * r + y) * r + x] = s * scale + shift;
      }
    }
  }
  return tensor(out, { shape: [n, 1, r, r] });
}

/** Labels as an int32 [N] tensor. */
export function labelsToTensor(ds: ImageDataset, indices?: ArrayLike<number>): Tensor {
  const n = indices ? indices.length : ds.count;
  const out = new Int32Array(n);
  for (let k = 0; k < n; k++) out[k] = ds.labels[indices ? indices[k] : k];
  return tensor(out, { shape: [n] });
}

/** Mirrors each image left-right with probability p, one draw per image from the engine's generator (seeded by manualSeed). */
export function randomHorizontalFlip(x: Tensor, p = 0.5): Tensor {
  if (x.ndim !== 4) throw new TensorfieldError('TF_SHAPE_MISMATCH', `randomHorizontalFlip: expected [N, C, H, W], got [${x.shape.join(', ')}]`);
  const coin = rand([x.shape[0], 1, 1, 1]);
  const mask = coin.lt(p);
  const flipped = x.flip(3);
  const out = where(mask, flipped, x);
  flipped.dispose();
  coin.dispose();
  mask.dispose();
  return out;
}
