// train / sample / eval for conditional methods (MethodRun.conditional, data kind 'dated'): instead of unconditional
// samples, forecasts of a held-out split's windows. sample writes them (median and quantiles per target, the truth
// beside) as forecasts-<split>.json and draws fan charts of a few windows with the true series; eval (and the end
// of train, on the validation split) scores them against the truth with the method's baseline beside.
import * as path from 'path';
import { TensorfieldError } from '../tensor';
import type { ConditionalForecasts, ConditionalOptions, ConditionalRun } from '../registry';
import { sortedQuantile } from '../metrics/ensemble-scores';
import { saveFanChart } from '../io/fan-chart';
import type { DataSource } from '../data/sources';
import { writeJson } from './run-dir';
import { runRecord } from './record';
import { ProgressBar } from './progress';

/** Quantile levels written per target: the 90 % and 50 % central bands, the deciles and the median. */
export const FORECAST_LEVELS: readonly number[] = [0.05, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 0.95];

/** Forecasts refused when a sample is NaN or infinite (a diverged network): TF_NON_FINITE naming the window. */
export function predictChecked(c: ConditionalRun, o: ConditionalOptions, method: string, step: number): ConditionalForecasts {
  // sampling every held-out window takes seconds to minutes (co2: 100 diffusion steps of a convolution per sample)
  let bar: ProgressBar | null = null;
  const f = c.predict({ ...o, onProgress: (done, total) => { (bar ??= new ProgressBar({ total, label: `sample ${o.split}`, unit: 'win' })).update(done); } });
  (bar as ProgressBar | null)?.finish();
  for (const w of f.windows) {
    for (const s of w.samples) {
      if (!s.every(Number.isFinite)) {
        throw new TensorfieldError('TF_NON_FINITE', `the forecasts of '${method}' at training step ${step} hold NaN or infinite values (window ${w.label}): the network diverged, or the sampler's settings are out of its range`);
      }
    }
  }
  return f;
}

/** Per target of each window, the sample quantiles at `levels` ([targets][levels]). */
function quantilesOf(samples: Float64Array[], levels: readonly number[]): number[][] {
  const M = samples[0].length;
  return Array.from({ length: M }, (_, j) => {
    const col = Float64Array.from(samples, (s) => s[j]).sort();
    return levels.map((q) => sortedQuantile(col, q));
  });
}

/** Indices of k windows spread evenly over n (first and last included when k >= 2). */
export function spreadPicks(n: number, k: number): number[] {
  if (k <= 0 || n === 0) return [];
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  if (k === 1) return [0];
  return Array.from({ length: k }, (_, i) => Math.round((i * (n - 1)) / (k - 1)));
}

/**
 * Writes <dir>/forecasts-<split>.json and a fan chart (90 % and 50 % bands, median, the true series over the whole
 * window, the context values the model saw as points) for `fans` windows spread over the split; returns the files.
 */
export function writeForecasts(dir: string, f: ConditionalForecasts, src: DataSource, meta: { fans: number; seed: number; step: number; method: string }): string[] {
  const levels = FORECAST_LEVELS, iMed = levels.indexOf(0.5);
  const rows = f.windows.map((w) => {
    const q = quantilesOf(w.samples, levels);
    const truth = w.targetX.map((x) => w.truthY[w.truthX.indexOf(x)]);
    return { label: w.label, targetX: w.targetX, truth, median: q.map((r) => r[iMed]), quantiles: q, contextX: w.contextX, contextY: w.contextY };
  });
  const json = path.join(dir, `forecasts-${f.split}.json`);
  writeJson(json, {
    method: meta.method, step: meta.step, split: f.split, valueLabel: f.valueLabel, timeUnit: f.timeUnit,
    samplesPerForecast: f.windows[0]?.samples.length ?? 0, nfePerForecast: f.nfe, quantileLevels: levels,
    note: `x in ${f.timeUnit} from each window's first target (0); quantiles per target at quantileLevels (sample quantiles, numpy's default interpolation)` +
      (f.split === 'gaps' ? `; split gaps: the targets are the series' own missing values, so truth is null (no value was recorded)` : ''),
    windows: rows, record: runRecord(src, { seeds: { sample: meta.seed } }),
  });
  const out = [json];
  const at = (lv: number) => levels.indexOf(lv);
  for (const i of spreadPicks(rows.length, meta.fans)) {
    const r = rows[i], w = f.windows[i];
    const band = (lo: number, hi: number, label: string) => ({ label, lo: r.quantiles.map((q) => q[at(lo)]), hi: r.quantiles.map((q) => q[at(hi)]) });
    const file = path.join(dir, `fan-${f.split}-${r.label}.svg`);
    saveFanChart(file, {
      title: `${meta.method}: ${f.valueLabel} from ${r.label} (${f.split}; ${w.contextX.length} of ${w.truthX.length - w.targetX.length} context ${f.timeUnit} seen, marked)`,
      xLabel: `${f.timeUnit} from the first predicted ${f.timeUnit.replace(/s$/, '')}`, yLabel: f.valueLabel,
      observed: { name: f.split === 'gaps' ? 'observed values (missing: the gap)' : 'true values', x: w.truthX, y: w.truthY },
      fans: [
        { x: r.targetX, median: r.median, bands: [band(0.05, 0.95, '90 % band'), band(0.25, 0.75, '50 % band')] },
      ],
      markers: { name: 'context seen', x: w.contextX, y: w.contextY },
    });
    out.push(file);
  }
  return out;
}

/**
 * Validated options of a conditional sample / eval / train-end run. `gaps` (sample only) is the run's
 * ConditionalRun.gaps when split 'gaps' (the series' own missing values, no truth) may be asked; eval and the end of
 * train score, so they never pass it.
 */
export function conditionalOptions(flags: { split?: unknown; every?: unknown; seed?: unknown; steps?: unknown }, samples: number, gaps?: { method: string; what?: string }): ConditionalOptions {
  const { split, every, seed, steps } = flags;
  if (split === 'gaps') {
    if (!gaps) throw new TensorfieldError('TF_INVALID_ARGUMENT', "--split gaps has no truth to score: 'tensorfield sample --split gaps' imputes the real missing values; eval scores val or test");
    if (!gaps.what) throw new TensorfieldError('TF_INVALID_ARGUMENT', `--split gaps: method '${gaps.method}' has no missing-value split (its windows are val and test)`);
  } else if (split !== 'val' && split !== 'test') throw new TensorfieldError('TF_INVALID_ARGUMENT', `--split must be val, test${gaps?.what ? ' or gaps' : ''}, got ${String(split)}`);
  if (!Number.isInteger(every) || (every as number) < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `--every must be a positive integer, got ${String(every)}`);
  if (!Number.isInteger(seed)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `--seed must be an integer, got ${String(seed)}`);
  if (!Number.isInteger(samples) || samples < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `--n (samples per forecast) must be a positive integer, got ${samples}`);
  if (steps !== undefined && (!Number.isInteger(steps) || (steps as number) < 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `--steps must be a positive integer, got ${String(steps)}`);
  return { split: split as ConditionalOptions['split'], every: every as number, seed: seed as number, samples, steps: steps as number | undefined };
}

/** Scores of a conditional run on a split, written to `file` (with the record); returns the metrics. */
export function scoreToFile(c: ConditionalRun, o: ConditionalOptions, src: DataSource, file: string,
  meta: { method: string; step: number; trainSeed: number; call?: string; extra?: Record<string, number> }, log: (s: string) => void): Record<string, number> {
  if (o.split === 'gaps') throw new TensorfieldError('TF_INVALID_ARGUMENT', 'the gaps split has no truth to score (sample it instead)');
  const t0 = Date.now();
  const f = predictChecked(c, o, meta.method, meta.step);
  const sampleSeconds = (Date.now() - t0) / 1000;
  const sc = c.score(f, o);
  const metrics = { step: meta.step, nfePerForecast: f.nfe, sampleSeconds, ...(meta.extra ?? {}), ...sc.metrics };
  writeJson(file, { ...metrics, split: o.split, breakdown: sc.breakdown, notes: sc.notes,
    record: runRecord(src, { n: o.samples, seeds: { train: meta.trainSeed, sample: o.seed }, call: meta.call }) });
  log(`${o.split} scores (${sc.notes.estimator ?? f.valueLabel}): ${Object.entries(sc.metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`).join(', ')}`);
  return metrics;
}
