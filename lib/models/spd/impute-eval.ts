// Scores of sample imputations of removed blocks (impute-data.ts tasks), shared by the experiment script
// (scripts/spd/co2-impute.js) and the CLI method (impute-method.ts), so both report the same numbers: CRPS per
// removed week with meanCrps (the empirical-ensemble estimator) overall and by block length, the pinball loss of
// the samples' deciles, the energy score per block and the mean squared week-to-week increment inside blocks. The
// Gaussian baselines (impute-baselines.ts) are scored with the same estimators on as many draws, and in closed form.
import { TensorfieldError } from '../../tensor';
import { SeededRandom } from '../../data/prng';
import { meanCrps, crpsGaussian, quantileLoss } from '../../metrics/forecast';
import { energyScore, sortedQuantile, DECILES } from '../../metrics/ensemble-scores';
import type { Gaussian } from './impute-baselines';
import type { ImputeTask, WeeklyImputationData } from './impute-data';

/** The block-length groups the README reports: single weeks, short runs, the long runs (8 and 18 weeks in co2). */
export const BLOCK_GROUPS: Record<string, (length: number) => boolean> = {
  'length 1': (l) => l === 1, 'length 2-5': (l) => l >= 2 && l <= 5, 'length 8-18': (l) => l >= 8,
};

export interface ImputationScores {
  crps: number;
  /** CRPS and weeks per block-length group (null: no week of that group) */
  byGroup: Record<string, { crps: number; weeks: number } | null>;
  pinballDeciles: number;
  energy: number;
  /** null when no block is longer than one week */
  msi: number | null;
}

/** Scores of m samples per task (one Float64Array [m, length] per task, the series' units). */
export function scoreImputations(d: WeeklyImputationData, tasks: ImputeTask[], samples: Float64Array[], m: number): ImputationScores {
  const fn = 'scoreImputations';
  if (!(Number.isInteger(m) && m >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: samples per week must be a positive integer, got ${m}`);
  if (tasks.length < 1 || samples.length !== tasks.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${samples.length} sample sets for ${tasks.length} tasks (need at least one)`);
  const ens: number[][] = [], ys: number[] = [], lens: number[] = [], q: number[][] = [];
  let es = 0, msi = 0, nmsi = 0;
  tasks.forEach((t, i) => {
    if (samples[i].length !== m * t.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: task ${i} has ${samples[i].length} values for ${m} samples x ${t.length} weeks`);
    const y = Array.from({ length: t.length }, (_, j) => d.raw[t.start + t.offset + j]);
    const members = Array.from({ length: m }, (_, r) => samples[i].subarray(r * t.length, (r + 1) * t.length));
    for (let j = 0; j < t.length; j++) {
      const e = members.map((v) => v[j]);
      ens.push(e); ys.push(y[j]); lens.push(t.length);
      const sorted = Float64Array.from(e).sort();
      q.push(DECILES.map((p) => sortedQuantile(sorted, p)));
    }
    es += energyScore(members, y);
    for (const v of members) for (let j = 0; j + 1 < t.length; j++) { msi += (v[j + 1] - v[j]) ** 2; nmsi++; }
  });
  const byGroup: ImputationScores['byGroup'] = {};
  for (const [g, f] of Object.entries(BLOCK_GROUPS)) {
    const idx = lens.map((l, i) => (f(l) ? i : -1)).filter((i) => i >= 0);
    byGroup[g] = idx.length ? { crps: meanCrps(idx.map((i) => ens[i]), idx.map((i) => ys[i])), weeks: idx.length } : null;
  }
  return { crps: meanCrps(ens, ys), byGroup, pinballDeciles: quantileLoss(q.flat(), ys, DECILES), energy: es / tasks.length, msi: nmsi ? msi / nmsi : null };
}

/** The removed observations' mean squared week-to-week increment inside blocks (null: only single weeks). */
export function observedBlockMsi(d: WeeklyImputationData, tasks: ImputeTask[]): number | null {
  let s = 0, n = 0;
  for (const t of tasks) for (let j = 0; j + 1 < t.length; j++) { s += (d.raw[t.start + t.offset + j + 1] - d.raw[t.start + t.offset + j]) ** 2; n++; }
  return n ? s / n : null;
}

/**
 * m draws per removed week from a Gaussian predictive (generator SeededRandom(seed, stream)), as the model's
 * samples, and its closed-form mean CRPS over the removed weeks.
 */
export function gaussianImputations(d: WeeklyImputationData, tasks: ImputeTask[], predict: (t: ImputeTask) => Gaussian, m: number, seed: number, stream: number): { draws: Float64Array[]; crpsClosedForm: number } {
  if (!(Number.isInteger(m) && m >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `gaussianImputations: m must be a positive integer, got ${m}`);
  const rng = new SeededRandom(seed, stream);
  let closed = 0, weeks = 0;
  const draws = tasks.map((t) => {
    const g = predict(t), r = new Float64Array(m * t.length);
    for (let j = 0; j < t.length; j++) {
      closed += crpsGaussian(g.mean[j], g.std[j], d.raw[t.start + t.offset + j]);
      for (let k = 0; k < m; k++) r[k * t.length + j] = g.mean[j] + g.std[j] * rng.normal();
    }
    weeks += t.length;
    return r;
  });
  return { draws, crpsClosedForm: closed / weeks };
}
