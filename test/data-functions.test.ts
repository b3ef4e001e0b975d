// Function data and metrics (lib/data/functions.ts, lib/metrics/functions.ts): the band-limited generator's
// amplitudes recovered by the explicit DFT, out-of-band fractions of known signals, the daily temperature curves,
// the function data sources, and errors on bad input.
import * as tf from '../lib';
import { bandLimitedFunctions, dailyCurves } from '../lib/data/functions';
import { openDataSource } from '../lib/data/sources';
import { fourierAmplitudes, outOfBandFraction, functionMetrics } from '../lib/metrics/functions';
import { npmPackageDir } from '../lib/data/packages';
import { expectCode } from './helpers';

test('band-limited functions: the DFT recovers each a_k, nothing lies out of band, a_k ~ U(0, 1) / k', () => {
  const d = bandLimitedFunctions(400, { points: 32, seed: 3 });
  const rows = Array.from({ length: 400 }, (_, i) => d.values.subarray(i * 32, (i + 1) * 32));
  const amps = fourierAmplitudes(rows, 3);
  let worst = 0;
  amps.forEach((a, i) => a.forEach((v, k) => { worst = Math.max(worst, Math.abs(v - d.amplitudes[i * 3 + k])); }));
  expect(worst).toBeLessThan(1e-5);
  expect(outOfBandFraction(rows, 3)).toBeLessThan(1e-10);
  for (let k = 0; k < 3; k++) {
    let m = 0; for (let i = 0; i < 400; i++) m += d.amplitudes[i * 3 + k];
    expect(Math.abs(m / 400 - 0.5 / (k + 1))).toBeLessThan(0.05 / (k + 1));
  }
  // same seed, same functions; another seed, others
  expect(bandLimitedFunctions(2, { points: 32, seed: 3 }).values[5]).toBe(d.values[5]);
  expect(bandLimitedFunctions(2, { points: 32, seed: 4 }).values[5]).not.toBe(d.values[5]);
});

test('out-of-band fraction: a pure k = 5 wave is all out of band, DC counts as out of band, half-and-half is 1/2', () => {
  const P = 16, wave = (k: number) => Array.from({ length: P }, (_, j) => Math.sin((2 * Math.PI * k * j) / P));
  expect(outOfBandFraction([wave(5)], 3)).toBeCloseTo(1, 10);
  expect(outOfBandFraction([new Array(P).fill(1)], 3)).toBeCloseTo(1, 10);
  expect(outOfBandFraction([wave(2).map((v, j) => v + wave(6)[j])], 3)).toBeCloseTo(0.5, 10);
});

test('functionMetrics: two draws of the same law score near the floor, a shifted law does not', () => {
  const a = bandLimitedFunctions(300, { points: 16, seed: 1 }), b = bandLimitedFunctions(300, { points: 16, seed: 2 });
  const A = tf.tensor(a.values, { shape: [300, 16] }), B = tf.tensor(b.values, { shape: [300, 16] });
  const same = functionMetrics(A, B, 3), shifted = functionMetrics(A.mul(1.5), B, 3);
  expect(same.leakage).toBeLessThan(1e-10);
  expect(Math.max(...same.ampW1)).toBeLessThan(0.05);
  expect(shifted.ampW1[0]).toBeGreaterThan(0.15);
  expect(shifted.mmd2).toBeGreaterThan(10 * Math.max(same.mmd2, 1e-3));
});

const vega = npmPackageDir('vega-datasets') !== null;
(vega ? test : test.skip)('daily temperature curves: 364 complete days of 24 hours; the seattle-temp24 source splits 273 / 91 in [-1, 1]', () => {
  const d = dailyCurves('seattle-weather-hourly-normals');
  expect(d.days).toBe(364);
  expect(d.values.length).toBe(364 * 24);
  expect(d.dayStart[1] - d.dayStart[0]).toBe(1);
  const s = openDataSource('seattle-temp24');
  const tr = s.trainItems!(1e9), te = s.real(1e9);
  expect(tr.shape).toEqual([273, 24]);
  expect(te.shape).toEqual([91, 24]);
  expect(tr.min().item()).toBeCloseTo(-1, 5);
  expect(tr.max().item()).toBeCloseTo(1, 5);
  expect(s.batch(5).shape).toEqual([5, 24]);
  expectCode(() => dailyCurves('seattle-weather-hourly-normals', 'humidity'), 'TF_INVALID_ARGUMENT');
});

test('bad arguments are TF_ errors', () => {
  expectCode(() => bandLimitedFunctions(0, { points: 16, seed: 0 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => bandLimitedFunctions(1, { points: 6, seed: 0 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => bandLimitedFunctions(1, { points: 16, maxFreq: 0, seed: 0 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => fourierAmplitudes([[1, 2, 3, 4]], 2), 'TF_INVALID_ARGUMENT');
  expectCode(() => functionMetrics([[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4, 5, 6, 7, 9]], [[1, 2, 3, 4, 5, 6, 7]], 1), 'TF_SHAPE_MISMATCH');
});
