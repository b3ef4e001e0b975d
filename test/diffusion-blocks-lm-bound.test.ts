// The likelihood bound of a denoiser of discrete embeddings (lib/models/diffusion-blocks/lm-bound.ts) against closed
// forms: three symbols in the plane with probabilities p. The exact posterior-mean denoiser under p makes the
// continuous-time bound tight, so its mean over items drawn from p is the entropy H(p); the exact denoiser under a
// uniform prior defines the uniform model, whose bound is the cross-entropy ln 3; their difference, item by item on
// the same noise, is KL(p || uniform).
import * as tf from '../lib';
import { embeddingBound } from '../lib/models/diffusion-blocks/lm-bound';
import { expectCode } from './helpers';

const Y = tf.tensor(Float64Array.from([1, 0, -0.5, 0.9, -0.6, -0.8]), { shape: [3, 2], dtype: 'float64' });
const p = [0.5, 0.3, 0.2];
const H = -p.reduce((a, v) => a + v * Math.log(v), 0);
// 3000 items in the proportions of p
const x = Int32Array.from({ length: 3000 }, (_, i) => (i < 1500 ? 0 : i < 2400 ? 1 : 2));

/** E[y | z] when y = Y[c] with prior probabilities `prior` and z = y + sigma eps. */
const posteriorMean = (prior: number[]) => (z: tf.Tensor, s: number) => tf.tidy(() => {
  const d2 = z.square().sum(1, true).add(Y.square().sum(1).reshape([1, 3])).sub(z.matmul(Y.T).mul(2));
  const logPrior = tf.tensor(Float64Array.from(prior, Math.log), { shape: [1, 3], dtype: 'float64' });
  return d2.mul(-1 / (2 * s * s)).add(logPrior).softmax(1).matmul(Y);
});

describe('embeddingBound', () => {
  test('the exact denoiser under p: the mean bound over items from p is H(p); under a uniform prior it is ln 3', () => {
    // Tolerances: one estimate (64 stratified levels, 3000 items) spread by 0.015 nats over seeds (measured: 1.003 -
    // 1.046 for H = 1.030 over six seeds), so the mean of four seeds is within 4 x 0.0075 = 0.03. The paired
    // difference shares all noise and spread by 0.005 (0.063 - 0.074 for 0.069): within 0.02 each.
    const exact: number[] = [], uniform: number[] = [];
    for (const seed of [1, 2, 3, 4]) {
      tf.manualSeed(seed);
      const a = embeddingBound(Y, x, posteriorMean(p), { sigma0: 0.01, sigmaMax: 80, levels: 64 });
      tf.manualSeed(seed);
      const b = embeddingBound(Y, x, posteriorMean([1 / 3, 1 / 3, 1 / 3]), { sigma0: 0.01, sigmaMax: 80, levels: 64 });
      exact.push(a.nats); uniform.push(b.nats);
      expect(Math.abs(b.nats - a.nats - (Math.log(3) - H))).toBeLessThan(0.02);
      // the symbols are 1.3-1.9 apart: at sigma0 = 0.01 the decoder is certain, and sigmaMax = 80 leaves |y|^2 / 12800
      expect(a.decoder).toBeLessThan(1e-12);
      expect(a.prior).toBeCloseTo((0.5 * 1 + 0.3 * 1.06 + 0.2 * 1.0) / 12800, 10);
      expect(a.items).toBe(3000);
    }
    const mean = (v: number[]) => v.reduce((s, c) => s + c, 0) / v.length;
    expect(Math.abs(mean(exact) - H)).toBeLessThan(0.03);
    expect(Math.abs(mean(uniform) - Math.log(3))).toBeLessThan(0.03);
  });

  test('a denoiser that knows nothing (predicts the mean embedding) pays far more than H(p), mostly in the diffusion term', () => {
    tf.manualSeed(5);
    const mean = Y.mean(0, true);
    const b = embeddingBound(Y, x, (z) => mean.expand([z.shape[0], 2]).contiguous(), { sigma0: 0.01, sigmaMax: 80, levels: 32 });
    expect(b.nats).toBeGreaterThan(10 * H);
    expect(b.diffusion).toBeGreaterThan(0.99 * b.nats);
  });

  test('bad input is a TF_ error', () => {
    const den = posteriorMean(p);
    expectCode(() => embeddingBound(Y, Int32Array.from([0, 3]), den, { sigma0: 0.01, sigmaMax: 80 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => embeddingBound(Y, new Int32Array(0), den, { sigma0: 0.01, sigmaMax: 80 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => embeddingBound(Y, x, den, { sigma0: 1, sigmaMax: 0.5 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => embeddingBound(Y, x, den, { sigma0: 0.01, sigmaMax: 80, levels: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => embeddingBound(Y, x, (z) => z.narrow(1, 0, 1).contiguous(), { sigma0: 0.01, sigmaMax: 80, levels: 2 }), 'TF_SHAPE_MISMATCH');
    expectCode(() => embeddingBound(tf.zeros([3]), x, den, { sigma0: 0.01, sigmaMax: 80 }), 'TF_SHAPE_MISMATCH');
  });
});
