// The exact denoiser for Gaussian data: if x_0 ~ N(0, K) and x = a x_0 + b L eps (Sigma = L L^T), then x ~ N(0, C)
// with C = a^2 K + b^2 Sigma, and the posterior means of the noise are E[eps | x] = b L^T C^-1 x and
// E[L eps | x] = b Sigma C^-1 x. It is the network a perfect training would find, so a sampler driven by it must
// reproduce K (up to its discretisation) and a likelihood computed with it must match log N(x_0; 0, K).
import { Tensor, tensor } from '../../tensor';
import { cholesky, choleskySolve } from '../../linalg';
import type { EpsFn, EpsTarget } from './dspd';
import type { DspdSchedule } from './schedule';
import { cspdMarginal } from './schedule';

/** (a, b) of x = a x_0 + b L eps for the network's time input (a step index or a diffusion time). */
export type Coefficients = (time: number) => { mean: number; std: number };

export const dspdCoefficients = (s: DspdSchedule): Coefficients => (k) => ({ mean: Math.sqrt(s.alphaBar[k]), std: Math.sqrt(1 - s.alphaBar[k]) });
export const cspdCoefficients: Coefficients = (t) => cspdMarginal(t);

/** The oracle EpsFn for data covariances K [B, N, N] and noise factors L [B, N, N] (per-item times allowed). */
export function gaussianOracle(K: Tensor, L: Tensor, coef: Coefficients, target: EpsTarget = 'gaussian'): EpsFn {
  const Sigma = L.matmul(L.transpose(-2, -1));
  return (x: Tensor, time: Tensor): Tensor => {
    const ts = time.dataSync() as ArrayLike<number>;
    const B = x.shape[0];
    const a2 = new Float64Array(B), b2 = new Float64Array(B), b = new Float64Array(B);
    for (let i = 0; i < B; i++) { const c = coef(ts[i]); a2[i] = c.mean * c.mean; b2[i] = c.std * c.std; b[i] = c.std; }
    const dt = { dtype: x.dtype as 'float32' | 'float64' };
    const C = K.mul(tensor(a2, { ...dt, shape: [B, 1, 1] })).add(Sigma.mul(tensor(b2, { ...dt, shape: [B, 1, 1] })));
    const w = choleskySolve(x.unsqueeze(-1), cholesky(C));  // C^-1 x
    const m = (target === 'gaussian' ? L.transpose(-2, -1) : Sigma).matmul(w).squeeze([-1]);
    return m.mul(tensor(b, { ...dt, shape: [B, 1] }));
  };
}
