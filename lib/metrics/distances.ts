// Pairwise squared Euclidean distances between two sample sets, streamed a row at a time so memory stays
// O(block x m) however many samples there are.
import { tensor } from '../tensor';
import { tidy } from '../scope';
import { Matrix, localFloat64 } from './linalg';

// Math functions bound once at module scope: inside a vm context (jest's test sandbox, for one) every lookup of a
// global such as Math goes through the context's interceptors, which made the O(n²) loops here ~40x slower.
const { max } = Math;

// Below this many multiply-adds a plain JS loop is fast enough and exact; above it, float64 matmuls.
const JS_LIMIT = 2e7;
const BLOCK = 512;

/**
 * Calls visit(i, row) with row[j] = |a_i - b_j|² for every row i of `a`. `row` is reused between calls: copy
 * what must outlive the call.
 */
export function forEachSqDistRow(a: Matrix, b: Matrix, visit: (i: number, row: Float64Array) => void): void {
  const { rows: n, cols: d } = a;
  const m = b.rows;
  const row = new Float64Array(m);
  if (n * m * d <= JS_LIMIT) {
    for (let i = 0; i < n; i++) {
      const ai = i * d;
      for (let j = 0; j < m; j++) {
        let s = 0;
        const bj = j * d;
        for (let k = 0; k < d; k++) { const t = a.data[ai + k] - b.data[bj + k]; s += t * t; }
        row[j] = s;
      }
      visit(i, row);
    }
    return;
  }
  // |a|² + |b|² - 2 a·b cancels when points sit close together far from the origin: centre both sets on their
  // pooled mean first (distances do not change), which keeps the cancellation to the spread of the data.
  const mean = new Float64Array(d);
  for (const x of [a, b]) for (let i = 0; i < x.rows * d; i++) mean[i % d] += x.data[i] / (n + m);
  const centred = (x: Matrix) => {
    const out = new Float64Array(x.rows * d);
    for (let i = 0; i < out.length; i++) out[i] = x.data[i] - mean[i % d];
    return out;
  };
  const ac = centred(a), bc = centred(b);
  const norms = (x: Float64Array, r: number) => {
    const out = new Float64Array(r);
    for (let i = 0; i < r; i++) { let s = 0; for (let k = 0; k < d; k++) s += x[i * d + k] ** 2; out[i] = s; }
    return out;
  };
  const an = norms(ac, n), bn = norms(bc, m);
  tidy(() => {
    const A = tensor(ac, { shape: [n, d], dtype: 'float64' });
    const Bt = tensor(bc, { shape: [m, d], dtype: 'float64' }).T;
    for (let s = 0; s < n; s += BLOCK) {
      const len = Math.min(BLOCK, n - s);
      const g = tidy(() => localFloat64(A.narrow(0, s, len).matmul(Bt)));
      for (let i = 0; i < len; i++) {
        const ai = an[s + i], o = i * m;
        for (let j = 0; j < m; j++) row[j] = max(ai + bn[j] - 2 * g[o + j], 0);
        visit(s + i, row);
      }
    }
  });
}

/** The k-th smallest value of row excluding position `skip` (-1: none), k >= 1. */
export function kthSmallest(row: Float64Array, k: number, skip = -1): number {
  const best = new Float64Array(k).fill(Infinity);
  for (let j = 0; j < row.length; j++) {
    if (j === skip) continue;
    const v = row[j];
    if (v < best[k - 1]) {
      let p = k - 1;
      while (p > 0 && best[p - 1] > v) { best[p] = best[p - 1]; p--; }
      best[p] = v;
    }
  }
  return best[k - 1];
}

/** The median pairwise distance within m's rows (all pairs i < j), 1 when it is 0 or m has under two rows. */
export function matrixMedianDistance(m: Matrix): number {
  const ds: number[] = [];
  forEachSqDistRow(m, m, (i, row) => { for (let j = i + 1; j < row.length; j++) ds.push(row[j]); });
  ds.sort((u, v) => u - v);
  const med = Math.sqrt(ds[Math.floor(ds.length / 2)] ?? 0);
  return med > 0 ? med : 1;
}
