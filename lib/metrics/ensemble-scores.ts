// Scores of sample (ensemble) forecasts of vectors: the energy score E||X - y|| - 1/2 E||X - X'|| (Gneiting &
// Raftery 2007; for d = 1 it is the CRPS), and the quantile loss of the samples' empirical quantiles normalised by
// sum |y| (the q-mean loss of the stochastic-process-diffusion paper's neural-process benchmark).
import { Tensor, TensorfieldError } from '../tensor';

function rows(x: Tensor | ArrayLike<number>[], fn: string, what: string): Float64Array[] {
  const out: Float64Array[] = [];
  if (x instanceof Tensor) {
    if (x.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} must be 2-D, got [${x.shape.join(', ')}]`);
    const [r, c] = x.shape, all = Float64Array.from(x.dataSync() as ArrayLike<number>);
    for (let i = 0; i < r; i++) out.push(all.subarray(i * c, (i + 1) * c));
  } else if (Array.isArray(x)) {
    for (const v of x) out.push(Float64Array.from(v));
  } else throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be a 2-D Tensor or an array of rows`);
  for (const r of out) for (const v of r) if (!Number.isFinite(v)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} has a non-finite value (${v})`);
  return out;
}

function dist(a: Float64Array, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; s += d * d; }
  return Math.sqrt(s);
}

/**
 * Energy score of members [m, d] (m draws of a d-vector) at the observation y [d]: the O(m^2) definition; `fair`
 * divides the spread by m(m - 1) (unbiased for the distribution the members come from).
 */
export function energyScore(members: Tensor | ArrayLike<number>[], y: ArrayLike<number>, opts: { fair?: boolean } = {}): number {
  const fn = 'energyScore';
  const x = rows(members, fn, 'members');
  const m = x.length;
  if (m < (opts.fair ? 2 : 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need at least ${opts.fair ? 2 : 1} members, got ${m}`);
  const d = x[0].length;
  if (y.length !== d || x.some((r) => r.length !== d)) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: members and the observation must all have length ${y.length}`);
  for (let i = 0; i < d; i++) if (!Number.isFinite(y[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the observation has a non-finite value`);
  let e1 = 0, spread = 0;
  for (let i = 0; i < m; i++) {
    e1 += dist(x[i], y);
    for (let j = i + 1; j < m; j++) spread += 2 * dist(x[i], x[j]);
  }
  return e1 / m - 0.5 * spread / (opts.fair ? m * (m - 1) : m * m);
}

/** The q-quantile of sorted values, linearly interpolated between order statistics (numpy's default). */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'sortedQuantile: no values');
  if (!(q >= 0 && q <= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `sortedQuantile: level ${q} is not in [0, 1]`);
  const h = (n - 1) * q, lo = Math.floor(h), hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The levels 0.1, 0.2, ..., 0.9 the benchmark averages over. */
export const DECILES: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * mean over levels q of 2 sum_i |(F_q,i - y_i)(1{y_i <= F_q,i} - q)| / sum_i |y_i|, with F_q,i the q-quantile of
 * point i's samples: samples [n points, m draws], y [n].
 */
export function normalizedQuantileLoss(samples: Tensor | ArrayLike<number>[], y: ArrayLike<number>, levels: readonly number[] = DECILES): number {
  const fn = 'normalizedQuantileLoss';
  const x = rows(samples, fn, 'samples');
  if (x.length !== y.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${x.length} sample rows for ${y.length} observations`);
  let num = 0, den = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(y[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: observation ${i} is not finite`);
    const s = Float64Array.from(x[i]).sort();
    for (const q of levels) {
      const f = sortedQuantile(s, q);
      num += 2 * Math.abs((f - y[i]) * ((y[i] <= f ? 1 : 0) - q));
    }
    den += Math.abs(y[i]);
  }
  if (!(den > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the observations are all zero (the normaliser sum |y| is 0)`);
  return num / levels.length / den;
}
