// Sums, means and variances along long dimensions (1,000 to 100,000 elements), on every ISA path, against
// float64 sums of the same data, within bounds derived from n rather than fixed tolerances. A mean that divided
// by n + 1 (relative error 1/(n + 1)) passed every earlier test: the only mean over more than 1000 elements was
// checked at 0.02.
//
// The bounds. With u the unit roundoff of the dtype (2^-24 float32, 2^-53 float64) and g(k) = k u / (1 - k u),
// any summation order of n terms errs by at most g(n - 1) sum|x| (Higham, Accuracy and Stability, 4.2); the mean
// adds one rounding of the division: |mean - m| <= g(n - 1) sum|x| / n + u |m|. Small-integer data are summed
// exactly in any order (every partial sum is an integer below 2^24), so there the mean is the correctly rounded
// s / n: within u |m|, which a 1/(n + 1) error exceeds by far at every n here. The variance, computed as
// sum((x - mean)^2) / (n - 1) from the computed mean (off by d), is within
// (g(n + 2) S2 + n d^2) / (n - 1) of the exact one (S2 the exact sum of squared deviations; the diff, the square
// and the sum contribute n + 2 roundings at most, a shifted mean adds n d^2).
import * as tf from '../lib';
import { arr, forEachIsa } from './helpers';

const U = { float32: 2 ** -24, float64: 2 ** -53 };
const g = (k: number, u: number) => (k * u) / (1 - k * u);
const LENGTHS = [1000, 1001, 4097, 33333, 100000];

/** Exact-ish float64 statistics of the rows of `data` viewed as [rows, n] (two-pass, in doubles). */
function rowStats(data: ArrayLike<number>, rows: number, n: number, rowStride: number, colStride: number) {
  const out: { sum: number; abs: number; mean: number; s2: number }[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0, a = 0;
    for (let i = 0; i < n; i++) { const v = data[r * rowStride + i * colStride]; s += v; a += Math.abs(v); }
    const m = s / n;
    let s2 = 0;
    for (let i = 0; i < n; i++) { const d = data[r * rowStride + i * colStride] - m; s2 += d * d; }
    out.push({ sum: s, abs: a, mean: m, s2 });
  }
  return out;
}

function check(x: tf.Tensor, dim: number, exactSums: boolean, label: string): void {
  const dtype = x.dtype as 'float32' | 'float64';
  const u = U[dtype];
  const [d0, d1] = x.shape;
  const n = x.shape[dim], rows = x.shape[1 - dim];
  const data = arr(x);
  // element i of row r: dim 1 -> r * d1 + i; dim 0 -> i * d1 + r
  const st = dim === 1 ? rowStats(data, d0, n, d1, 1) : rowStats(data, d1, n, 1, d1);
  const sums = arr(x.sum(dim)), means = arr(x.mean(dim)), vars = arr(x.var(dim)), meanK = arr(x.mean(dim, true));
  expect(sums.length).toBe(rows);
  for (let r = 0; r < rows; r++) {
    const { sum, abs, mean, s2 } = st[r];
    const where = `${label} row ${r} (n = ${n})`;
    const sumBound = exactSums ? 0 : g(n - 1, u) * abs;
    if (!(Math.abs(sums[r] - sum) <= sumBound))
      throw new Error(`${where}: sum ${sums[r]}, float64 ${sum}, |diff| ${Math.abs(sums[r] - sum)} > ${sumBound}`);
    const meanBound = sumBound / n + u * Math.abs(mean);
    for (const [what, got] of [['mean', means[r]], ['mean keepdim', meanK[r]]] as const)
      if (!(Math.abs(got - mean) <= meanBound))
        throw new Error(`${where}: ${what} ${got}, float64 ${mean}, |diff| ${Math.abs(got - mean)} > ${meanBound}`);
    const v = s2 / (n - 1);
    const varBound = (g(n + 2, u) * s2 + n * meanBound * meanBound) / (n - 1) + u * v;
    if (!(Math.abs(vars[r] - v) <= varBound))
      throw new Error(`${where}: var ${vars[r]}, float64 ${v}, |diff| ${Math.abs(vars[r] - v)} > ${varBound}`);
  }
}

describe('reductions along long dimensions, against float64 sums', () => {
  test('ones([4097]).mean() is exactly 1 (and sum exactly 4097) on every ISA path', () => {
    forEachIsa((isa) => {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = tf.ones([4097], { dtype });
        expect([isa, dtype, x.mean().item()]).toEqual([isa, dtype, 1]);
        expect([isa, dtype, x.sum().item()]).toEqual([isa, dtype, 4097]);
        expect([isa, dtype, x.var().item()]).toEqual([isa, dtype, 0]);
        expect([isa, dtype, arr(tf.ones([3, 4097], { dtype }).mean(1))]).toEqual([isa, dtype, [1, 1, 1]]);
        expect([isa, dtype, arr(tf.ones([4097, 2], { dtype }).mean(0))]).toEqual([isa, dtype, [1, 1]]);
      }
    });
  });

  test('small-integer data (exact sums): sum exact, mean correctly rounded, var within its bound', () => {
    tf.manualSeed(31);
    forEachIsa((isa) => {
      for (const n of LENGTHS)
        for (const dtype of ['float32', 'float64'] as const) {
          // values in [-3, 12]: a mean well away from 0, so a wrong divisor shows
          const rows = tf.randint(-3, 13, [3, n]).to(dtype);
          check(rows, 1, true, `${isa} ${dtype} [3, ${n}] dim 1`);
          const cols = tf.randint(-3, 13, [n, 2]).to(dtype);
          check(cols, 0, true, `${isa} ${dtype} [${n}, 2] dim 0`);
        }
    });
  });

  test('normal data with an offset: sum, mean and var within the bounds derived from n', () => {
    tf.manualSeed(32);
    forEachIsa((isa) => {
      for (const n of LENGTHS)
        for (const dtype of ['float32', 'float64'] as const) {
          check(tf.randn([2, n], { dtype }).add(3), 1, false, `${isa} ${dtype} [2, ${n}] dim 1`);
          check(tf.randn([n, 3], { dtype }).mul(2).sub(1), 0, false, `${isa} ${dtype} [${n}, 3] dim 0`);
        }
    });
  });
});
