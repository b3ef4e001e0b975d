// Scores of the neural-process benchmark: the normalised quantile loss over every target point, the energy score
// per curve over its target vector, and the continuity ratio's numerator: the mean squared increment of samples on
// a dense grid. The same functions score the oracle's posterior draws, so model and oracle use one estimator.
import { energyScore, normalizedQuantileLoss } from '../../metrics/ensemble-scores';
import { npPosterior, samplePosterior, seededNormal, seededUniform, type NpCurve } from './np-data';

/** samples laid out [curves, m, M] (each curve's first tt.length target entries are real) */
export interface NpSamples { values: Float64Array; m: number; M: number }

export function npScores(curves: NpCurve[], s: NpSamples): { ql: number; energy: number } {
  const rows: number[][] = [], ys: number[] = [];
  let es = 0;
  curves.forEach((c, i) => {
    const n = c.tt.length, members: number[][] = [];
    for (let r = 0; r < s.m; r++) members.push(Array.from(s.values.subarray((i * s.m + r) * s.M, (i * s.m + r) * s.M + n)));
    for (let j = 0; j < n; j++) { rows.push(members.map((v) => v[j])); ys.push(c.yt[j]); }
    es += energyScore(members, c.yt);
  });
  return { ql: normalizedQuantileLoss(rows, ys), energy: es / curves.length };
}

/** mean over rows and j of (x_(j+1) - x_j)^2 for rows of length G. */
export function meanSquaredIncrement(values: Float64Array, G: number): number {
  let s = 0, n = 0;
  for (let r = 0; r < values.length / G; r++) for (let j = 0; j + 1 < G; j++) { s += (values[r * G + j + 1] - values[r * G + j]) ** 2; n++; }
  return s / n;
}

/** m posterior draws per curve at its own targets (or at grid), laid out as NpSamples; seeded. */
export function oracleSamples(curves: NpCurve[], m: number, seed: number, grid?: Float64Array): NpSamples {
  const z = seededNormal(seededUniform(seed));
  const M = grid ? grid.length : Math.max(...curves.map((c) => c.tt.length));
  const values = new Float64Array(curves.length * m * M);
  curves.forEach((c, i) => {
    const q = grid ?? c.tt;
    const d = samplePosterior(npPosterior(c.tc, c.yc, q), m, z);
    for (let r = 0; r < m; r++) values.set(d.subarray(r * q.length, (r + 1) * q.length), (i * m + r) * M);
  });
  return { values, m, M };
}

/** the evaluation grid of the continuity check: G equally spaced points on [0, 1] */
export function denseGrid(G = 50): Float64Array { return Float64Array.from({ length: G }, (_, j) => j / (G - 1)); }
