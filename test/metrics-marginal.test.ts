// The marginal scores of a series generator (lib/metrics/marginal.ts) and their place in `tensorfield eval`'s
// metrics (lib/cli/evaluate.ts): the O(log n) CRPS and pinball loss equal forecast.ts's meanCrps and quantileLoss
// on the explicit per-(series, point) ensembles; on bandlimited64 the training series score exactly the recorded
// floor, shifted ones score worse; other points data get no such keys; bad input is a TF_* error.
import * as tf from '../lib';
import { marginalScores } from '../lib/metrics/marginal';
import { meanCrps, quantileLoss } from '../lib/metrics/forecast';
import { DECILES, sortedQuantile } from '../lib/metrics/ensemble-scores';
import { evaluateSamples } from '../lib/cli/evaluate';
import { openDataSource } from '../lib/data/sources';
import { SeededRandom } from '../lib/data/prng';
import { expectCode } from './helpers';

beforeAll(() => tf.manualSeed(4));

describe('marginal scores of series samples', () => {
  test('equal meanCrps and quantileLoss on the explicit ensembles (ties included)', () => {
    const rng = new SeededRandom(9), n = 37, k = 6, P = 5;
    // rounded to 0.5 so that samples tie with each other and with observations
    const s = Float64Array.from({ length: n * P }, () => Math.round(2 * rng.normal()) / 2);
    const y = Float64Array.from({ length: k * P }, (_, i) => (i % 4 === 0 ? s[(i % P) + P * 3] : rng.normal() * 1.5));
    const got = marginalScores(tf.tensor(s, { dtype: 'float64', shape: [n, P] }), tf.tensor(y, { dtype: 'float64', shape: [k, P] }));
    const ens: number[][] = [], obs: number[] = [], q: number[] = [];
    for (let r = 0; r < k; r++) for (let j = 0; j < P; j++) {
      const e = Array.from({ length: n }, (_, i) => s[i * P + j]);
      ens.push(e); obs.push(y[r * P + j]);
      const sorted = Float64Array.from(e).sort();
      q.push(...DECILES.map((p) => sortedQuantile(sorted, p)));
    }
    expect(got.observations).toBe(k * P);
    expect(got.crps).toBeCloseTo(meanCrps(ens, obs), 12);
    expect(got.pinball).toBeCloseTo(quantileLoss(q, obs, DECILES), 12);
    expectCode(() => marginalScores(tf.zeros([3, 4]), tf.zeros([2, 5])), 'TF_SHAPE_MISMATCH');
    expectCode(() => marginalScores(tf.zeros([3]), tf.zeros([2, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => marginalScores(tf.tensor([Number.NaN, 0], { shape: [1, 2] }), tf.zeros([2, 2])), 'TF_INVALID_ARGUMENT');
    expectCode(() => marginalScores(tf.zeros([3, 2]), tf.zeros([2, 2]), [0.5, 1]), 'TF_INVALID_ARGUMENT');
  });

  test('eval on a series source reports them with the training series as the floor; not on other points data', async () => {
    const src = openDataSource('bandlimited64');
    expect(src.series).toBe(true);
    const train = src.trainItems!(100);
    const same = await evaluateSamples(src, train);
    // the samples are the very training series the floor uses: identical scores
    expect(same.crpsMarginal).toBe(same.crpsMarginalTrainFloor);
    expect(same.pinballMarginal).toBe(same.pinballMarginalTrainFloor);
    expect(same.crpsMarginal).toBeGreaterThan(0);
    // shifting every sample by half the data's scale is a worse forecast of every held-out series
    const shifted = await evaluateSamples(src, train.add(0.5));
    expect(shifted.crpsMarginal).toBeGreaterThan(1.2 * same.crpsMarginal);
    expect(shifted.pinballMarginal).toBeGreaterThan(1.2 * same.pinballMarginal);
    expect(shifted.crpsMarginalTrainFloor).toBe(same.crpsMarginalTrainFloor);
    const toy = openDataSource('two-moons');
    const m = await evaluateSamples(toy, toy.batch(100));
    expect(m.crpsMarginal).toBeUndefined();
  });
});
