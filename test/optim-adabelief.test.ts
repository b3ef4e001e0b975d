// AdaBelief against a float64 scalar reference of the paper's update, and its bad-input errors.
import * as tf from '../lib';
import { expectClose, expectCode } from './helpers';

function reference(p0: number[], grads: number[][], lr: number, b1: number, b2: number, eps: number, wd: number): number[] {
  const p = p0.slice(), m = p0.map(() => 0), s = p0.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      s[i] = b2 * s[i] + (1 - b2) * (g[i] - m[i]) ** 2 + eps;
      p[i] *= 1 - lr * wd;
      p[i] -= lr * (m[i] / (1 - b1 ** t)) / (Math.sqrt(s[i] / (1 - b2 ** t)) + eps);
    }
  });
  return p;
}

test('AdaBelief: five steps equal the scalar reference (with and without weight decay)', () => {
  for (const wd of [0, 0.1]) {
    const p0 = [0.5, -1.2, 2.0, 0.03];
    const grads = [[0.1, -0.3, 1.5, 0], [0.2, -0.1, 1.4, 1e-3], [-0.4, 0.2, 1.6, 0], [0.05, 0.05, -2, 0.5], [1, -1, 0.3, 0.2]];
    const p = tf.tensor(p0, { dtype: 'float64' }).requiresGrad_();
    const opt = new tf.optim.AdaBelief([p], { lr: 0.01, betas: [0.9, 0.99], eps: 1e-8, weightDecay: wd });
    for (const g of grads) { p.grad = tf.tensor(g, { dtype: 'float64' }); opt.step(); }
    expectClose(p.dataSync(), reference(p0, grads, 0.01, 0.9, 0.99, 1e-8, wd), 1e-12, 1e-10, `wd ${wd}`);
  }
});

test('AdaBelief: the first step is lr / b1, since the belief is (b1 g)^2 where Adam has g^2 (its first step is lr)', () => {
  const p = tf.tensor([0], { dtype: 'float64' }).requiresGrad_();
  const opt = new tf.optim.AdaBelief([p], { lr: 0.1, betas: [0.9, 0.999], eps: 0 });
  p.grad = tf.tensor([3], { dtype: 'float64' });
  opt.step();
  expect(Math.abs(p.item() + 0.1 / 0.9)).toBeLessThan(1e-12);
});

test('AdaBelief: bad hyper-parameters and non-finite gradients are TF_ errors', () => {
  const p = tf.zeros([2]).requiresGrad_();
  expectCode(() => new tf.optim.AdaBelief([p], { betas: [1, 0.9] }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new tf.optim.AdaBelief([p], { eps: -1 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new tf.optim.AdaBelief([p], { lr: -1 }), 'TF_INVALID_ARGUMENT');
  const opt = new tf.optim.AdaBelief([p]);
  p.grad = tf.tensor([NaN, 0]);
  expectCode(() => opt.step(), 'TF_NON_FINITE');
});
