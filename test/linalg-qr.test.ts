// Householder QR (lib/linalg/qr.ts): the factorisation's defining properties on random matrices, a float64 hand
// case, equality with Gram-Schmidt (the unique Q with a positive R diagonal), and the errors for bad input.
import * as tf from '../lib';
import { householderQr } from '../lib/linalg';
import { SeededRandom } from '../lib/data/prng';
import { expectCode } from './helpers';

const gaussian = (m: number, n: number, seed: number) => {
  const g = new SeededRandom(seed);
  return Float64Array.from({ length: m * n }, () => g.normal());
};

// a reference written independently of qr.ts: modified Gram-Schmidt run twice per column (Q with positive R diagonal)
function gramSchmidt(a: Float64Array, m: number, n: number): Float64Array {
  const q = Float64Array.from(a);
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) for (let p = 0; p < j; p++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[i * n + p] * q[i * n + j];
      for (let i = 0; i < m; i++) q[i * n + j] -= dot * q[i * n + p];
    }
    let s = 0;
    for (let i = 0; i < m; i++) s += q[i * n + j] ** 2;
    for (let i = 0; i < m; i++) q[i * n + j] /= Math.sqrt(s);
  }
  return q;
}

describe('householderQr', () => {
  test.each([[9, 5], [6, 6], [40, 12], [7, 1]])('A = QR, Q^T Q = I, R upper triangular with a positive diagonal (%i x %i)', (m, n) => {
    const a = gaussian(m, n, 100 * m + n);
    const { q, r } = householderQr(a, m, n);
    let recon = 0, orth = 0, norm = 0;
    for (const v of a) norm = Math.max(norm, Math.abs(v));
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[i * n + k] * r[k * n + j];
      recon = Math.max(recon, Math.abs(s - a[i * n + j]));
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < m; k++) s += q[k * n + i] * q[k * n + j];
      orth = Math.max(orth, Math.abs(s - (i === j ? 1 : 0)));
    }
    // Householder is backward stable: residuals of a few ulps times sqrt(m) n |A| (at most ~1e-13 for 40 x 12)
    expect(recon).toBeLessThan(1e-13 * norm);
    expect(orth).toBeLessThan(1e-14);
    for (let i = 0; i < n; i++) {
      expect(r[i * n + i]).toBeGreaterThan(0);
      for (let j = 0; j < i; j++) expect(r[i * n + j]).toBe(0);
    }
  });

  test('a float64 hand case, with a negative leading entry (the sign convention flips the reflection\'s R)', () => {
    // A = [[-3, 1], [4, 2]]: q1 = (-0.6, 0.8), r12 = q1 . (1, 2) = 1, (1, 2) - q1 = (1.6, 1.2), |.| = 2, q2 = (0.8, 0.6)
    const { q, r } = householderQr([-3, 1, 4, 2], 2, 2);
    const want = { q: [-0.6, 0.8, 0.8, 0.6], r: [5, 1, 0, 2] };
    q.forEach((v, i) => expect(Math.abs(v - [want.q[0], want.q[2], want.q[1], want.q[3]][i])).toBeLessThan(1e-15));
    r.forEach((v, i) => expect(Math.abs(v - want.r[i])).toBeLessThan(4e-15));
    // tall: A = [[1, 1], [1, 0], [0, 1]]: R = [[sqrt 2, 1/sqrt 2], [0, sqrt 1.5]], q2 = (1/2, -1/2, 1) / sqrt 1.5
    const t = householderQr([1, 1, 1, 0, 0, 1], 3, 2);
    const s2 = Math.SQRT2, s15 = Math.sqrt(1.5);
    [s2, 1 / s2, 0, s15].forEach((v, i) => expect(Math.abs(t.r[i] - v)).toBeLessThan(4e-16 * 4));
    [1 / s2, 0.5 / s15, 1 / s2, -0.5 / s15, 0, 1 / s15].forEach((v, i) => expect(Math.abs(t.q[i] - v)).toBeLessThan(4e-16 * 4));
  });

  test('Q equals Gram-Schmidt\'s to rounding (the unique thin QR with a positive R diagonal)', () => {
    const m = 20, n = 6, a = gaussian(m, n, 13);
    const { q } = householderQr(a, m, n), ref = gramSchmidt(a, m, n);
    let d = 0;
    q.forEach((v, i) => { d = Math.max(d, Math.abs(v - ref[i])); });
    // both are backward stable for this well-conditioned Gaussian matrix (cond ~ 4): differences of ~10 ulps
    expect(d).toBeLessThan(1e-14);
  });

  test('tf.linalg.qr on tensors; dependent columns, non-finite entries and wide matrices are TF_* errors', () => {
    tf.manualSeed(7);
    const A = tf.randn([8, 3], { dtype: 'float64' });
    const { q, r } = tf.linalg.qr(A);
    expect(q.shape).toEqual([8, 3]);
    expect(r.shape).toEqual([3, 3]);
    expect(q.matmul(r).sub(A).abs().amax().item()).toBeLessThan(1e-14);
    // the third column is the sum of the first two: its pivot is rounding error
    const a = gaussian(6, 3, 1);
    for (let i = 0; i < 6; i++) a[i * 3 + 2] = a[i * 3] + a[i * 3 + 1];
    expectCode(() => householderQr(a, 6, 3), 'TF_INVALID_ARGUMENT');
    expectCode(() => householderQr(new Float64Array(6), 3, 2), 'TF_INVALID_ARGUMENT');
    const bad = gaussian(4, 2, 2);
    bad[5] = NaN;
    expectCode(() => householderQr(bad, 4, 2), 'TF_NON_FINITE');
    expectCode(() => tf.linalg.qr(tf.tensor([[1, Infinity], [2, 3]])), 'TF_NON_FINITE');
    expectCode(() => householderQr(gaussian(2, 3, 3), 2, 3), 'TF_SHAPE_MISMATCH');
    expectCode(() => householderQr([1, 2, 3], 2, 2), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.linalg.qr(tf.randn([4])), 'TF_SHAPE_MISMATCH');
  });
});
