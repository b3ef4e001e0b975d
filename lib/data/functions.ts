// Random functions sampled on a grid, the data of function-space generative models (FDP, issue 22): band-limited
// periodic functions f(x) = sum_{k=1..K} a_k sin(2 pi k x + phi_k) on [0, 1) (they satisfy the sampling theorem
// at any grid of more than 2K points, so a grid of any resolution holds the whole function), and real daily
// curves cut from an hourly series (vega's Seattle hourly temperature normals: 365 days x 24 hours).
import { TensorfieldError } from '../tensor';
import { SeededRandom } from './prng';
import { loadTimeSeries, type LoadSeriesOptions } from './timeseries';

export interface BandLimitedOptions {
  /** Grid points on [0, 1) (x_j = j / points). */
  points: number;
  /** Highest frequency K (cycles per unit); the grid needs points > 2K. Default 3. */
  maxFreq?: number;
  seed: number;
}

export interface BandLimitedSet {
  /** [n * points] row-major values f_i(x_j). */
  values: Float32Array;
  /** [n * maxFreq] amplitudes a_{i,k}: U(0, 1) / k. */
  amplitudes: Float64Array;
  n: number;
  points: number;
  maxFreq: number;
}

/** n functions with a_k ~ U(0, 1) / k and phi_k ~ U(0, 2 pi), from their own seed (not the engine generator). */
export function bandLimitedFunctions(n: number, opts: BandLimitedOptions): BandLimitedSet {
  const K = opts.maxFreq ?? 3, P = opts.points;
  if (!(Number.isInteger(n) && n >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `bandLimitedFunctions: n must be an integer >= 1, got ${n}`);
  if (!(Number.isInteger(K) && K >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `bandLimitedFunctions: maxFreq must be an integer >= 1, got ${K}`);
  if (!(Number.isInteger(P) && P > 2 * K)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `bandLimitedFunctions: points must be an integer > 2 maxFreq = ${2 * K} (Nyquist), got ${P}`);
  }
  const rng = new SeededRandom(opts.seed);
  const values = new Float32Array(n * P), amplitudes = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    for (let k = 1; k <= K; k++) {
      const a = rng.next() / k, phi = 2 * Math.PI * rng.next();
      amplitudes[i * K + k - 1] = a;
      for (let j = 0; j < P; j++) values[i * P + j] += a * Math.sin(2 * Math.PI * k * j / P + phi);
    }
  }
  return { values, amplitudes, n, points: P, maxFreq: K };
}

export interface DailyCurves {
  /** [days * 24] row-major, in the column's units. */
  values: Float32Array;
  days: number;
  /** Day number (days since 1970-01-01) of each curve's midnight. */
  dayStart: Float64Array;
}

/**
 * Complete 24-hour curves (hours 00..23 of one calendar day, in the series' UTC times) of one column of an hourly
 * series; days with a missing hour or value are left out (the hourly normals lack 2010-01-01 00:00, so 364 remain).
 */
export function dailyCurves(name: 'seattle-weather-hourly-normals', column = 'temperature', opts: LoadSeriesOptions = {}): DailyCurves {
  const s = loadTimeSeries(name, opts);
  const c = s.columns.indexOf(column);
  if (c < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dailyCurves: series '${name}' has no column '${column}' (columns: ${s.columns.join(', ')})`);
  const byDay = new Map<number, Float64Array>();
  const C = s.columns.length;
  for (let i = 0; i < s.times.length; i++) {
    const day = Math.floor(s.times[i] + 1e-9), hour = Math.round((s.times[i] - day) * 24);
    let row = byDay.get(day);
    if (!row) { row = new Float64Array(24).fill(NaN); byDay.set(day, row); }
    if (hour >= 0 && hour < 24) row[hour] = s.values[i * C + c];
  }
  const days = [...byDay.keys()].sort((a, b) => a - b).filter((d) => byDay.get(d)!.every((v) => !Number.isNaN(v)));
  const values = new Float32Array(days.length * 24);
  days.forEach((d, i) => values.set(byDay.get(d)!, i * 24));
  return { values, days: days.length, dayStart: Float64Array.from(days) };
}
