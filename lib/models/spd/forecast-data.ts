// Irregular forecasting windows over a daily series (digest B §4.7.3: vega seattle-weather, daily temp_max): a
// context of `context` days of which a fixed fraction is dropped at random (so the observed times are irregular)
// and the following `horizon` days as targets. Splits are by calendar year and every window lies wholly inside its
// split's years, so no test day is ever a context or target day of a training or validation window. The
// standardisation (mean, std) comes from the training years' days only.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { SeededRandom } from '../../data/prng';
import { loadTimeSeries, type TimeSeries } from '../../data/timeseries';

export interface DailyForecastOptions {
  /** the value column (default temp_max) */
  column?: string;
  /** context days (default 60) */
  context?: number;
  /** forecast days (default 14) */
  horizon?: number;
  /** fraction of the context days dropped (default 0.3; round(fraction x context) days) */
  dropFraction?: number;
  trainYears?: number[];
  valYears?: number[];
  testYears?: number[];
}

export interface DailyForecastData {
  name: string;
  column: string;
  /** days since 1970-01-01, consecutive */
  days: Float64Array;
  /** the column in its own units */
  raw: Float64Array;
  /** (raw - mean) / std */
  z: Float64Array;
  year: Int32Array;
  /** 0-based day of the year */
  doy: Int32Array;
  /** the training years' mean and standard deviation (population) */
  mean: number;
  std: number;
  context: number;
  horizon: number;
  /** observed context days per window: context - round(dropFraction x context) */
  keep: number;
  /** window start indices (first context day) per split, in time order */
  starts: { train: Int32Array; val: Int32Array; test: Int32Array };
  years: { train: number[]; val: number[]; test: number[] };
}

const DAY_MS = 86400000;

/** Windows of a consecutive daily series (unit 'day'), split by year. */
export function dailyForecastData(s: TimeSeries, o: DailyForecastOptions = {}): DailyForecastData {
  const fn = 'dailyForecastData';
  const column = o.column ?? 'temp_max', C = o.context ?? 60, H = o.horizon ?? 14, f = o.dropFraction ?? 0.3;
  const years = { train: o.trainYears ?? [2012, 2013], val: o.valYears ?? [2014], test: o.testYears ?? [2015] };
  if (!(Number.isInteger(C) && C >= 2)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: context must be an integer >= 2, got ${C}`);
  if (!(Number.isInteger(H) && H >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: horizon must be an integer >= 1, got ${H}`);
  if (!(f >= 0 && f < 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: dropFraction must be in [0, 1), got ${f}`);
  const keep = C - Math.round(f * C);
  if (keep < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: dropping ${f} of ${C} context days leaves ${keep}; need at least 2`);
  const all = [...years.train, ...years.val, ...years.test];
  if (years.train.length === 0 || new Set(all).size !== all.length) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the splits' years must be disjoint and the training years non-empty, got ${JSON.stringify(years)}`);
  if (s == null || !(s.times instanceof Float64Array) || !(s.values instanceof Float64Array) || !Array.isArray(s.columns)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: expected a TimeSeries (times, values, columns)`);
  if (s.timeUnit !== 'day') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the series must be dated (time unit 'day'), got '${s.timeUnit}'`);
  const ci = s.columns.indexOf(column);
  if (ci < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no column '${column}' (columns: ${s.columns.join(', ')})`);
  const n = s.times.length, nc = s.columns.length;
  const raw = new Float64Array(n), year = new Int32Array(n), doy = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (i > 0 && s.times[i] - s.times[i - 1] !== 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the series must be consecutive days; a gap of ${s.times[i] - s.times[i - 1]} days before row ${i}`);
    raw[i] = s.values[i * nc + ci];
    if (!Number.isFinite(raw[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: '${column}' is missing or not finite at row ${i}`);
    const d = new Date(s.times[i] * DAY_MS);
    year[i] = d.getUTCFullYear();
    doy[i] = Math.round((s.times[i] * DAY_MS - Date.UTC(year[i], 0, 1)) / DAY_MS);
  }
  // standardisation from the training years only
  let sum = 0, cnt = 0;
  for (let i = 0; i < n; i++) if (years.train.includes(year[i])) { sum += raw[i]; cnt++; }
  if (cnt < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the training years ${years.train.join(', ')} hold ${cnt} days`);
  const mean = sum / cnt;
  let ss = 0;
  for (let i = 0; i < n; i++) if (years.train.includes(year[i])) ss += (raw[i] - mean) ** 2;
  const std = Math.sqrt(ss / cnt);
  if (!(std > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: '${column}' is constant over the training years`);
  const z = raw.map((v) => (v - mean) / std);
  const starts = (ys: number[]): Int32Array => {
    const out: number[] = [];
    for (let i = 0; i + C + H <= n; i++) {
      let ok = true;
      for (let j = i; j < i + C + H && ok; j++) ok = ys.includes(year[j]);
      if (ok) out.push(i);
    }
    return Int32Array.from(out);
  };
  const st = { train: starts(years.train), val: starts(years.val), test: starts(years.test) };
  if (st.train.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no ${C + H}-day window fits in the training years`);
  return { name: s.name, column, days: Float64Array.from(s.times), raw, z, year, doy, mean, std, context: C, horizon: H, keep, starts: st, years };
}

/** vega-datasets' seattle-weather (a TF_BAD_FILE naming the install command when the package is absent). */
export function seattleForecastData(o: DailyForecastOptions & { dir?: string } = {}): DailyForecastData {
  return dailyForecastData(loadTimeSeries('seattle-weather', { dir: o.dir }), o);
}

/** The kept context offsets (sorted, in [0, context)) of one window: `keep` of them, uniformly at random. */
export function dropContext(rng: SeededRandom, context: number, keep: number): Int32Array {
  return rng.permutation(context).slice(0, keep).sort();
}

/** One kept-offset set per window, from a seed (the fixed masks of the validation and test windows). */
export function fixedDrops(d: DailyForecastData, count: number, seed: number): Int32Array[] {
  const rng = new SeededRandom(seed, 25);
  return Array.from({ length: count }, () => dropContext(rng, d.context, d.keep));
}

/**
 * The target times in window units: the whole window (context + horizon days) mapped to [0, 1], so the targets sit
 * at (context + j) / (context + horizon - 1). The noise process is built on these.
 */
export function forecastTargetTimes(d: DailyForecastData): Float64Array {
  const span = d.context + d.horizon - 1;
  return Float64Array.from({ length: d.horizon }, (_, j) => (d.context + j) / span);
}

export interface ForecastBatch {
  /** GRU inputs, time-major [keep, B, 3]: standardised value, gap to the previous kept day / 7, days before the first target / context */
  ctx: Tensor;
  /** standardised targets [B, horizon] */
  yT: Tensor;
  /** sin, cos of 2 pi doy / 365.25 at the first target day [B, 2] */
  season: Tensor;
}

/** Model inputs of windows starting at `starts` with kept context offsets `kept` (one per window). */
export function forecastBatch(d: DailyForecastData, starts: ArrayLike<number>, kept: Int32Array[]): ForecastBatch {
  const B = starts.length, K = d.keep, C = d.context, H = d.horizon;
  if (kept.length !== B) throw new TensorfieldError('TF_SHAPE_MISMATCH', `forecastBatch: ${B} windows but ${kept.length} drop masks`);
  const ctx = new Float32Array(K * B * 3), yT = new Float32Array(B * H), season = new Float32Array(B * 2);
  for (let b = 0; b < B; b++) {
    const s = starts[b], k = kept[b];
    if (!(Number.isInteger(s) && s >= 0 && s + C + H <= d.z.length)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `forecastBatch: window start ${s} is out of range`);
    if (k.length !== K) throw new TensorfieldError('TF_SHAPE_MISMATCH', `forecastBatch: window ${b} keeps ${k.length} days, expected ${K}`);
    for (let i = 0; i < K; i++) {
      if (!(k[i] >= 0 && k[i] < C && (i === 0 || k[i] > k[i - 1]))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `forecastBatch: kept offsets of window ${b} must be increasing in [0, ${C})`);
      const o = (i * B + b) * 3;
      ctx[o] = d.z[s + k[i]];
      ctx[o + 1] = (i === 0 ? k[0] + 1 : k[i] - k[i - 1]) / 7;
      ctx[o + 2] = (C - k[i]) / C;
    }
    for (let j = 0; j < H; j++) yT[b * H + j] = d.z[s + C + j];
    const a = 2 * Math.PI * d.doy[s + C] / 365.25;
    season[b * 2] = Math.sin(a); season[b * 2 + 1] = Math.cos(a);
  }
  const f = { dtype: 'float32' as const };
  return { ctx: tensor(ctx, { ...f, shape: [K, B, 3] }), yT: tensor(yT, { ...f, shape: [B, H] }), season: tensor(season, { ...f, shape: [B, 2] }) };
}
