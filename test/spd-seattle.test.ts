// The SPD irregular-forecasting pieces (lib/models/spd/forecast-*.ts, lib/data/climatology.ts): the windows keep
// exactly 70 % of the context days, lie in time order wholly inside their split's years, and the standardisation
// sees the training years only; the climatology matches its closed form on a synthetic seasonal series; the
// forecaster's shapes, a short training lowering a fixed-batch loss, and bad input as TF_* errors. The real
// seattle-weather file is used where it is installed (npm vega-datasets); those tests skip with a message when not.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../lib';
import {
  dailyForecastData, seattleForecastData, fixedDrops, dropContext, forecastBatch, forecastTargetTimes,
  SpdForecaster, forecastLoss, forecastFactor, trainForecaster, sampleForecaster, NoiseProcess, dspdSchedule,
  fitClimatology, fitPersistence, persistenceForecasts, scoreForecasts,
} from '../lib/models/spd';
import { seasonalClimatology } from '../lib/data/climatology';
import { SeededRandom } from '../lib/data/prng';
import { npmPackageDir } from '../lib/data/packages';
import type { TimeSeries } from '../lib/data/timeseries';
import { expectCode } from './helpers';

const vega = npmPackageDir('vega-datasets');
const SEATTLE = vega === null ? null : path.join(vega, 'data', 'seattle-weather.csv');
const haveSeattle = SEATTLE !== null && fs.existsSync(SEATTLE);
if (!haveSeattle) console.warn('spd-seattle: vega-datasets seattle-weather.csv is not installed (npm install vega-datasets); the real-data tests are skipped');
const withSeattle = haveSeattle ? test : test.skip;

/** Consecutive days from 2012-01-01 (a leap year) over `years` years: temp = 10 + 8 sin(season) + day-to-day noise. */
function synthetic(years: number, seed = 1, shiftYear?: { year: number; add: number }): TimeSeries {
  const start = Date.UTC(2012, 0, 1) / 86400000, end = Date.UTC(2012 + years, 0, 1) / 86400000;
  const n = end - start, rng = new SeededRandom(seed);
  const times = new Float64Array(n), values = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    times[i] = start + i;
    const y = new Date((start + i) * 86400000).getUTCFullYear();
    values[i * 2] = rng.normal();
    values[i * 2 + 1] = 10 + 8 * Math.sin(2 * Math.PI * i / 365.25) + 2 * rng.normal() + (shiftYear && y === shiftYear.year ? shiftYear.add : 0);
  }
  return { name: 'synthetic', times, values, columns: ['wind', 'temp_max'], timeUnit: 'day' };
}

beforeAll(() => tf.manualSeed(25));

describe('windows', () => {
  test('synthetic: 60-day contexts keep 42 days (30 % dropped), increasing offsets; windows wholly inside their split years, in time order', () => {
    const d = dailyForecastData(synthetic(4));
    expect(d.keep).toBe(42);
    const drops = fixedDrops(d, 50, 3);
    for (const k of drops) {
      expect(k.length).toBe(42);
      let bad = 0;
      for (let i = 0; i < k.length; i++) if (!(k[i] >= 0 && k[i] < 60 && (i === 0 || k[i] > k[i - 1]))) bad++;
      expect(bad).toBe(0);
    }
    // the drop masks differ between windows (a fixed mask would make the times regular in disguise)
    expect(new Set(drops.map((k) => k.join(','))).size).toBe(50);
    const split = { train: [2012, 2013], val: [2014], test: [2015] } as const;
    for (const s of ['train', 'val', 'test'] as const) {
      const st = d.starts[s];
      expect(st.length).toBeGreaterThan(0);
      let unordered = 0, outside = 0;
      for (let i = 0; i < st.length; i++) {
        if (i && !(st[i] > st[i - 1])) unordered++;
        for (let j = st[i]; j < st[i] + 74; j++) if (!(split[s] as readonly number[]).includes(d.year[j])) outside++;
      }
      expect([s, unordered, outside]).toEqual([s, 0, 0]);
    }
    // every window of a year fits: 2014 has 365 days, so 365 - 74 + 1 windows; 2012-2013 has 366 + 365 days
    expect(d.starts.val.length).toBe(292);
    expect(d.starts.train.length).toBe(731 - 74 + 1);
    const lastTrainDay = d.starts.train[d.starts.train.length - 1] + 73;
    expect(lastTrainDay).toBeLessThan(d.starts.val[0]);
    expect(d.starts.val[d.starts.val.length - 1] + 73).toBeLessThan(d.starts.test[0]);
  });

  test('standardisation from the training years only: changing the test year leaves mean, std and the training values unchanged', () => {
    const a = dailyForecastData(synthetic(4)), b = dailyForecastData(synthetic(4, 1, { year: 2015, add: 100 }));
    expect(b.mean).toBe(a.mean);
    expect(b.std).toBe(a.std);
    // the direct mean / std over 2012-2013's days (population std)
    const tr: number[] = [];
    for (let i = 0; i < a.raw.length; i++) if (a.year[i] <= 2013) tr.push(a.raw[i]);
    const mu = tr.reduce((x, y) => x + y, 0) / tr.length;
    expect(a.mean).toBeCloseTo(mu, 10);
    expect(a.std).toBeCloseTo(Math.sqrt(tr.reduce((x, y) => x + (y - mu) ** 2, 0) / tr.length), 10);
    // ... while a change inside the training years moves them
    expect(dailyForecastData(synthetic(4, 1, { year: 2013, add: 1 })).mean).toBeGreaterThan(a.mean + 0.4);
    // the test windows' targets carry the test-year change in standardised units (it is not absorbed anywhere)
    const s = a.starts.test[0] + 60;
    expect((b.z[s] - a.z[s]) * a.std).toBeCloseTo(100, 8);
  });

  test('a batch holds the kept days (value, gap / 7, distance to the origin / context), the targets and the season', () => {
    const d = dailyForecastData(synthetic(4));
    const starts = [d.starts.train[0], d.starts.train[100]], kept = fixedDrops(d, 2, 9);
    const b = forecastBatch(d, starts, kept);
    expect(b.ctx.shape).toEqual([42, 2, 3]);
    expect(b.yT.shape).toEqual([2, 14]);
    expect(b.season.shape).toEqual([2, 2]);
    const c = b.ctx.dataSync() as Float32Array, y = b.yT.dataSync() as Float32Array;
    for (let w = 0; w < 2; w++) {
      for (let i = 0; i < 42; i++) {
        const o = (i * 2 + w) * 3, k = kept[w];
        expect(c[o]).toBeCloseTo(d.z[starts[w] + k[i]], 5);
        expect(c[o + 1]).toBeCloseTo((i === 0 ? k[0] + 1 : k[i] - k[i - 1]) / 7, 6);
        expect(c[o + 2]).toBeCloseTo((60 - k[i]) / 60, 6);
      }
      for (let j = 0; j < 14; j++) expect(y[w * 14 + j]).toBeCloseTo(d.z[starts[w] + 60 + j], 5);
    }
    // target times: the window (74 days) mapped to [0, 1]
    const t = forecastTargetTimes(d);
    expect(t[0]).toBeCloseTo(60 / 73, 12);
    expect(t[13]).toBe(1);
  });

  withSeattle('seattle-weather: 1461 consecutive days; 2012-2013 train, 2014 validation, 2015 test windows; statistics from 2012-2013', () => {
    const d = seattleForecastData();
    expect(d.raw.length).toBe(1461);
    expect(d.keep).toBe(42);
    expect(d.starts.train.length).toBe(658);
    expect(d.starts.val.length).toBe(292);
    expect(d.starts.test.length).toBe(292);
    for (const i of [d.starts.test[0], d.starts.test[d.starts.test.length - 1] + 73]) expect(d.year[i]).toBe(2015);
    const tr: number[] = [];
    for (let i = 0; i < d.raw.length; i++) if (d.year[i] === 2012 || d.year[i] === 2013) tr.push(d.raw[i]);
    expect(tr.length).toBe(731);
    expect(d.mean).toBeCloseTo(tr.reduce((x, y) => x + y, 0) / tr.length, 10);
  });
});

describe('seasonal climatology', () => {
  // 4 synthetic 365-day years: v = a + b cos(2 pi d / 365) + c (-1)^year; pooling +-w days gives the mean
  // a + b cos(2 pi d / 365) D with D = sin((2w + 1) pi / 365) / ((2w + 1) sin(pi / 365)) (the Dirichlet kernel)
  test('the mean over a +-w-day window of a sinusoid is the Dirichlet-kernel closed form; the spread of +-c offsets is c sqrt(n / (n - 1))', () => {
    const a = 10, b = 8, w = 7, P = 365;
    const doy: number[] = [], v: number[] = [], v2: number[] = [];
    for (let y = 0; y < 4; y++) for (let d = 0; d < P; d++) { doy.push(d); v.push(a + b * Math.cos(2 * Math.PI * d / P)); v2.push(5 + 3 * (y % 2 ? 1 : -1)); }
    const c = seasonalClimatology(doy, v, { halfWidth: w });
    const D = Math.sin((2 * w + 1) * Math.PI / P) / ((2 * w + 1) * Math.sin(Math.PI / P));
    for (const d of [0, 17, 91, 182, 300, 364]) {
      expect(c.count[d]).toBe(4 * (2 * w + 1));
      expect(c.mean[d]).toBeCloseTo(a + b * Math.cos(2 * Math.PI * d / P) * D, 10);
    }
    const s = seasonalClimatology(doy, v2, { halfWidth: w }), n = 4 * (2 * w + 1);
    for (const d of [0, 200, 364]) { expect(s.mean[d]).toBeCloseTo(5, 12); expect(s.std[d]).toBeCloseTo(3 * Math.sqrt(n / (n - 1)), 12); }
  });

  test('bad input: TF_INVALID_ARGUMENT / TF_SHAPE_MISMATCH', () => {
    expectCode(() => seasonalClimatology([0, 1], [1, 2, 3]), 'TF_SHAPE_MISMATCH');
    expectCode(() => seasonalClimatology([0, 1], [1, NaN]), 'TF_INVALID_ARGUMENT');
    expectCode(() => seasonalClimatology(undefined as never, [1]), 'TF_INVALID_ARGUMENT');
    expectCode(() => seasonalClimatology([0, 1.5], [1, 2]), 'TF_INVALID_ARGUMENT');
    expectCode(() => seasonalClimatology([0, 1], [1, 2], { halfWidth: -1 }), 'TF_INVALID_ARGUMENT');
    // one year without pooling: one value per day, no spread
    expectCode(() => seasonalClimatology(Array.from({ length: 365 }, (_, i) => i), new Array(365).fill(1), { halfWidth: 0 }), 'TF_INVALID_ARGUMENT');
  });
});

describe('persistence baselines', () => {
  // a series on a line, v_i = 3 + 0.5 i: value persistence predicts the last kept day's value and every g-day
  // change is exactly 0.5 g, so sd[g] = 0.5 g (the RMS of a constant) with no estimation error
  function line(years: number): TimeSeries {
    const start = Date.UTC(2012, 0, 1) / 86400000, n = Date.UTC(2012 + years, 0, 1) / 86400000 - start;
    const times = Float64Array.from({ length: n }, (_, i) => start + i), values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = 3 + 0.5 * i;
    return { name: 'line', times, values, columns: ['temp_max'], timeUnit: 'day' };
  }

  test('value persistence on a line: mean = the last kept day, sd[g] = 0.5 g, the gap counted from the last kept day', () => {
    const d = dailyForecastData(line(4));
    const p = fitPersistence(d, d.years.train, 'value');
    for (const g of [1, 2, 13, 73]) expect(p.sd[g]).toBeCloseTo(0.5 * g, 10);
    // two windows; the second's last kept day is 5 days before the origin
    const starts = [d.starts.test[0], d.starts.test[3]];
    const kept = [Int32Array.from([0, 10, 59]), Int32Array.from([2, 30, 54])];
    const m = 20000;
    const { draws, crpsClosedForm } = persistenceForecasts(d, starts, kept, p, m, 9);
    for (const [w, lastOff] of [[0, 59], [1, 54]]) {
      const last = d.raw[starts[w] + lastOff];
      for (const j of [0, 13]) {
        const x = Float64Array.from({ length: m }, (_, r) => draws[(w * m + r) * 14 + j]);
        const mean = x.reduce((a, b) => a + b, 0) / m, sd = Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / (m - 1));
        const g = 60 + j - lastOff;
        // 20,000 draws: the mean within 4 standard errors, the sd within 3 %
        expect(Math.abs(mean - last)).toBeLessThan(4 * 0.5 * g / Math.sqrt(m));
        expect(Math.abs(sd / (0.5 * g) - 1)).toBeLessThan(0.03);
      }
    }
    // on a line the truth is last + 0.5 g, exactly 1 sd above the mean: CRPS(N(0, s), s) = s (2 Phi(1) - 1 + 2 phi(1) - 1/sqrt(pi))
    const k1 = 2 * 0.841344746068543 - 1 + 2 * 0.24197072451914337 - 1 / Math.sqrt(Math.PI);
    let want = 0;
    for (const lastOff of [59, 54]) for (let j = 0; j < 14; j++) want += 0.5 * (60 + j - lastOff) * k1;
    expect(crpsClosedForm).toBeCloseTo(want / 28, 10);
    // the ensemble estimator on 500 draws (m^2 pairs per forecast) agrees with the closed form within its small-m
    // bias (~ 0.56 sd / m) and noise (~ 2 % per forecast, ~ 0.4 % over the 28)
    const small = persistenceForecasts(d, starts, kept, p, 500, 10);
    expect(Math.abs(scoreForecasts(d, starts, small.draws, 500).crps / crpsClosedForm - 1)).toBeLessThan(0.03);
  });

  test('anomaly persistence: the last kept day\'s departure from the climatology carried onto the target day\'s mean; spreads from the fitting years only', () => {
    const d = dailyForecastData(synthetic(4));
    const clim = fitClimatology(d, d.years.train, 7);
    const p = fitPersistence(d, d.years.train, 'anomaly', clim);
    const an = (i: number) => d.raw[i] - clim.mean[d.doy[i] % clim.period];
    // sd[3] by brute force over the training years' day pairs
    let s = 0, n = 0;
    for (let i = 0; i + 3 < d.raw.length; i++) if (d.years.train.includes(d.year[i]) && d.years.train.includes(d.year[i + 3])) { s += (an(i + 3) - an(i)) ** 2; n++; }
    expect(p.sd[3]).toBeCloseTo(Math.sqrt(s / n), 12);
    // the synthetic day-to-day noise is white with sd 2, so the anomaly change has sd ~ 2 sqrt 2 at every gap
    for (const g of [1, 7, 30]) expect(Math.abs(p.sd[g] / (2 * Math.SQRT2) - 1)).toBeLessThan(0.1);
    const st = d.starts.val[4], kept = [Int32Array.from([1, 40, 57])];
    const m = 20000, { draws } = persistenceForecasts(d, [st], kept, p, m, 3);
    const j = 5, x = Float64Array.from({ length: m }, (_, r) => draws[r * 14 + j]);
    const mean = x.reduce((a, b) => a + b, 0) / m;
    const want = clim.mean[d.doy[st + 60 + j] % clim.period] + an(st + 57);
    expect(Math.abs(mean - want)).toBeLessThan(4 * p.sd[8] / Math.sqrt(m));
    // a test-year shift does not move the spreads fitted on the training years
    const e = dailyForecastData(synthetic(4, 1, { year: 2015, add: 50 }));
    expect(fitPersistence(e, e.years.train, 'anomaly', fitClimatology(e, e.years.train, 7)).sd).toEqual(p.sd);
    expectCode(() => fitPersistence(d, d.years.train, 'anomaly'), 'TF_INVALID_ARGUMENT');
    expectCode(() => fitPersistence(d, d.years.train, 'last' as never), 'TF_INVALID_ARGUMENT');
    expectCode(() => fitPersistence(d, [1999], 'value'), 'TF_INVALID_ARGUMENT');
    expectCode(() => persistenceForecasts(d, [st], [], p, 2, 1), 'TF_SHAPE_MISMATCH');
    expectCode(() => persistenceForecasts(d, [st], kept, p, 0, 1), 'TF_INVALID_ARGUMENT');
  });
});

describe('forecaster', () => {
  test('shapes: encode [K, B, 3] -> [B, hidden]; forward -> [B, horizon]; samples [windows x m x horizon], finite', () => {
    const d = dailyForecastData(synthetic(4));
    const net = new SpdForecaster({ horizon: 14, hidden: 8, width: 16 });
    const b = forecastBatch(d, [d.starts.train[0], d.starts.train[5], d.starts.train[9]], fixedDrops(d, 3, 1));
    const h = net.encode(b.ctx);
    expect(h.shape).toEqual([3, 8]);
    expect(net.forward(b.yT, tf.tensor([0, 50, 99], { dtype: 'float32' }), h, b.season).shape).toEqual([3, 14]);
    const noise = new NoiseProcess({ kind: 'gp', sigma: 0.02 });
    const s = sampleForecaster(net, d, [d.starts.val[0], d.starts.val[1]], fixedDrops(d, 2, 2), noise, 3, { schedule: dspdSchedule(25) });
    expect(s.length).toBe(2 * 3 * 14);
    expect(s.every(Number.isFinite)).toBe(true);
    expect(forecastFactor(noise, d).shape).toEqual([14, 14]);
  });

  test('150 training steps lower the loss of a fixed batch (same k, same noise) below 0.85 x its initial value', () => {
    const d = dailyForecastData(synthetic(4));
    const noise = new NoiseProcess({ kind: 'gp', sigma: 0.02 });
    tf.manualSeed(3);
    const net = new SpdForecaster({ horizon: 14, hidden: 16, width: 32 });
    const s = dspdSchedule(100), L = forecastFactor(noise, d);
    const rng = new SeededRandom(11);
    const starts = Array.from({ length: 128 }, () => d.starts.train[rng.int(d.starts.train.length)]);
    const b = forecastBatch(d, starts, starts.map(() => dropContext(rng, 60, 42)));
    const k = Array.from({ length: 128 }, (_, i) => i % 100);
    const fixedLoss = () => { tf.manualSeed(77); return tf.noGrad(() => forecastLoss(net, b, L, s, k).item() as number); };
    const before = fixedLoss();
    trainForecaster(net, d, noise, { steps: 150, batch: 32, lr: 3e-3, seed: 1 });
    const after = fixedLoss();
    // the untrained net's loss is about E||eps||^2 / n = 1 plus its own output's variance; a net that predicts 0
    // scores 1, so < 0.85 x before needs a learned dependence on x_k
    expect(before).toBeGreaterThan(0.8);
    expect(after).toBeLessThan(0.85 * before);
  });

  test('bad input: TF_* errors', () => {
    const s = synthetic(4);
    const gap: TimeSeries = { ...s, times: s.times.map((t, i) => (i > 100 ? t + 1 : t)) };
    expectCode(() => dailyForecastData(gap), 'TF_INVALID_ARGUMENT');
    expectCode(() => dailyForecastData(s, { column: 'rain' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => dailyForecastData(s, { dropFraction: 1 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => dailyForecastData(s, { context: 1.5 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => dailyForecastData(s, { valYears: [2013] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => dailyForecastData({ ...s, timeUnit: 'year' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => dailyForecastData(null as never), 'TF_INVALID_ARGUMENT');
    const nan = { ...s, values: s.values.map((v, i) => (i === 11 ? NaN : v)) };
    expectCode(() => dailyForecastData(nan), 'TF_INVALID_ARGUMENT');
    expectCode(() => seattleForecastData({ dir: '/nonexistent-dir' }), 'TF_BAD_FILE');
    const d = dailyForecastData(s);
    expectCode(() => forecastBatch(d, [0, 1], fixedDrops(d, 1, 0)), 'TF_SHAPE_MISMATCH');
    expectCode(() => forecastBatch(d, [d.z.length - 10], fixedDrops(d, 1, 0)), 'TF_INVALID_ARGUMENT');
    expectCode(() => forecastBatch(d, [0], [Int32Array.from({ length: 42 }, (_, i) => 41 - i)]), 'TF_INVALID_ARGUMENT');
    const net = new SpdForecaster({ horizon: 14, hidden: 4, width: 8 });
    expectCode(() => net.encode(tf.zeros([5, 2, 2])), 'TF_SHAPE_MISMATCH');
    expectCode(() => net.forward(tf.zeros([2, 13]), tf.zeros([2]), tf.zeros([2, 4]), tf.zeros([2, 2])), 'TF_SHAPE_MISMATCH');
    expectCode(() => new SpdForecaster({ horizon: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => trainForecaster(net, d, new NoiseProcess({ kind: 'white' }), { steps: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => sampleForecaster(net, d, [0], fixedDrops(d, 1, 0), new NoiseProcess({ kind: 'white' }), 0), 'TF_INVALID_ARGUMENT');
  });
});
