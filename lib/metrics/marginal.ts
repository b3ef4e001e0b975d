// An unconditional generator of series scored as a probabilistic forecast of each held-out series, one coordinate
// (time point) at a time: the n generated values at coordinate j are the ensemble, every held-out series' value at j
// an observation. Reported: the mean CRPS (the empirical-ensemble estimator E|X - y| - 1/2 E|X - X'| of
// forecast.ts's meanCrps) and the mean pinball loss at the given levels (the sample quantiles as numpy's default).
// Each coordinate's samples are sorted once, so the k x P scores cost O(log n) each (prefix sums and a binary search)
// instead of a pass over the samples.
import { Tensor, TensorfieldError } from '../tensor';
import { DECILES, sortedQuantile } from './ensemble-scores';

// bound once at module scope: inside a vm context (jest's sandbox) every global lookup of Math is slow (forecast.ts)
const { max } = Math;

export interface MarginalScores { crps: number; pinball: number; observations: number }

function matrix(x: Tensor, fn: string, what: string): { v: Float64Array; r: number; c: number } {
  if (!(x instanceof Tensor) || x.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${what} must be a 2-D tensor [items, points], got ${x instanceof Tensor ? `[${x.shape.join(', ')}]` : typeof x}`);
  const v = Float64Array.from(x.dataSync() as ArrayLike<number>);
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} has a non-finite value at ${i}`);
  return { v, r: x.shape[0], c: x.shape[1] };
}

/** Marginal CRPS and pinball loss of samples [n, P] against held-out series real [k, P]. */
export function marginalScores(samples: Tensor, real: Tensor, levels: readonly number[] = DECILES): MarginalScores {
  const fn = 'marginalScores';
  const s = matrix(samples, fn, 'samples'), y = matrix(real, fn, 'real');
  if (s.c !== y.c) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: samples have ${s.c} points, real series ${y.c}`);
  if (s.r < 1 || y.r < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need at least one sample and one real series`);
  for (const q of levels) if (!(q > 0 && q < 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: quantile level ${q} is not in (0, 1)`);
  const n = s.r, P = s.c;
  const col = new Float64Array(n), pre = new Float64Array(n + 1);
  let crps = 0, pin = 0;
  for (let j = 0; j < P; j++) {
    for (let i = 0; i < n; i++) col[i] = s.v[i * P + j];
    col.sort();
    let spread = 0;  // E|X - X'| over the n^2 ordered pairs: (2 / n^2) sum_i (2i - n - 1) x_(i), i from 1
    for (let i = 0; i < n; i++) { pre[i + 1] = pre[i] + col[i]; spread += (2 * (i + 1) - n - 1) * col[i]; }
    spread *= 2 / (n * n);
    const qs = levels.map((q) => sortedQuantile(col, q));
    for (let r = 0; r < y.r; r++) {
      const v = y.v[r * P + j];
      // c = #{x < v}
      let lo = 0, hi = n;
      while (lo < hi) { const mid = (lo + hi) >> 1; if (col[mid] < v) lo = mid + 1; else hi = mid; }
      const below = v * lo - pre[lo], above = (pre[n] - pre[lo]) - v * (n - lo);
      crps += (below + above) / n - 0.5 * spread;
      for (let k = 0; k < levels.length; k++) { const u = v - qs[k]; pin += max(levels[k] * u, (levels[k] - 1) * u); }
    }
  }
  const obs = y.r * P;
  return { crps: crps / obs, pinball: pin / (obs * levels.length), observations: obs };
}
