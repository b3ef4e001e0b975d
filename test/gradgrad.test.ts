// Second order (createGraph): for every differentiable op, the derivative of its gradient against central
// differences of the gradient, in float64.
import * as tf from '../lib';
import { gradgradcheck } from './helpers';
import { opCases } from './op-cases';

beforeAll(() => tf.manualSeed(4321));

describe('second derivatives match finite differences of gradients (float64)', () => {
  test.each(opCases().map((c) => [c.label, c] as const))('%s', (_label, c) => {
    gradgradcheck(c.fn, c.inputs(), { ...c.opts, label: c.label });
  });
});
