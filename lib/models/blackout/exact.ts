// The exact ("oracle") rate for a data set of finitely many images, used to test the samplers without training:
// y*(n_t) = E[n_0 - n_t | n_t] = sum_j w_j (x_j - n_t), with posterior weights w_j proportional to
// prod_d Binomial(n_td; x_jd, p_t) (uniform prior over the images; zero when some n_td > x_jd). The bridge never
// leaves the states some image can reach; tau-leaping can overshoot, and for such a state (no image consistent)
// the weights instead penalise each unit of excess by a factor e^-50 (the nearest images win) and the rate is
// sum_j w_j max(x_j - n_t, 0), so that the tau-leaping comparison can run to the end.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import type { RateFn } from './sample';

function logFactorials(m: number): Float64Array {
  const lf = new Float64Array(m + 1);
  for (let i = 1; i <= m; i++) lf[i] = lf[i - 1] + Math.log(i);
  return lf;
}

/** images: [K, ...itemShape] integer counts (any dtype). Returns a RateFn for states of that item shape. */
export function oracleRate(images: Tensor): RateFn {
  const K = images.shape[0], D = images.numel() / K;
  const x = Float64Array.from(images.dataSync());
  let maxCount = 0;
  for (const v of x) {
    if (!(v >= 0 && Number.isInteger(v))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `oracleRate: images must hold non-negative integer counts, got ${v}`);
    maxCount = Math.max(maxCount, v);
  }
  const lf = logFactorials(maxCount);
  return (nt: Tensor, _k: number, p: number) => {
    if (nt.numel() % D !== 0 || nt.shape.slice(1).reduce((a, b) => a * b, 1) !== D) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `oracleRate: state [${nt.shape}] does not hold items of ${D} elements`);
    }
    const B = nt.shape[0], n = nt.dataSync(), out = new Float32Array(B * D);
    const lp = Math.log(p), lq = Math.log1p(-p), ll = new Float64Array(K);
    const logLik = (b: number, j: number, penalty: boolean): number => {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const c = n[b * D + d], m = x[j * D + d];
        if (c > m) {
          if (!penalty) return -Infinity;
          s -= 50 * (c - m);
          continue;
        }
        // log C(m, c) + c log p + (m - c) log(1 - p); 0 * log 0 terms are 0 (p = 1 or p = 0 exactly)
        s += lf[m] - lf[c] - lf[m - c] + (c > 0 ? c * lp : 0) + (m - c > 0 ? (m - c) * lq : 0);
      }
      return s;
    };
    for (let b = 0; b < B; b++) {
      let best = -Infinity;
      for (let j = 0; j < K; j++) best = Math.max(best, (ll[j] = logLik(b, j, false)));
      const reachable = best > -Infinity;
      if (!reachable) for (let j = 0; j < K; j++) best = Math.max(best, (ll[j] = logLik(b, j, true)));
      let z = 0;
      for (let j = 0; j < K; j++) z += Math.exp(ll[j] - best);
      for (let d = 0; d < D; d++) {
        let y = 0;
        for (let j = 0; j < K; j++) {
          const gap = x[j * D + d] - n[b * D + d];
          y += (Math.exp(ll[j] - best) / z) * (reachable ? gap : Math.max(gap, 0));
        }
        out[b * D + d] = y;
      }
    }
    return tensor(out, { shape: nt.shape });
  };
}
