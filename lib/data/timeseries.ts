// Real time series for forecasting and imputation: regular and irregular series read from the CSV files of the
// npm package vega-datasets and of the Debian package python3-statsmodels (never downloaded), and the pieces
// that turn a series into model inputs: forecasting windows with masks, imputation masks (random points,
// random blocks, or the series' own real gap pattern moved elsewhere), seeded irregular sub-sampling and
// normalisation.
//
// Times are numbers in `timeUnit`: 'day' = days since 1970-01-01 UTC (fractional for hourly data) for dated
// rows, 'year' for series indexed by year. Missing values are NaN.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { parseCSV } from './csv';
import { SeededRandom } from './prng';
import { npmPackageDir } from './packages';

export interface TimeSeries {
  name: string;
  /** One time per observation, increasing. */
  times: Float64Array;
  /** length x columns.length values, row-major; NaN marks a missing value. */
  values: Float64Array;
  columns: string[];
  timeUnit: 'day' | 'year';
}

export const STATSMODELS_DATASETS_DIR = '/usr/lib/python3/dist-packages/statsmodels/datasets';

export function seriesLength(s: TimeSeries): number { return s.times.length; }

// ---- parsing -----------------------------------------------------------------------------------------------

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
const DAY_MS = 86400000;

/** Days since 1970-01-01 UTC of 'YYYY-MM-DD', 'YYYY-MM-DDTHH:MM[:SS]', 'YYYYMMDD' or 'Mon D YYYY'; NaN if none fits. */
export function parseDate(s: string): number {
  const t = s.trim();
  let m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (m) return check(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (m) return check(+m[1], +m[2] - 1, +m[3], 0, 0, 0);
  m = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})$/.exec(t);
  if (m && m[1].toLowerCase() in MONTHS) return check(+m[3], MONTHS[m[1].toLowerCase()], +m[2], 0, 0, 0);
  return NaN;
}

function check(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const ms = Date.UTC(y, mo, d, h, mi, s);
  const dt = new Date(ms);
  // Date.UTC rolls 2001-02-30 over to March: such a date is refused instead.
  if (dt.getUTCMonth() !== mo || dt.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return NaN;
  return ms / DAY_MS;
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'n/a']);

function parseValue(s: string, file: string, line: number, col: string): number {
  const t = s.trim();
  if (MISSING.has(t.toLowerCase())) return NaN;
  const v = Number(t);
  if (!Number.isFinite(v)) throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': record ${line}, column '${col}': '${s}' is not a number`);
  return v;
}

export interface CSVSeriesSpec {
  name: string;
  /** Column holding the time. */
  timeColumn: string;
  /** 'date' (parsed by parseDate, unit day) or 'year' (a number, unit year). */
  timeFormat: 'date' | 'year';
  /** Value columns (default every other column, which must then be numeric). */
  valueColumns?: string[];
  /** Keep only rows where this column equals this value (e.g. one stock symbol). */
  where?: { column: string; equals: string };
}

function readText(file: string, install: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new TensorfieldError('TF_BAD_FILE', `time-series file '${file}' cannot be read (${code})${install ? `; ${install}` : ''}`);
  }
}

/** Parses CSV text with a header row into a TimeSeries (rows sorted by time; duplicate times are an error). */
export function parseCSVSeries(text: string, spec: CSVSeriesSpec, file = '<string>'): TimeSeries {
  const rows = parseCSV(text, file);
  if (rows.length < 2) throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': no data rows`);
  const header = rows[0].map((h) => h.trim());
  const col = (name: string): number => {
    const k = header.indexOf(name);
    if (k < 0) throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': no column '${name}' (columns: ${header.join(', ')})`);
    return k;
  };
  const tk = col(spec.timeColumn);
  const valueColumns = spec.valueColumns ?? header.filter((h, k) => k !== tk && (!spec.where || h !== spec.where.column));
  const vk = valueColumns.map(col);
  const wk = spec.where ? col(spec.where.column) : -1;
  const recs: { t: number; v: number[] }[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r], line = r + 1; // the record number, counting the header as 1 (blank lines are skipped)
    if (row.length !== header.length) {
      throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': record ${line} has ${row.length} fields, the header has ${header.length}`);
    }
    if (wk >= 0 && row[wk] !== spec.where!.equals) continue;
    const t = spec.timeFormat === 'date' ? parseDate(row[tk]) : Number(row[tk].trim());
    if (!Number.isFinite(t) || row[tk].trim() === '') {
      throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': record ${line}: '${row[tk]}' is not a ${spec.timeFormat === 'date' ? 'date' : 'year'}`);
    }
    recs.push({ t, v: vk.map((k, j) => parseValue(row[k], file, line, valueColumns[j])) });
  }
  if (recs.length === 0) throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': no rows${spec.where ? ` with ${spec.where.column} = '${spec.where.equals}'` : ''}`);
  recs.sort((a, b) => a.t - b.t);
  for (let i = 1; i < recs.length; i++) {
    if (recs[i].t === recs[i - 1].t) throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': two rows share the time ${recs[i].t}`);
  }
  const C = valueColumns.length;
  const values = new Float64Array(recs.length * C);
  recs.forEach((rec, i) => values.set(rec.v, i * C));
  return {
    name: spec.name, times: Float64Array.from(recs, (r) => r.t), values, columns: valueColumns.slice(),
    timeUnit: spec.timeFormat === 'date' ? 'day' : 'year',
  };
}

/** Reads a CSV file as a TimeSeries (see parseCSVSeries); a missing file is a TF_BAD_FILE naming it. */
export function readCSVSeries(file: string, spec: CSVSeriesSpec, installHint = ''): TimeSeries {
  return parseCSVSeries(readText(file, installHint), spec, file);
}

// ---- the known datasets --------------------------------------------------------------------------------------

interface Known { pkg: 'vega' | 'statsmodels'; file: string; spec: Omit<CSVSeriesSpec, 'name'>; wide?: boolean }

const KNOWN: Record<string, Known> = {
  // vega-datasets: monthly Mauna Loa CO2 1958-2020, regular.
  'co2-concentration': { pkg: 'vega', file: 'co2-concentration.csv', spec: { timeColumn: 'Date', timeFormat: 'date', valueColumns: ['CO2', 'adjusted CO2'] } },
  // Daily Seattle weather 2012-2015 (the categorical 'weather' column is left out).
  'seattle-weather': { pkg: 'vega', file: 'seattle-weather.csv', spec: { timeColumn: 'date', timeFormat: 'date', valueColumns: ['precipitation', 'temp_max', 'temp_min', 'wind'] } },
  // Hourly climate normals for Seattle over one (2010) year.
  'seattle-weather-hourly-normals': { pkg: 'vega', file: 'seattle-weather-hourly-normals.csv', spec: { timeColumn: 'date', timeFormat: 'date', valueColumns: ['pressure', 'temperature', 'wind'] } },
  // Monthly S&P 500 2000-2010, and daily open/high/low/close/volume 2000-2020.
  'sp500': { pkg: 'vega', file: 'sp500.csv', spec: { timeColumn: 'date', timeFormat: 'date', valueColumns: ['price'] } },
  'sp500-2000': { pkg: 'vega', file: 'sp500-2000.csv', spec: { timeColumn: 'date', timeFormat: 'date', valueColumns: ['open', 'high', 'low', 'close', 'volume'] } },
  // Yearly global temperature anomaly 1880-2023.
  'global-temp': { pkg: 'vega', file: 'global-temp.csv', spec: { timeColumn: 'year', timeFormat: 'year', valueColumns: ['temp'] } },
  // statsmodels: weekly Mauna Loa CO2 1958-2001 with 59 genuinely missing weeks.
  'co2': { pkg: 'statsmodels', file: 'co2/co2.csv', spec: { timeColumn: 'date', timeFormat: 'date', valueColumns: ['co2'] } },
  // Yearly sunspot numbers 1700-2008; yearly Nile flow 1871-1970.
  'sunspots': { pkg: 'statsmodels', file: 'sunspots/sunspots.csv', spec: { timeColumn: 'YEAR', timeFormat: 'year', valueColumns: ['SUNACTIVITY'] } },
  'nile': { pkg: 'statsmodels', file: 'nile/nile.csv', spec: { timeColumn: 'year', timeFormat: 'year', valueColumns: ['volume'] } },
  // Monthly sea surface temperature 1950-2010, stored one year per row (JAN..DEC); read as a monthly series.
  'elnino': { pkg: 'statsmodels', file: 'elnino/elnino.csv', spec: { timeColumn: 'YEAR', timeFormat: 'year' }, wide: true },
};

export type KnownSeries = 'co2-concentration' | 'seattle-weather' | 'seattle-weather-hourly-normals' | 'sp500' | 'sp500-2000' |
  'global-temp' | 'co2' | 'sunspots' | 'nile' | 'elnino' | 'stocks';

export interface LoadSeriesOptions {
  /** The folder holding the package's files (vega-datasets' data/, or statsmodels' datasets/), for copies elsewhere. */
  dir?: string;
  /** For 'stocks': the symbol (MSFT, AMZN, IBM, GOOG, AAPL; default MSFT). */
  symbol?: string;
}

const VEGA_HINT = "install it with 'npm install vega-datasets'";
const STATSMODELS_HINT = "install it with 'apt-get install -y python3-statsmodels'";

function vegaDir(): string {
  const d = npmPackageDir('vega-datasets');
  if (d === null) throw new TensorfieldError('TF_BAD_FILE', `the npm package vega-datasets is not installed (it provides the vega time series); ${VEGA_HINT}`);
  return path.join(d, 'data');
}

/** Rows of (year, JAN..DEC) into one monthly series at the first of each month (unit day). */
function wideToMonthly(ys: TimeSeries, file: string): TimeSeries {
  if (ys.columns.length !== 12) throw new TensorfieldError('TF_BAD_FILE', `CSV file '${file}': expected 12 monthly columns, found ${ys.columns.length}`);
  const n = ys.times.length * 12, times = new Float64Array(n), values = new Float64Array(n);
  for (let i = 0; i < ys.times.length; i++) {
    for (let m = 0; m < 12; m++) {
      times[i * 12 + m] = Date.UTC(ys.times[i], m, 1) / DAY_MS;
      values[i * 12 + m] = ys.values[i * 12 + m];
    }
  }
  return { name: ys.name, times, values, columns: ['value'], timeUnit: 'day' };
}

/**
 * One of the known series by name. vega-datasets series need the npm package (an optional dependency);
 * statsmodels ones the Debian package python3-statsmodels. A missing package or file is a TF_BAD_FILE that
 * names the file and the install command.
 */
export function loadTimeSeries(name: KnownSeries, opts: LoadSeriesOptions = {}): TimeSeries {
  if (name === 'stocks') {
    const symbol = opts.symbol ?? 'MSFT';
    const file = path.join(opts.dir ?? vegaDir(), 'stocks.csv');
    return readCSVSeries(file, { name: `stocks-${symbol}`, timeColumn: 'date', timeFormat: 'date', valueColumns: ['price'], where: { column: 'symbol', equals: symbol } }, VEGA_HINT);
  }
  const k = Object.prototype.hasOwnProperty.call(KNOWN, name) ? KNOWN[name] : undefined;
  if (!k) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `loadTimeSeries: unknown series '${String(name)}' (known: ${[...Object.keys(KNOWN), 'stocks'].join(', ')})`);
  }
  const dir = opts.dir ?? (k.pkg === 'vega' ? vegaDir() : STATSMODELS_DATASETS_DIR);
  const file = path.join(dir, k.file);
  const hint = k.pkg === 'vega' ? VEGA_HINT : `${STATSMODELS_HINT} (it provides ${k.file})`;
  if (!fs.existsSync(file)) {
    throw new TensorfieldError('TF_BAD_FILE', `time-series file '${file}' does not exist; ${hint}`);
  }
  const s = readCSVSeries(file, { ...k.spec, name }, hint);
  return k.wide ? wideToMonthly(s, file) : s;
}

// ---- model inputs ----------------------------------------------------------------------------------------------

export interface WindowOptions {
  /** Observations given to the model. */
  context: number;
  /** Observations to predict after them. */
  horizon: number;
  /** Step between window starts (default 1). */
  stride?: number;
}

export interface Windows {
  /** [N, context, C] float32 (missing values are 0; see the masks). */
  context: Tensor;
  /** [N, horizon, C] float32. */
  target: Tensor;
  /** 1 where observed, 0 where missing; same shapes, float32. */
  contextMask: Tensor;
  targetMask: Tensor;
  /** Times of every position, [N, context + horizon] float64 (what irregular models condition on). */
  times: Tensor;
  /** Index of each window's first observation. */
  starts: Int32Array;
}

/** Sliding windows over the observations (by index, so irregular series give windows of varying time span). */
export function forecastWindows(s: TimeSeries, opts: WindowOptions): Windows {
  const fn = 'forecastWindows';
  const { context: L, horizon: Hz } = opts ?? ({} as WindowOptions);
  const stride = opts?.stride ?? 1;
  for (const [v, what, min] of [[L, 'context', 1], [Hz, 'horizon', 0], [stride, 'stride', 1]] as const) {
    if (!Number.isInteger(v) || v < min) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be an integer >= ${min}, got ${String(v)}`);
  }
  const T = s.times.length, C = s.columns.length, W = L + Hz;
  if (T < W) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the series has ${T} observations, fewer than context + horizon = ${W}`);
  const N = Math.floor((T - W) / stride) + 1;
  const ctx = new Float32Array(N * L * C), cm = new Float32Array(N * L * C);
  const tgt = new Float32Array(N * Hz * C), tm = new Float32Array(N * Hz * C);
  const times = new Float64Array(N * W), starts = new Int32Array(N);
  for (let w = 0; w < N; w++) {
    const s0 = w * stride;
    starts[w] = s0;
    for (let i = 0; i < W; i++) {
      times[w * W + i] = s.times[s0 + i];
      for (let c = 0; c < C; c++) {
        const v = s.values[(s0 + i) * C + c], ok = !Number.isNaN(v);
        if (i < L) { ctx[(w * L + i) * C + c] = ok ? v : 0; cm[(w * L + i) * C + c] = ok ? 1 : 0; }
        else { tgt[(w * Hz + i - L) * C + c] = ok ? v : 0; tm[(w * Hz + i - L) * C + c] = ok ? 1 : 0; }
      }
    }
  }
  return {
    context: tensor(ctx, { shape: [N, L, C] }), target: tensor(tgt, { shape: [N, Hz, C] }),
    contextMask: tensor(cm, { shape: [N, L, C] }), targetMask: tensor(tm, { shape: [N, Hz, C] }),
    times: tensor(times, { shape: [N, W] }), starts,
  };
}

export interface ImputationOptions {
  /**
   * Which observed values to hide for the model to fill in: 'random' points (each with probability `rate`),
   * 'blocks' of `blockLength` consecutive observations (started so that about `rate` of the values are hidden),
   * or 'history': the series' own missing pattern shifted (cyclically) by a random offset, so the hidden values
   * have the shape of real gaps (as in CSDI's historical masks); `rate` is unused, and a series without gaps
   * hides nothing.
   */
  mode: 'random' | 'blocks' | 'history';
  rate?: number;
  blockLength?: number;
  seed?: number;
}

export interface ImputationMasks {
  /** 1 where the model sees the value: observed and not hidden. length x C. */
  input: Uint8Array;
  /** 1 where the value is hidden and known, to score the imputation. */
  target: Uint8Array;
}

/** Masks for an imputation task on `s` (every entry is 0 or 1; input and target never overlap). */
export function imputationMasks(s: TimeSeries, opts: ImputationOptions): ImputationMasks {
  const fn = 'imputationMasks';
  const T = s.times.length, C = s.columns.length, n = T * C;
  const g = new SeededRandom(opts?.seed ?? 0);
  const rate = opts?.rate ?? 0.1;
  if (!(rate >= 0 && rate <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: rate must be in [0, 1], got ${rate}`);
  const hide = new Uint8Array(n);
  if (opts?.mode === 'random') {
    for (let i = 0; i < n; i++) hide[i] = g.next() < rate ? 1 : 0;
  } else if (opts?.mode === 'blocks') {
    const L = opts.blockLength ?? 10;
    if (!Number.isInteger(L) || L < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: blockLength must be a positive integer, got ${L}`);
    // A block starts at each time with probability p; the chance a time is not covered is (1 - p)^L, so
    // p = 1 - (1 - rate)^(1/L) hides a fraction `rate` on average.
    const p = 1 - Math.pow(1 - rate, 1 / L);
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < T; t++) {
        if (g.next() < p) for (let k = t; k < Math.min(T, t + L); k++) hide[k * C + c] = 1;
      }
    }
  } else if (opts?.mode === 'history') {
    const shift = 1 + g.int(Math.max(1, T - 1));
    for (let t = 0; t < T; t++) {
      const src = (t + shift) % T;
      for (let c = 0; c < C; c++) hide[t * C + c] = Number.isNaN(s.values[src * C + c]) ? 1 : 0;
    }
  } else {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: mode must be 'random', 'blocks' or 'history', got '${String(opts?.mode)}'`);
  }
  const input = new Uint8Array(n), target = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const observed = !Number.isNaN(s.values[i]);
    input[i] = observed && !hide[i] ? 1 : 0;
    target[i] = observed && hide[i] ? 1 : 0;
  }
  return { input, target };
}

/** Keeps each observation with probability p (seeded): an irregularly sampled copy of `s`. */
export function subsampleIrregular(s: TimeSeries, p: number, seed = 0): TimeSeries {
  if (!(p > 0 && p <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `subsampleIrregular: p must be in (0, 1], got ${p}`);
  const g = new SeededRandom(seed), C = s.columns.length, keep: number[] = [];
  for (let t = 0; t < s.times.length; t++) if (g.next() < p) keep.push(t);
  const values = new Float64Array(keep.length * C);
  keep.forEach((t, i) => values.set(s.values.subarray(t * C, (t + 1) * C), i * C));
  return { ...s, name: `${s.name}-irregular`, times: Float64Array.from(keep, (t) => s.times[t]), values, columns: s.columns.slice() };
}

export interface NormStats { mean: Float64Array; std: Float64Array }

/** Per-column mean and std over observed values (std 1 for a constant or single-value column). */
export function seriesStats(s: TimeSeries): NormStats {
  const C = s.columns.length, T = s.times.length;
  const mean = new Float64Array(C), std = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let n = 0, m = 0, m2 = 0;
    for (let t = 0; t < T; t++) {
      const v = s.values[t * C + c];
      if (Number.isNaN(v)) continue;
      n++;
      const d = v - m; // Welford: stable for large offsets like CO2's 300+ ppm
      m += d / n;
      m2 += d * (v - m);
    }
    if (n === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `seriesStats: column '${s.columns[c]}' has no observed values`);
    mean[c] = m;
    const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
    std[c] = sd > 0 ? sd : 1;
  }
  return { mean, std };
}

/** (x - mean) / std per column, with the stats used (computed from `s` unless given, e.g. from a training split). */
export function normalizeSeries(s: TimeSeries, stats: NormStats = seriesStats(s)): { series: TimeSeries; stats: NormStats } {
  const C = s.columns.length;
  if (stats.mean.length !== C || stats.std.length !== C) throw new TensorfieldError('TF_SHAPE_MISMATCH', `normalizeSeries: stats for ${stats.mean.length} columns, series has ${C}`);
  const values = s.values.map((v, i) => (v - stats.mean[i % C]) / stats.std[i % C]);
  return { series: { ...s, values, columns: s.columns.slice() }, stats };
}

/** The inverse of normalizeSeries on raw values (length x C, row-major). */
export function denormalizeValues(values: ArrayLike<number>, stats: NormStats): Float64Array {
  const C = stats.mean.length;
  return Float64Array.from(values, (v, i) => v * stats.std[i % C] + stats.mean[i % C]);
}
