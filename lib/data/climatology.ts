// A seasonal-climatology forecast: for each day of the year, the mean and the spread of the values observed within
// +-halfWidth days of it (circularly) in the fitting years, used as a Gaussian forecast N(mean, std^2) for any
// lead time. Pooling a window of days is what makes a per-day-of-year estimate usable from a few years of data
// (two years give 2 values per day, 2 (2 halfWidth + 1) with the window).
import { TensorfieldError } from '../tensor';

export interface Climatology {
  /** per day of year d = 0 .. period - 1 */
  mean: Float64Array;
  /** sample standard deviation (n - 1) of the pooled values */
  std: Float64Array;
  /** how many values were pooled for each day */
  count: Int32Array;
  halfWidth: number;
  period: number;
}

export interface ClimatologyOptions {
  /** days on each side pooled with a day (default 7) */
  halfWidth?: number;
  /** days in the cycle (default 365; a leap year's day 365 is pooled as day 0) */
  period?: number;
}

/** Fits the climatology from (day of year, value) pairs: doy 0-based integers, values finite. */
export function seasonalClimatology(doy: ArrayLike<number>, values: ArrayLike<number>, o: ClimatologyOptions = {}): Climatology {
  const fn = 'seasonalClimatology';
  const w = o.halfWidth ?? 7, P = o.period ?? 365;
  if (!(Number.isInteger(P) && P >= 2)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: period must be an integer >= 2, got ${P}`);
  if (!(Number.isInteger(w) && w >= 0 && 2 * w + 1 <= P)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: halfWidth must be an integer in [0, (period - 1) / 2], got ${w}`);
  if (doy == null || values == null || typeof doy.length !== 'number' || typeof values.length !== 'number') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: days of year and values must be arrays`);
  if (doy.length !== values.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${doy.length} days but ${values.length} values`);
  const sum = new Float64Array(P), sq = new Float64Array(P), count = new Int32Array(P);
  // two passes over the pooled values (mean, then squared deviations) for accuracy
  const bins: number[][] = Array.from({ length: P }, () => []);
  for (let i = 0; i < values.length; i++) {
    const d = doy[i], v = values[i];
    if (!(Number.isInteger(d) && d >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: day of year must be a non-negative integer, got ${d} at ${i}`);
    if (!Number.isFinite(v)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: value ${v} at ${i} is not finite`);
    bins[d % P].push(v);
  }
  for (let d = 0; d < P; d++) {
    for (let j = -w; j <= w; j++) for (const v of bins[(((d + j) % P) + P) % P]) { sum[d] += v; count[d]++; }
  }
  const mean = new Float64Array(P), std = new Float64Array(P);
  for (let d = 0; d < P; d++) {
    if (count[d] < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: day ${d} has ${count[d]} pooled values; need at least 2 (more years or a wider window)`);
    mean[d] = sum[d] / count[d];
    for (let j = -w; j <= w; j++) for (const v of bins[(((d + j) % P) + P) % P]) sq[d] += (v - mean[d]) ** 2;
    std[d] = Math.sqrt(sq[d] / (count[d] - 1));
  }
  return { mean, std, count, halfWidth: w, period: P };
}
