// Scores of probabilistic forecasts: CRPS of an ensemble (two estimators) and of a Gaussian in closed form,
// and the quantile (pinball) loss.
import { Tensor, TensorfieldError } from '../tensor';
// The normal's special functions live in lib/special (shared with the noise-level partitions); re-exported here
// for the metrics' public surface.
import { normalCdf, normalPdf } from '../special/normal';
export { erf, normalCdf, normalPdf } from '../special/normal';

// Math functions bound once at module scope: inside a vm context (jest's test sandbox, for one) every lookup of a
// global such as Math goes through the context's interceptors, which made the O(n²) loops here ~40x slower.
const { abs } = Math;

function values(x: Tensor | ArrayLike<number>, fn: string, what: string): Float64Array {
  const v = Float64Array.from((x instanceof Tensor ? x.dataSync() : x) as ArrayLike<number>);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} has a non-finite value (${v[i]}) at ${i}`);
  }
  return v;
}


/** CRPS of N(mu, sigma²) at y: sigma [z(2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)], z = (y - mu)/sigma (Gneiting et al. 2005). */
export function crpsGaussian(mu: number, sigma: number, y: number): number {
  if (!(sigma > 0 && Number.isFinite(sigma)) || !Number.isFinite(mu) || !Number.isFinite(y)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `crpsGaussian: need finite mu, y and sigma > 0, got mu ${mu}, sigma ${sigma}, y ${y}`);
  }
  const z = (y - mu) / sigma;
  return sigma * (z * (2 * normalCdf(z) - 1) + 2 * normalPdf(z) - 1 / Math.sqrt(Math.PI));
}

export interface CrpsOptions {
  /**
   * 'sorted' (default): O(m log m), E|X - X'| from the order statistics as (2/m²) Σ_i (2i - m - 1) x_(i).
   * 'pairwise': the O(m²) definition, the reference for the sorted form.
   */
  method?: 'sorted' | 'pairwise';
  /**
   * Divide the spread term by m(m - 1) instead of m² (the "fair" CRPS of Ferro 2014): unbiased for the CRPS
   * of the distribution the members are drawn from, where the default is the CRPS of the ensemble's own
   * empirical distribution.
   */
  fair?: boolean;
}

function crpsOne(x: Float64Array, y: number, method: 'sorted' | 'pairwise', fair: boolean): number {
  const m = x.length;
  let e1 = 0;
  for (let i = 0; i < m; i++) e1 += abs(x[i] - y);
  e1 /= m;
  let spread = 0;  // Σ_i Σ_j |x_i - x_j|
  if (method === 'pairwise') {
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) spread += abs(x[i] - x[j]);
  } else {
    const s = Float64Array.from(x).sort();
    for (let i = 0; i < m; i++) spread += 2 * (2 * (i + 1) - m - 1) * s[i];
  }
  const denom = fair ? m * (m - 1) : m * m;
  return e1 - 0.5 * spread / denom;
}

function crpsArgs(o: CrpsOptions, m: number, fn: string): ['sorted' | 'pairwise', boolean] {
  const method = o.method ?? 'sorted';
  if (method !== 'sorted' && method !== 'pairwise') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: method must be 'sorted' or 'pairwise', got '${method}'`);
  const fair = o.fair ?? false;
  if (m < (fair ? 2 : 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need at least ${fair ? 2 : 1} ensemble members, got ${m}`);
  return [method, fair];
}

/** CRPS of one ensemble forecast (members, 1-D) at the observation y: E|X - y| - ½ E|X - X'|. */
export function crpsEnsemble(members: Tensor | ArrayLike<number>, y: number, opts: CrpsOptions = {}): number {
  const fn = 'crpsEnsemble';
  const x = values(members, fn, 'members');
  if (!Number.isFinite(y)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: observation ${y} is not finite`);
  const [method, fair] = crpsArgs(opts, x.length, fn);
  return crpsOne(x, y, method, fair);
}

/** Mean CRPS over n forecasts: ensembles [n, m] (a Tensor or rows) against observations [n]. */
export function meanCrps(ensembles: Tensor | ArrayLike<number>[], observations: Tensor | ArrayLike<number>, opts: CrpsOptions = {}): number {
  const fn = 'meanCrps';
  let rows: Float64Array[];
  if (ensembles instanceof Tensor) {
    if (ensembles.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ensembles must be [n, members], got [${ensembles.shape.join(', ')}]`);
    const [n, m] = ensembles.shape;
    const all = values(ensembles, fn, 'ensembles');
    rows = Array.from({ length: n }, (_, i) => all.subarray(i * m, (i + 1) * m));
  } else if (Array.isArray(ensembles)) {
    rows = ensembles.map((r, i) => values(r, fn, `ensemble ${i}`));
  } else {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ensembles must be a Tensor [n, members] or an array of rows`);
  }
  const y = values(observations, fn, 'observations');
  if (y.length !== rows.length) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${rows.length} ensembles but ${y.length} observations`);
  if (rows.length === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no forecasts`);
  let s = 0;
  rows.forEach((r, i) => {
    const [method, fair] = crpsArgs(opts, r.length, fn);
    s += crpsOne(r, y[i], method, fair);
  });
  return s / rows.length;
}

/**
 * Mean quantile (pinball) loss: predictions [n, K] at levels taus [K] (or [n] with one level) against
 * observations [n]; per element max(tau (y - q), (tau - 1)(y - q)). Its expectation is minimised by the true
 * tau-quantile, and averaged over many levels it approximates ½ CRPS.
 */
export function quantileLoss(predictions: Tensor | ArrayLike<number>, observations: Tensor | ArrayLike<number>, taus: number | ArrayLike<number>): number {
  const fn = 'quantileLoss';
  const q = values(predictions, fn, 'predictions'), y = values(observations, fn, 'observations');
  const t = typeof taus === 'number' ? Float64Array.of(taus) : values(taus, fn, 'taus');
  for (const v of t) if (!(v > 0 && v < 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: quantile level ${v} is not in (0, 1)`);
  const n = y.length, K = t.length;
  if (n === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no observations`);
  if (q.length !== n * K) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: ${q.length} predictions for ${n} observations x ${K} levels`);
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < K; k++) {
      const u = y[i] - q[i * K + k];
      s += Math.max(t[k] * u, (t[k] - 1) * u);
    }
  }
  return s / (n * K);
}
