// The gauge condition in any dimension (digest B §2.2): a field r added to the score leaves the marginals alone iff
// div(p_t r) = 0, i.e. (where p_t > 0) div r + r . grad log p_t = 0. The divergence is exact (D forward-mode JVPs,
// func.divergence) or a Hutchinson estimate (Rademacher probes, one JVP each), which is what makes the check
// affordable in high dimension; the probes' spread gives a per-point standard error, so a residual can be judged
// against its own Monte Carlo noise.
import { Tensor, TensorfieldError } from '../../tensor';
import { tidy, keep } from '../../scope';
import { divergence } from '../../func';

export interface GaugeConditionOptions {
  /** 'exact' (default; D JVPs) or 'hutchinson'. */
  method?: 'exact' | 'hutchinson';
  /** Hutchinson probes per point (default 32; at least 2, for the standard error). */
  probes?: number;
}

export interface GaugeConditionResult {
  /** div(p r) / p = div r + r . grad log p at each row of x, [n]. */
  residual: Tensor;
  /** Hutchinson only: the standard error of each row's estimate (the probes' standard deviation / sqrt(probes)). */
  stderr?: Tensor;
}

/**
 * The gauge residual div(p r) / p at points x [n, D], for a field r and the score grad log p (both [n, D] -> [n, D]).
 * Divided by p because p_t spans many orders of magnitude in D dimensions while the condition is the same wherever
 * p > 0; multiply by p for div(p r) itself. The score term is evaluated once; only div r is estimated.
 */
export function gaugeCondition(r: (x: Tensor) => Tensor, score: (x: Tensor) => Tensor, x: Tensor, o: GaugeConditionOptions = {}): GaugeConditionResult {
  const method = o.method ?? 'exact';
  if (x.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `gaugeCondition: expected points [n, D], got [${x.shape}]`);
  if (method !== 'exact' && method !== 'hutchinson') throw new TensorfieldError('TF_INVALID_ARGUMENT', `gaugeCondition: method must be 'exact' or 'hutchinson', got '${String(method)}'`);
  const transport = tidy(() => r(x).mul(score(x)).sum(1));  // r . grad log p
  if (method === 'exact') {
    const residual = tidy(() => divergence(r, x, { method: 'exact' }).add(transport));
    transport.dispose();
    return { residual };
  }
  const probes = o.probes ?? 32;
  if (!Number.isInteger(probes) || probes < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `gaugeCondition: probes must be an integer >= 2, got ${probes}`);
  // one single-probe estimate at a time, so the per-point spread is available (func.divergence averages its probes)
  let sum = tidy(() => x.sum(1).mul(0)), sumSq = tidy(() => x.sum(1).mul(0));
  for (let k = 0; k < probes; k++) {
    const [s1, s2] = tidy(() => {
      const est = divergence(r, x, { method: 'hutchinson', probes: 1 });
      return [sum.add(est), sumSq.add(est.square())];
    });
    sum.dispose(); sumSq.dispose();
    sum = keep(s1); sumSq = keep(s2);
  }
  const out = tidy(() => {
    const mean = sum.div(probes);
    // unbiased sample variance of one probe, then of the mean
    const varOne = sumSq.sub(mean.square().mul(probes)).div(probes - 1).clamp(0, Infinity);
    return [mean.add(transport), varOne.div(probes).sqrt()];
  });
  sum.dispose(); sumSq.dispose(); transport.dispose();
  return { residual: out[0], stderr: out[1] };
}
