// Energy score and the normalised quantile loss (lib/metrics/ensemble-scores.ts) against closed forms.
import * as tf from '../lib';
import * as M from '../lib/metrics';
import { expectCode } from './helpers';

beforeAll(() => tf.manualSeed(31));

test('energy score: for d = 1 it is the ensemble CRPS, and one member scores its distance', () => {
  const xs = [0.3, -1.2, 2.5, 0.7, 0.1];
  expect(M.energyScore(xs.map((v) => [v]), [0.4])).toBeCloseTo(M.crpsEnsemble(xs, 0.4), 12);
  expect(M.energyScore(xs.map((v) => [v]), [0.4], { fair: true })).toBeCloseTo(M.crpsEnsemble(xs, 0.4, { fair: true }), 12);
  expect(M.energyScore([[3, 4]], [0, 0])).toBeCloseTo(5, 12);
});

test('energy score of N(0, I_2) draws at y = 0 matches E||X|| (1 - 1/sqrt 2) = sqrt(pi/2)(1 - 1/sqrt 2)', () => {
  // E||X|| = sqrt(pi/2) for X ~ N(0, I_2) (Rayleigh mean) and X - X' ~ N(0, 2 I); the fair estimator is unbiased.
  // The ||X|| term's standard deviation is sqrt(2 - pi/2) = 0.65, so the mean of 1,000 has SE 0.021; 0.07 ~ 3.4 SE.
  const x = tf.randn([1000, 2], { dtype: 'float64' });
  const exact = Math.sqrt(Math.PI / 2) * (1 - Math.SQRT1_2);
  expect(Math.abs(M.energyScore(x, [0, 0], { fair: true }) - exact)).toBeLessThan(0.07);
});

test('quantiles interpolate linearly between order statistics', () => {
  const s = [1, 2, 4, 8];
  expect(M.sortedQuantile(s, 0)).toBe(1);
  expect(M.sortedQuantile(s, 1)).toBe(8);
  expect(M.sortedQuantile(s, 0.5)).toBeCloseTo(3, 12);   // h = 1.5
  expect(M.sortedQuantile(s, 0.9)).toBeCloseTo(6.8, 12); // h = 2.7: 4 + 0.7 * 4
});

test('normalised quantile loss is 2 n pinball / sum |y| at the samples\' quantiles, and 0 for a point mass at y', () => {
  const samples = [[0.1, 0.5, 0.9, 1.3], [-2, -1, 0, 3], [5, 5.5, 6, 7]];
  const y = [0.4, 1.5, 4];
  const F = samples.flatMap((r) => M.DECILES.map((q) => M.sortedQuantile([...r].sort((a, b) => a - b), q)));
  const expected = 2 * y.length * M.quantileLoss(F, y, M.DECILES) / y.reduce((a, v) => a + Math.abs(v), 0);
  expect(M.normalizedQuantileLoss(samples, y)).toBeCloseTo(expected, 12);
  expect(M.normalizedQuantileLoss([[2, 2, 2]], [2])).toBe(0);
});

test('bad input is a clear error', () => {
  expectCode(() => M.energyScore([[1, 2]], [1]), 'TF_SHAPE_MISMATCH');
  expectCode(() => M.energyScore([[1]], [1], { fair: true }), 'TF_INVALID_ARGUMENT');
  expectCode(() => M.energyScore([[NaN]], [1]), 'TF_INVALID_ARGUMENT');
  expectCode(() => M.normalizedQuantileLoss([[1]], [0]), 'TF_INVALID_ARGUMENT');
  expectCode(() => M.normalizedQuantileLoss([[1], [2]], [1]), 'TF_SHAPE_MISMATCH');
  expectCode(() => M.sortedQuantile([1], 1.5), 'TF_INVALID_ARGUMENT');
});
