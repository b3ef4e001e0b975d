// First order: float64 central-difference gradient checks for every differentiable op (test/op-cases.ts),
// including broadcasting and views.
import * as tf from '../lib';
import { gradcheck, randn64 } from './helpers';
import { opCases } from './op-cases';

beforeAll(() => tf.manualSeed(1234));

describe('gradients match central differences (float64)', () => {
  test.each(opCases().map((c) => [c.label, c] as const))('%s', (_label, c) => {
    gradcheck(c.fn, c.inputs(), { ...c.opts, label: c.label });
  });
});

test('detach stops the gradient: d/dx sum(x * detach(x)) = x', () => {
  const x = randn64(3, 4).requiresGrad_();
  const [g] = tf.autograd.grad(x.mul(x.detach()).sum(), [x]);
  expect(Array.from(g!.dataSync())).toEqual(Array.from(x.dataSync()));
});
