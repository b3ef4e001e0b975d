// Time series: the CSV reader, date parsing, the statsmodels and vega-datasets loaders (a fixture in the
// statsmodels layout always; the real files when installed), windows, imputation masks, irregular
// sub-sampling and normalisation.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../lib';
import {
  parseCSV, parseDate, parseCSVSeries, loadTimeSeries, forecastWindows, imputationMasks, subsampleIrregular,
  seriesStats, normalizeSeries, denormalizeValues, STATSMODELS_DATASETS_DIR, type TimeSeries,
} from '../lib/data';
import { expectCode } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures', 'statsmodels');
const day = (y: number, m: number, d: number) => Date.UTC(y, m - 1, d) / 86400000;
const realCo2 = path.join(STATSMODELS_DATASETS_DIR, 'co2', 'co2.csv');
const vegaInstalled = (() => { try { loadTimeSeries('global-temp'); return true; } catch { return false; } })();

function messageOf(fn: () => unknown): string {
  try { fn(); } catch (e) { return `${(e as { code?: string }).code}: ${(e as Error).message}`; }
  throw new Error('expected an error');
}

describe('CSV and dates', () => {
  test('quoted fields with commas, newlines and doubled quotes; CRLF; blank lines; a missing final newline', () => {
    const text = 'a,b,c\r\n1,"x, y","he said ""hi"""\r\n\r\n2,"two\nlines",\n3,,"" ';
    expect(() => parseCSV(text)).toThrow(/after a closing quote/);
    expect(parseCSV(text.slice(0, -1))).toEqual([['a', 'b', 'c'], ['1', 'x, y', 'he said "hi"'], ['2', 'two\nlines', ''], ['3', '', '']]);
    expect(messageOf(() => parseCSV('a\n"open\n', 'f.csv'))).toMatch(/^TF_BAD_FILE: .*'f\.csv'.*line 2 is never closed/);
  });

  test('dates in the formats the packages use; impossible dates are NaN', () => {
    expect(parseDate('1970-01-02')).toBe(1);
    expect(parseDate('19580329')).toBe(day(1958, 3, 29));
    expect(parseDate('Jan 1 2000')).toBe(day(2000, 1, 1));
    expect(parseDate('2010-01-01T06:00:00')).toBe(day(2010, 1, 1) + 0.25);
    for (const bad of ['2001-02-30', '2001-13-01', 'Foo 1 2000', '1999', '2000-01-01T25:00']) expect(parseDate(bad)).toBeNaN();
  });

  test('bad files are TF_BAD_FILE naming the file and the record', () => {
    const spec = { name: 's', timeColumn: 't', timeFormat: 'year' as const };
    expect(messageOf(() => parseCSVSeries('t,v\n1,2\n2,abc\n', spec, 'x.csv'))).toMatch(/^TF_BAD_FILE: .*'x\.csv'.*record 3.*'abc'/);
    expect(messageOf(() => parseCSVSeries('t,v\n1,2,3\n', spec, 'x.csv'))).toMatch(/^TF_BAD_FILE: .*record 2 has 3 fields/);
    expect(messageOf(() => parseCSVSeries('t,v\n1,2\n1,3\n', spec, 'x.csv'))).toMatch(/^TF_BAD_FILE: .*share the time/);
    expect(messageOf(() => parseCSVSeries('u,v\n1,2\n', spec, 'x.csv'))).toMatch(/^TF_BAD_FILE: .*no column 't'/);
    expect(messageOf(() => parseCSVSeries('t,v\nnope,2\n', { ...spec, timeFormat: 'date' }, 'x.csv'))).toMatch(/not a date/);
    // Rows come out sorted by time, NA and empty fields are missing.
    const s = parseCSVSeries('t,v\n3,NA\n1,5\n2,\n', spec);
    expect(Array.from(s.times)).toEqual([1, 2, 3]);
    expect(Array.from(s.values)).toEqual([5, NaN, NaN]);
  });
});

describe('loaders', () => {
  test('statsmodels co2 (fixture in the package layout): weekly dates, empty fields missing', () => {
    const s = loadTimeSeries('co2', { dir: FIXTURES });
    expect(s.columns).toEqual(['co2']);
    expect(s.timeUnit).toBe('day');
    expect(s.times.length).toBe(15);
    expect(s.times[0]).toBe(day(1958, 3, 29));
    for (let i = 1; i < 15; i++) expect(s.times[i] - s.times[i - 1]).toBe(7);
    expect(Array.from(s.values.slice(0, 7))).toEqual([316.1, 317.3, 317.6, 317.5, 316.4, 316.9, NaN]);
    expect(Array.from(s.values).filter(Number.isNaN)).toHaveLength(6);
    const sun = loadTimeSeries('sunspots', { dir: FIXTURES });
    expect([sun.timeUnit, sun.times[0], sun.values[0], sun.columns[0]]).toEqual(['year', 1700, 5, 'SUNACTIVITY']);
  });

  (fs.existsSync(realCo2) ? test : test.skip)('the real statsmodels files: co2 has 2284 weeks with 59 missing', () => {
    const s = loadTimeSeries('co2');
    expect(s.times.length).toBe(2284);
    expect(Array.from(s.values).filter(Number.isNaN)).toHaveLength(59);
    expect(loadTimeSeries('sunspots').times.length).toBe(309);
    const el = loadTimeSeries('elnino');
    expect(el.times.length % 12).toBe(0);
    expect(el.times[1]).toBe(day(1950, 2, 1));
  });

  (vegaInstalled ? test : test.skip)('vega-datasets series (npm optional dependency)', () => {
    const co2 = loadTimeSeries('co2-concentration');
    expect(co2.columns).toEqual(['CO2', 'adjusted CO2']);
    expect(co2.times[0]).toBe(day(1958, 3, 1));
    expect(co2.values.slice(0, 2)).toEqual(new Float64Array([315.7, 314.44]));
    const w = loadTimeSeries('seattle-weather');
    expect([w.times.length, w.columns.length]).toEqual([1461, 4]);
    for (let i = 1; i < w.times.length; i++) expect(w.times[i] - w.times[i - 1]).toBe(1);
    const aapl = loadTimeSeries('stocks', { symbol: 'AAPL' });
    expect(aapl.name).toBe('stocks-AAPL');
    expect(aapl.times.length).toBeGreaterThan(100);
    expectCode(() => loadTimeSeries('stocks', { symbol: 'NOPE' }), 'TF_BAD_FILE');
  });

  test('a missing file names the file and the package that provides it', () => {
    expect(messageOf(() => loadTimeSeries('co2', { dir: '/nonexistent/statsmodels' })))
      .toMatch(/^TF_BAD_FILE: .*'\/nonexistent\/statsmodels\/co2\/co2\.csv'.*apt-get install -y python3-statsmodels/);
    expect(messageOf(() => loadTimeSeries('seattle-weather', { dir: '/nonexistent/vega' })))
      .toMatch(/^TF_BAD_FILE: .*'\/nonexistent\/vega\/seattle-weather\.csv'.*npm install vega-datasets/);
    expectCode(() => loadTimeSeries('nope' as 'co2'), 'TF_INVALID_ARGUMENT');
    // With vega-datasets absent (the lookup mocked to find nothing; the engine module mapped to the loaded one).
    const engine = { tensor: require('../lib/tensor') };
    jest.isolateModules(() => {
      jest.doMock('../lib/data/packages', () => ({ npmPackageDir: () => null }));
      jest.doMock('../lib/tensor', () => engine.tensor);
      const ts = require('../lib/data/timeseries') as typeof import('../lib/data/timeseries');
      expect(messageOf(() => ts.loadTimeSeries('seattle-weather'))).toMatch(/^TF_BAD_FILE: .*vega-datasets is not installed.*npm install vega-datasets/);
      expect(messageOf(() => ts.loadTimeSeries('stocks'))).toMatch(/npm install vega-datasets/);
    });
    for (const m of ['../lib/data/packages', '../lib/tensor']) jest.dontMock(m);
  });
});

/** A two-column series with values 10 t + c and a few NaNs, times 0, 1, 3, 4, 6, ... (irregular). */
function toy(T = 12): TimeSeries {
  const values = new Float64Array(2 * T).map((_, i) => 10 * Math.floor(i / 2) + (i % 2));
  values[2 * 3] = NaN; values[2 * 7 + 1] = NaN;
  return { name: 'toy', times: Float64Array.from({ length: T }, (_, t) => t + Math.floor(t / 2)), values, columns: ['a', 'b'], timeUnit: 'day' };
}

describe('model inputs', () => {
  test('forecast windows: values, masks, times and strides', () => {
    const s = toy();
    const w = forecastWindows(s, { context: 4, horizon: 2, stride: 3 });
    // Starts 0, 3 (6 would need observations up to 11: also fits): (12 - 6) / 3 + 1 = 3 windows.
    expect(Array.from(w.starts)).toEqual([0, 3, 6]);
    expect(w.context.shape).toEqual([3, 4, 2]);
    expect(w.target.shape).toEqual([3, 2, 2]);
    expect(w.times.shape).toEqual([3, 6]);
    const c = w.context.dataSync() as Float32Array, cm = w.contextMask.dataSync() as Float32Array;
    // Window 1 starts at t = 3, whose column a is missing: 0 with mask 0.
    expect(Array.from(c.slice(8, 12))).toEqual([0, 31, 40, 41]);
    expect(Array.from(cm.slice(8, 12))).toEqual([0, 1, 1, 1]);
    const tg = w.target.dataSync() as Float32Array, tm = w.targetMask.dataSync() as Float32Array;
    // Window 1's targets are t = 7, 8: (70, NaN), (80, 81).
    expect(Array.from(tg.slice(4, 8))).toEqual([70, 0, 80, 81]);
    expect(Array.from(tm.slice(4, 8))).toEqual([1, 0, 1, 1]);
    expect(Array.from((w.times.dataSync() as Float64Array).slice(6, 12))).toEqual([4, 6, 7, 9, 10, 12]);
    tf.dispose([w.context, w.target, w.contextMask, w.targetMask, w.times]);
    expectCode(() => forecastWindows(s, { context: 10, horizon: 5 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => forecastWindows(s, { context: 0, horizon: 1 }), 'TF_INVALID_ARGUMENT');
  });

  test('imputation masks: disjoint, covering the observed values, at the requested rate, seeded', () => {
    const T = 4000, C = 2;
    const values = new Float64Array(T * C).map((_, i) => (i % 97 === 5 ? NaN : i));
    const s: TimeSeries = { name: 'long', times: Float64Array.from({ length: T }, (_, t) => t), values, columns: ['a', 'b'], timeUnit: 'day' };
    const observed: number[] = Array.from(values, (v) => (Number.isNaN(v) ? 0 : 1));
    const nObs = observed.reduce((a, b) => a + b, 0);
    for (const mode of ['random', 'blocks', 'history'] as const) {
      const m = imputationMasks(s, { mode, rate: 0.2, blockLength: 8, seed: 4 });
      for (let i = 0; i < T * C; i++) {
        if (m.input[i] + m.target[i] !== observed[i]) throw new Error(`${mode}: entry ${i} not partitioned`);
      }
      expect(imputationMasks(s, { mode, rate: 0.2, blockLength: 8, seed: 4 })).toEqual(m);
      const hidden = m.target.reduce((a, b) => a + b, 0) / nObs;
      if (mode === 'random') expect(Math.abs(hidden - 0.2)).toBeLessThan(6 * Math.sqrt(0.2 * 0.8 / nObs));
      // Blocks are correlated over 8 steps, so the effective sample is ~8 times smaller.
      if (mode === 'blocks') expect(Math.abs(hidden - 0.2)).toBeLessThan(6 * Math.sqrt((8 * 0.2 * 0.8) / nObs));
      // The real gap pattern (1 in 97 entries) moved elsewhere hides about as many entries as there are gaps.
      if (mode === 'history') expect(Math.abs(hidden - 1 / 97)).toBeLessThan(0.003);
    }
    expect(imputationMasks(s, { mode: 'random', rate: 0.2, seed: 5 })).not.toEqual(imputationMasks(s, { mode: 'random', rate: 0.2, seed: 4 }));
    expectCode(() => imputationMasks(s, { mode: 'random', rate: 2 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => imputationMasks(s, { mode: 'gaps' as 'random' }), 'TF_INVALID_ARGUMENT');
  });

  test('irregular sub-sampling keeps about p of the points, in order, with their values; seeded', () => {
    const T = 5000;
    const s: TimeSeries = { name: 'r', times: Float64Array.from({ length: T }, (_, t) => 2 * t), values: Float64Array.from({ length: T }, (_, t) => t * t), columns: ['v'], timeUnit: 'day' };
    const a = subsampleIrregular(s, 0.3, 11);
    expect(Math.abs(a.times.length / T - 0.3)).toBeLessThan(6 * Math.sqrt(0.3 * 0.7 / T));
    for (let i = 0; i < a.times.length; i++) {
      expect(a.values[i]).toBe((a.times[i] / 2) ** 2);
      if (i > 0) expect(a.times[i]).toBeGreaterThan(a.times[i - 1]);
    }
    expect(subsampleIrregular(s, 0.3, 11).times).toEqual(a.times);
    expect(subsampleIrregular(s, 1).times).toEqual(s.times);
    expectCode(() => subsampleIrregular(s, 0), 'TF_INVALID_ARGUMENT');
  });

  test('normalisation: observed values get mean 0 and std 1 per column; stats round-trip', () => {
    const s = toy();
    const { series, stats } = normalizeSeries(s);
    const again = seriesStats(series);
    for (let c = 0; c < 2; c++) {
      expect(Math.abs(again.mean[c])).toBeLessThan(1e-12);
      expect(Math.abs(again.std[c] - 1)).toBeLessThan(1e-12);
    }
    expect(Number.isNaN(series.values[6])).toBe(true);
    const back = denormalizeValues(series.values, stats);
    back.forEach((v, i) => (Number.isNaN(s.values[i]) ? expect(v).toBeNaN() : expect(Math.abs(v - s.values[i])).toBeLessThan(1e-12)));
    // Column a of toy(): 0, 10, 20, 40, ... 110 (30 missing).
    const a = [0, 10, 20, 40, 50, 60, 70, 80, 90, 100, 110];
    const m = a.reduce((x, y) => x + y, 0) / a.length;
    expect(stats.mean[0]).toBeCloseTo(m, 12);
    expect(stats.std[0]).toBeCloseTo(Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1)), 12);
  });
});
