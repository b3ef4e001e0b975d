// Convolution semantics against a direct (naive loop) convolution, PyTorch's output-size conventions, and
// the SIMD path against the scalar reference.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { arr, expectClose, expectCode, forEachIsa } from './helpers';

function naiveConv(x: Tensor, w: Tensor, s: [number, number], p: [number, number], d: [number, number], groups: number): { out: number[]; shape: number[] } {
  const [N, C, H, W] = x.shape, [O, Cg, kh, kw] = w.shape;
  const Ho = Math.floor((H + 2 * p[0] - d[0] * (kh - 1) - 1) / s[0]) + 1, Wo = Math.floor((W + 2 * p[1] - d[1] * (kw - 1) - 1) / s[1]) + 1;
  const X = arr(x), Wt = arr(w), out = new Array(N * O * Ho * Wo).fill(0);
  const Og = O / groups;
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const g = Math.floor(o / Og);
    for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
      let acc = 0;
      for (let c = 0; c < Cg; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
        const ih = oh * s[0] - p[0] + i * d[0], iw = ow * s[1] - p[1] + j * d[1];
        if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
        acc += X[((n * C + g * Cg + c) * H + ih) * W + iw] * Wt[((o * Cg + c) * kh + i) * kw + j];
      }
      out[((n * O + o) * Ho + oh) * Wo + ow] = acc;
    }
  }
  return { out, shape: [N, O, Ho, Wo] };
}

describe('conv2d', () => {
  const configs: [number[], number[], [number, number], [number, number], [number, number], number][] = [
    [[2, 3, 7, 6], [5, 3, 3, 3], [1, 1], [1, 1], [1, 1], 1],
    [[1, 4, 9, 8], [6, 2, 3, 2], [2, 3], [0, 2], [2, 1], 2],
    [[3, 6, 5, 5], [6, 1, 3, 3], [1, 1], [1, 1], [1, 1], 6],  // depthwise
    [[1, 1, 1, 1], [2, 1, 1, 1], [1, 1], [0, 0], [1, 1], 1],
  ];
  test.each(configs)('x %j w %j stride %j pad %j dil %j groups %d equals a direct convolution', (xs, ws, s, p, d, g) => {
    const x = tf.randn(xs, { dtype: 'float64' }), w = tf.randn(ws, { dtype: 'float64' });
    const y = tf.conv2d(x, w, { stride: s, padding: p, dilation: d, groups: g });
    const ref = naiveConv(x, w, s, p, d, g);
    expect(y.shape).toEqual(ref.shape);
    expectClose(arr(y), ref.out, 1e-12, 1e-12);
  });
  test('float32 on every ISA path agrees with the float64 direct convolution', () => {
    const x = tf.randn([2, 8, 12, 11]), w = tf.randn([16, 8, 3, 3]);
    const ref = naiveConv(x, w, [1, 1], [1, 1], [1, 1], 1).out;
    // |error| <= 2 K eps sum|x||w| with K = 72: bounded by 2 * 72 * 2^-24 * 72 * max|x||w| ~ 1e-4 here
    forEachIsa((isa) => expectClose(arr(tf.conv2d(x, w, { padding: 1 })), ref, 2e-4, 1e-5, `conv ${isa}`));
  });
  test('convTranspose2d has PyTorch\'s output size and is the adjoint of conv2d', () => {
    const x = tf.randn([2, 4, 5, 5], { dtype: 'float64' }), w = tf.randn([4, 3, 3, 3], { dtype: 'float64' });
    const y = tf.convTranspose2d(x, w, { stride: 2, padding: 1, outputPadding: 1 });
    expect(y.shape).toEqual([2, 3, 10, 10]);  // (5-1)*2 - 2 + 2 + 1 + 1
    // <convT(x), z> = <x, conv(z)> for the matching conv
    const z = tf.randn(y.shape, { dtype: 'float64' });
    const lhs = y.mul(z).sum().item();
    const rhs = x.mul(tf.conv2d(z, w, { stride: 2, padding: 1 })).sum().item();
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-10 * Math.abs(lhs) + 1e-10);
  });
  test('bad shapes are clear errors', () => {
    expectCode(() => tf.conv2d(tf.ones([1, 3, 5, 5]), tf.ones([4, 2, 3, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.conv2d(tf.ones([1, 3, 2, 2]), tf.ones([4, 3, 3, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.conv2d(tf.ones([3, 5, 5]), tf.ones([4, 3, 3, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.conv2d(tf.ones([1, 4, 5, 5]), tf.ones([4, 2, 3, 3]), { groups: 3 }), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.conv2d(tf.ones([1, 3, 5, 5]), tf.ones([4, 3, 3, 3]), { stride: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.conv2d(tf.ones([1, 3, 5, 5]), tf.ones([4, 3, 3, 3], { dtype: 'float64' })), 'TF_DTYPE');
  });
});
