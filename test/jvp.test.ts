// Forward mode: for every differentiable op, the native JVP equals central differences along the tangent
// and the double-VJP result (float64).
import * as tf from '../lib';
import { jvpcheck } from './helpers';
import { opCases } from './op-cases';

beforeAll(() => tf.manualSeed(99));

describe('JVP = finite differences = double VJP (float64)', () => {
  test.each(opCases().map((c) => [c.label, c] as const))('%s', (_label, c) => {
    jvpcheck(c.fn, c.inputs(), { ...c.opts, label: c.label });
  });
});
