// Sample-quality metrics for count data (integers in [0, maxCount]):
//  - per-element count-histogram total variation: for every element (pixel, word), TV between the empirical
//    distributions of its count in two sample sets, averaged over elements (first-order marginals only);
//  - MMD² (RBF, unbiased) between whole items, with bandwidths fixed from the reference (test) data, so that the
//    model, a second test sample and the independent-element baseline are all measured with the same kernel;
//  - the independent-element baseline: items whose elements are drawn independently from the reference's
//    per-element marginals. It matches every first-order histogram exactly in expectation, so only MMD (which
//    sees joint structure) can tell a model that learned the structure from one that did not.
import { Tensor, TensorfieldError } from '../tensor';
import { mmd2 } from './samples';
import { SeededRandom } from '../data/prng';

export interface CountMatrix { rows: number; cols: number; data: Float64Array }

/** Items [n, ...] of any dtype as an n x d matrix of float64 counts, each checked to be an integer in [0, maxCount]. */
export function countMatrix(x: Tensor | CountMatrix, maxCount: number, what: string): CountMatrix {
  const m = x instanceof Tensor
    ? { rows: x.shape[0], cols: x.shape[0] > 0 ? x.numel() / x.shape[0] : 0, data: Float64Array.from(x.dataSync()) }
    : x;
  if (m.rows < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: no items`);
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (!(Number.isInteger(v) && v >= 0 && v <= maxCount)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: counts must be integers in [0, ${maxCount}], got ${v} at flat index ${i}`);
    }
  }
  return m;
}

function sliceRows(m: CountMatrix, lo: number, hi: number): CountMatrix {
  return { rows: hi - lo, cols: m.cols, data: m.data.subarray(lo * m.cols, hi * m.cols) };
}

/** Rows parity, parity + 2, ... (k of them): interleaved halves, so a file ordered by writer or source splits evenly. */
function everyOther(m: CountMatrix, parity: 0 | 1, k: number): CountMatrix {
  const data = new Float64Array(k * m.cols);
  for (let i = 0; i < k; i++) data.set(m.data.subarray((2 * i + parity) * m.cols, (2 * i + parity + 1) * m.cols), i * m.cols);
  return { rows: k, cols: m.cols, data };
}

/** Per element, the fraction of items at each count 0..maxCount: [cols][maxCount + 1] flattened. */
export function countHistograms(m: CountMatrix, maxCount: number): Float64Array {
  const K = maxCount + 1, h = new Float64Array(m.cols * K);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) h[j * K + m.data[i * m.cols + j]] += 1 / m.rows;
  return h;
}

/** Mean over elements of the TV distance between the two sets' count histograms at that element. */
export function countHistogramTV(a: CountMatrix, b: CountMatrix, maxCount: number): number {
  if (a.cols !== b.cols) throw new TensorfieldError('TF_SHAPE_MISMATCH', `countHistogramTV: items of ${a.cols} and ${b.cols} elements`);
  const K = maxCount + 1, ha = countHistograms(a, maxCount), hb = countHistograms(b, maxCount);
  let tv = 0;
  for (let j = 0; j < a.cols; j++) {
    let s = 0;
    for (let c = 0; c < K; c++) s += Math.abs(ha[j * K + c] - hb[j * K + c]);
    tv += s / 2;
  }
  return tv / a.cols;
}

/** n items whose elements are drawn independently, each from the reference's empirical marginal at that element. */
export function independentElements(ref: CountMatrix, n: number, seed: number): CountMatrix {
  const rng = new SeededRandom(seed), out = new Float64Array(n * ref.cols);
  for (let i = 0; i < n; i++) for (let j = 0; j < ref.cols; j++) out[i * ref.cols + j] = ref.data[rng.int(ref.rows) * ref.cols + j];
  return { rows: n, cols: ref.cols, data: out };
}

/** The RBF bandwidths 0.5, 1, 2 x the median pairwise distance of (up to 1000 of) the reference items. */
export function referenceBandwidths(ref: CountMatrix): number[] {
  const k = Math.min(ref.rows, 1000), step = Math.max(1, Math.floor(ref.rows / k)), d: number[] = [];
  const idx: number[] = [];
  for (let i = 0; i < ref.rows && idx.length < k; i += step) idx.push(i);
  for (let a = 0; a < idx.length; a++) {
    for (let b = a + 1; b < idx.length; b++) {
      let s = 0;
      for (let j = 0; j < ref.cols; j++) { const t = ref.data[idx[a] * ref.cols + j] - ref.data[idx[b] * ref.cols + j]; s += t * t; }
      d.push(s);
    }
  }
  d.sort((u, v) => u - v);
  const med = Math.sqrt(d[Math.floor(d.length / 2)] ?? 0) || 1;
  return [0.5 * med, med, 2 * med];
}

export interface CountMetrics {
  /** Items compared in MMD² (each side). */
  mmdN: number;
  /** Histogram TV of all generated items against the whole test set. */
  histTV: number;
  /**
   * The same TV for as many real train items (at most all of them) against the test set: the value a model that
   * reproduced the data distribution exactly would get at this sample size (TV of empirical histograms is biased
   * upwards, ~0.1 at a few hundred items per side on 17 levels), when train items are given.
   */
  histTVRealFloor?: number;
  histTVRealFloorN?: number;
  /** TV of as many independent-element items (drawn from the train marginals, else test half B's) against the test set. */
  histTVIndependent: number;
  mmd2: number;
  mmd2TestVsTest: number;
  mmd2Independent: number;
}

/**
 * Generated items against the test set. For MMD² the test set is cut into interleaved halves A (even rows) and
 * B (odd rows) of m items each (m = min(n, half the test set)): m generated items against A, B against A (test-vs-test), and m
 * independent-element items drawn from B's marginals against A, all with bandwidths from A. The histogram TVs use
 * every generated item and the whole test set, with real train items (when given) as the floor.
 */
export function countMetrics(gen: Tensor | CountMatrix, test: Tensor | CountMatrix, maxCount: number,
  opts: { seed?: number; train?: Tensor | CountMatrix } = {}): CountMetrics {
  const seed = opts.seed ?? 0;
  const g = countMatrix(gen, maxCount, 'countMetrics (samples)'), t = countMatrix(test, maxCount, 'countMetrics (test)');
  if (g.cols !== t.cols) throw new TensorfieldError('TF_SHAPE_MISMATCH', `countMetrics: samples have ${g.cols} elements, test items ${t.cols}`);
  const m = Math.min(g.rows, Math.floor(t.rows / 2));
  if (m < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `countMetrics: needs at least 2 samples and 4 test items, got ${g.rows} and ${t.rows}`);
  const A = everyOther(t, 0, m), B = everyOther(t, 1, m), G = sliceRows(g, 0, m);
  const bw = referenceBandwidths(A);
  const asRows = (x: CountMatrix) => Array.from({ length: x.rows }, (_, i) => x.data.subarray(i * x.cols, (i + 1) * x.cols));
  const out: CountMetrics = {
    mmdN: m,
    histTV: countHistogramTV(g, t, maxCount),
    histTVIndependent: 0,
    mmd2: mmd2(asRows(G), asRows(A), { bandwidths: bw }),
    mmd2TestVsTest: mmd2(asRows(B), asRows(A), { bandwidths: bw }),
    mmd2Independent: mmd2(asRows(independentElements(B, m, seed)), asRows(A), { bandwidths: bw }),
  };
  if (opts.train) {
    const tr = countMatrix(opts.train, maxCount, 'countMetrics (train)');
    if (tr.cols !== t.cols) throw new TensorfieldError('TF_SHAPE_MISMATCH', `countMetrics: train items have ${tr.cols} elements, test items ${t.cols}`);
    const k = Math.min(g.rows, tr.rows);
    out.histTVRealFloor = countHistogramTV(sliceRows(tr, 0, k), t, maxCount);
    out.histTVRealFloorN = k;
    out.histTVIndependent = countHistogramTV(independentElements(tr, g.rows, seed + 1), t, maxCount);
  } else {
    out.histTVIndependent = countHistogramTV(independentElements(B, g.rows, seed + 1), t, maxCount);
  }
  return out;
}
