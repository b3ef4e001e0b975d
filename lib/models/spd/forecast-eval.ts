// Scores of sample forecasts of the irregular forecasting windows (forecast-data.ts), shared by the experiment
// script (scripts/spd/seattle-forecast.js) and the CLI method (forecast-method.ts), so both report the same numbers:
// CRPS per (window, lead) forecast with meanCrps (the empirical-ensemble estimator E|X - y| - E|X - X'|/2 over m^2
// pairs), the pinball loss of the samples' deciles, the energy score of the whole horizon vector, and the mean
// squared day-to-day increment of the samples (continuity). The baseline is the seasonal climatology of the
// training years, scored with the same estimators on as many Gaussian draws per forecast (and in closed form), so
// the ensemble estimator's small-m excess is the same on both sides.
import { TensorfieldError } from '../../tensor';
import { SeededRandom } from '../../data/prng';
import { meanCrps, crpsGaussian, quantileLoss } from '../../metrics/forecast';
import { energyScore, sortedQuantile, DECILES } from '../../metrics/ensemble-scores';
import { seasonalClimatology, type Climatology } from '../../data/climatology';
import type { DailyForecastData } from './forecast-data';

export interface ForecastScores {
  /** mean CRPS over windows x leads, in the series' units */
  crps: number;
  crpsPerLead: number[];
  /** mean pinball loss of the samples' deciles 0.1 .. 0.9 (sample quantiles as numpy's default), series' units */
  quantileLoss: number;
  /** mean energy score of the horizon vectors */
  energy: number;
  /** mean squared increment between consecutive leads of the samples */
  msi: number;
}

function checkValues(d: DailyForecastData, starts: ArrayLike<number>, values: Float64Array, m: number, fn: string): void {
  if (!(Number.isInteger(m) && m >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: samples per forecast must be a positive integer, got ${m}`);
  if (starts.length < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no windows`);
  if (values.length !== starts.length * m * d.horizon) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${values.length} values for ${starts.length} windows x ${m} samples x ${d.horizon} leads`);
  }
}

/** Scores of samples values [windows, m, horizon] (series' units) of the windows starting at `starts`. */
export function scoreForecasts(d: DailyForecastData, starts: ArrayLike<number>, values: Float64Array, m: number): ForecastScores {
  checkValues(d, starts, values, m, 'scoreForecasts');
  const W = starts.length, M = d.horizon, C = d.context;
  const ens: Float64Array[] = [], ys: number[] = [], qs: number[] = [];
  let es = 0, msi = 0;
  for (let w = 0; w < W; w++) {
    const y = Array.from({ length: M }, (_, j) => d.raw[starts[w] + C + j]);
    const members: Float64Array[] = [];
    for (let r = 0; r < m; r++) members.push(values.subarray((w * m + r) * M, (w * m + r + 1) * M));
    for (let j = 0; j < M; j++) {
      const e = Float64Array.from(members, (v) => v[j]);
      ens.push(e); ys.push(y[j]);
      const sorted = Float64Array.from(e).sort();
      for (const q of DECILES) qs.push(sortedQuantile(sorted, q));
    }
    es += energyScore(members, y);
    for (const v of members) for (let j = 0; j + 1 < M; j++) msi += (v[j + 1] - v[j]) ** 2;
  }
  const crpsPerLead = Array.from({ length: M }, (_, j) => meanCrps(ens.filter((_, i) => i % M === j), ys.filter((_, i) => i % M === j)));
  return { crps: meanCrps(ens, ys), crpsPerLead, quantileLoss: quantileLoss(qs, ys, DECILES), energy: es / W, msi: M > 1 ? msi / (W * m * (M - 1)) : NaN };
}

/** The observed targets' mean squared increment between consecutive leads (the continuity ratio's denominator). */
export function observedMsi(d: DailyForecastData, starts: ArrayLike<number>): number {
  const M = d.horizon, C = d.context;
  let s = 0;
  for (let w = 0; w < starts.length; w++) for (let j = 0; j + 1 < M; j++) s += (d.raw[starts[w] + C + j + 1] - d.raw[starts[w] + C + j]) ** 2;
  return s / (starts.length * (M - 1));
}

/** The seasonal climatology of the given years' days (+-halfWidth days pooled). */
export function fitClimatology(d: DailyForecastData, years: number[], halfWidth = 7): Climatology {
  const idx: number[] = [];
  for (let i = 0; i < d.raw.length; i++) if (years.includes(d.year[i])) idx.push(i);
  return seasonalClimatology(idx.map((i) => d.doy[i]), idx.map((i) => d.raw[i]), { halfWidth });
}

/**
 * m Gaussian draws per target from the climatology ([windows, m, horizon], as the model's samples; generator
 * SeededRandom(seed, 3)) and its closed-form mean CRPS over the same targets.
 */
export function climatologyForecasts(d: DailyForecastData, starts: ArrayLike<number>, c: Climatology, m: number, seed: number): { draws: Float64Array; crpsClosedForm: number } {
  return gaussianForecasts('climatologyForecasts', d, starts, m, seed, 3, (_w, i) => {
    const dd = d.doy[i] % c.period;
    return [c.mean[dd], c.std[dd]];
  });
}

/**
 * m draws per (window, target) from a Gaussian baseline, in the models' sample layout [windows, m, horizon], from
 * SeededRandom(seed, stream) in one order (window, then lead, then draw), and the baseline's closed-form mean
 * CRPS; gauss(w, i) is the mean and sd for window w's target day i.
 */
function gaussianForecasts(fn: string, d: DailyForecastData, starts: ArrayLike<number>, m: number, seed: number, stream: number,
  gauss: (w: number, i: number) => [number, number]): { draws: Float64Array; crpsClosedForm: number } {
  const W = starts.length, M = d.horizon, C = d.context;
  if (!(Number.isInteger(m) && m >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: m must be a positive integer, got ${m}`);
  const rng = new SeededRandom(seed, stream);
  const draws = new Float64Array(W * m * M);
  let closed = 0;
  for (let w = 0; w < W; w++) for (let j = 0; j < M; j++) {
    const i = starts[w] + C + j, [mu, sd] = gauss(w, i);
    closed += crpsGaussian(mu, sd, d.raw[i]);
    for (let r = 0; r < m; r++) draws[(w * m + r) * M + j] = mu + sd * rng.normal();
  }
  return { draws, crpsClosedForm: closed / (W * M) };
}

/**
 * Persistence baselines: the last observed context day carried forward (kind 'value'), or its departure from the
 * climatology carried forward onto the target day's climatological mean (kind 'anomaly'). Either is a Gaussian whose
 * spread depends only on the gap g in days from the last observed day to the target: sd[g] is the RMS of the same
 * g-day change (value, or anomaly) over every pair of days inside the fitting years. Because 30 % of the context
 * days are dropped, the last observed day can lie several days before the origin, and g counts from it.
 */
export interface Persistence {
  kind: 'value' | 'anomaly';
  /** sd[g] for g = 1 .. maxGap (sd[0] unused) */
  sd: Float64Array;
  clim: Climatology | null;
  years: number[];
}

const climMean = (c: Climatology, doy: number) => c.mean[doy % c.period];

/** Fits the g-day change spreads of a persistence baseline on the given years (anomaly: against `clim`). */
export function fitPersistence(d: DailyForecastData, years: number[], kind: 'value' | 'anomaly', clim: Climatology | null = null): Persistence {
  if (kind !== 'value' && kind !== 'anomaly') throw new TensorfieldError('TF_INVALID_ARGUMENT', `fitPersistence: kind must be value or anomaly, got '${String(kind)}'`);
  if (kind === 'anomaly' && !clim) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'fitPersistence: the anomaly kind needs a climatology');
  const G = d.context + d.horizon;
  const level = (i: number) => (kind === 'anomaly' ? d.raw[i] - climMean(clim!, d.doy[i]) : d.raw[i]);
  const sd = new Float64Array(G + 1);
  for (let g = 1; g <= G; g++) {
    let s = 0, n = 0;
    for (let i = 0; i + g < d.raw.length; i++) {
      if (!years.includes(d.year[i]) || !years.includes(d.year[i + g])) continue;
      s += (level(i + g) - level(i)) ** 2; n++;
    }
    if (n < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `fitPersistence: the years ${years.join(', ')} hold fewer than 2 pairs of days ${g} apart`);
    sd[g] = Math.sqrt(s / n);
  }
  return { kind, sd, clim, years: [...years] };
}

/**
 * m Gaussian draws per target from a persistence baseline ([windows, m, horizon]; generator SeededRandom(seed,
 * stream)) given each window's kept context offsets (sorted), and its closed-form mean CRPS.
 */
export function persistenceForecasts(d: DailyForecastData, starts: ArrayLike<number>, kept: ArrayLike<number>[], p: Persistence, m: number, seed: number, stream = 5): { draws: Float64Array; crpsClosedForm: number } {
  const W = starts.length;
  if (kept.length !== W) throw new TensorfieldError('TF_SHAPE_MISMATCH', `persistenceForecasts: ${kept.length} kept-day sets for ${W} windows`);
  // per window: its last observed day, and that day's departure from the climatology (anomaly kind)
  const last = Array.from(kept, (k, w) => {
    if (k.length < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `persistenceForecasts: window ${w} keeps no context day`);
    return starts[w] + k[k.length - 1];
  });
  const anomaly = last.map((l) => (p.kind === 'anomaly' ? d.raw[l] - climMean(p.clim!, d.doy[l]) : 0));
  return gaussianForecasts('persistenceForecasts', d, starts, m, seed, stream, (w, i) =>
    [p.kind === 'anomaly' ? climMean(p.clim!, d.doy[i]) + anomaly[w] : d.raw[last[w]], p.sd[i - last[w]]]);
}
