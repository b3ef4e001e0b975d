// The host GEMM driver splits C into a grid of row and column blocks over the pool (cpu/host_matmul.cpp). Each
// element is computed by one kernel call with the kernel's own K order, so the result must not depend on the
// thread count at all: bit-identical at 1, 2, 3 and 5 threads, for wide, tall, tiny and odd shapes, in fp32 and
// at the bf16 matmul precision; and correct against a float64 product.
import * as tf from '../lib';
import { arr, expectArraysEqual } from './helpers';

const shapes: [number, number, number][] = [[256, 256, 256], [5, 300, 700], [700, 40, 9], [1, 1000, 1], [130, 7, 1030], [97, 513, 190]];

describe('GEMM split over the pool', () => {
  const threads = tf.getNumThreads();
  afterAll(() => { tf.setNumThreads(threads); tf.backend.setMatmulPrecision('fp32'); });
  test.each(['fp32', 'bf16'] as const)('%s: the same bits at every thread count, and the float64 product within float32 summation error', (p) => {
    tf.backend.setMatmulPrecision(p);
    tf.manualSeed(11);
    for (const [M, K, N] of shapes) {
      const a = tf.randn([M, K]), b = tf.randn([K, N]);
      const runs = [1, 2, 3, 5].map((t) => { tf.setNumThreads(t); return arr(a.matmul(b)); });
      runs.slice(1).forEach((r, i) => expectArraysEqual(r, runs[0], `${p} ${M}x${K}x${N} at ${[2, 3, 5][i]} threads`));
      if (p === 'fp32') {
        const exact = arr(a.double().matmul(b.double())), scale = arr(a.abs().double().matmul(b.abs().double()));
        const over = runs[0].filter((v, i) => !(Math.abs(v - exact[i]) <= (K + 2) * 2 ** -24 * scale[i])).length;
        expect(over).toBe(0);
      }
    }
  });
  test('the Winograd conv weight gradient (16 products split into channel x output blocks) is the same at every thread count', () => {
    tf.backend.setMatmulPrecision('fp32');
    tf.manualSeed(12);
    for (const [C, O] of [[8, 16], [40, 70], [64, 64]]) {
      const x = tf.randn([3, C, 14, 14]), w = tf.randn([O, C, 3, 3]).mul(0.1), gy = tf.randn([3, O, 14, 14]);
      const grads = [1, 2, 3].map((t) => {
        tf.setNumThreads(t);
        const wv = w.clone().requiresGrad_();
        tf.conv2d(x, wv, { padding: 1 }).mul(gy).sum().backward();
        return arr(wv.grad as tf.Tensor);
      });
      grads.slice(1).forEach((g, i) => expectArraysEqual(g, grads[0], `dw C=${C} O=${O} at ${i + 2} threads`));
    }
  });
});
