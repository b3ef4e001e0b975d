// DSPD, the discrete-time diffusion with correlated noise (digest B §4.2): x_k = sqrt(abar_k) x_0 + sqrt(1 - abar_k) L eps
// with L the noise process's factor over each series' own times. The network predicts either the standard eps
// ('gaussian', the code's predict_gaussian_noise) or the correlated noise L eps ('correlated'): a network that treats
// points independently (the neural-process model) cannot apply L^-1, so it predicts L eps.
// Series are [B, N] with factors L [B, N, N]; padded points carry identity rows in L and a 0 in the mask.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { randint, randn } from '../../random';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { solveTriangular, choleskyLogdet } from '../../linalg';
import type { DspdSchedule } from './schedule';

export type EpsTarget = 'gaussian' | 'correlated';
/** The denoiser: noisy series x [B, N] and step indices k [B] (0-based floats, step k + 1) -> predicted noise [B, N]. */
export type EpsFn = (x: Tensor, k: Tensor) => Tensor;

export function checkSeries(x: Tensor, L: Tensor, fn: string): void {
  if (!(x instanceof Tensor) || x.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: series must be [B, N], got ${x instanceof Tensor ? `[${x.shape}]` : typeof x}`);
  const [B, N] = x.shape;
  if (!(L instanceof Tensor) || L.ndim !== 3 || L.shape[0] !== B || L.shape[1] !== N || L.shape[2] !== N) {
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: factors must be [${B}, ${N}, ${N}] for series [${B}, ${N}], got ${L instanceof Tensor ? `[${L.shape}]` : typeof L}`);
  }
}

/** L eps for eps [B, N]. */
export function correlate(L: Tensor, eps: Tensor): Tensor { return L.matmul(eps.unsqueeze(-1)).squeeze([-1]); }
/** L^-1 r for r [B, N]. */
export function whiten(L: Tensor, r: Tensor): Tensor { return solveTriangular(L, r.unsqueeze(-1), { upper: false }).squeeze([-1]); }

function col(v: ArrayLike<number>, like: Tensor): Tensor {
  return tensor(Float64Array.from(v), { dtype: like.dtype as 'float32' | 'float64', shape: [v.length, 1] });
}

export interface DspdLossOptions { target?: EpsTarget; mask?: Tensor; k?: ArrayLike<number> }

/** The denoising loss mean ||eps_theta(x_k, k) - target||^2 over the (masked) points, k uniform over the N steps. */
export function dspdLoss(net: EpsFn, x0: Tensor, L: Tensor, s: DspdSchedule, o: DspdLossOptions = {}): Tensor {
  checkSeries(x0, L, 'dspdLoss');
  const B = x0.shape[0];
  const k = o.k ?? randint(0, s.N, [B], { dtype: 'int32' }).dataSync();
  const ab = Array.from(k, (i) => s.alphaBar[i]);
  const eps = randn(x0.shape, { dtype: x0.dtype as 'float32' });
  const noise = correlate(L, eps);
  const xk = x0.mul(col(ab.map(Math.sqrt), x0)).add(noise.mul(col(ab.map((a) => Math.sqrt(1 - a)), x0)));
  const pred = net(xk, tensor(Float64Array.from(k), { dtype: x0.dtype as 'float32' }));
  const err = pred.sub((o.target ?? 'gaussian') === 'gaussian' ? eps : noise).square();
  if (!o.mask) return err.mean();
  return err.mul(o.mask).sum().div(o.mask.sum());
}

/** The predicted correlated noise L eps_hat at step index k. */
function correlated(net: EpsFn, x: Tensor, k: number, L: Tensor, target: EpsTarget): Tensor {
  const e = net(x, tensor(new Float64Array(x.shape[0]).fill(k), { dtype: x.dtype as 'float32' }));
  return target === 'gaussian' ? correlate(L, e) : e;
}

/** The reverse mean (x_k - beta_k L eps_hat / sqrt(1 - abar_k)) / sqrt(1 - beta_k) at step index k. */
function reverseMean(net: EpsFn, x: Tensor, k: number, L: Tensor, s: DspdSchedule, target: EpsTarget): Tensor {
  const e = correlated(net, x, k, L, target);
  return x.sub(e.mul(s.beta[k] / Math.sqrt(1 - s.alphaBar[k]))).div(Math.sqrt(1 - s.beta[k]));
}

export interface DspdSampleOptions { target?: EpsTarget; /** start from this x_N (default L eps) */ xN?: Tensor }

/**
 * Ancestral sampling from x_N = L eps: x_(k-1) = mean + sqrt(beta_k) L z (the sigma_k^2 = beta_k choice), no noise
 * on the last step. Without gradients; memory is one step's tensors.
 */
export function sampleDspd(net: EpsFn, L: Tensor, s: DspdSchedule, o: DspdSampleOptions = {}): Tensor {
  const [B, N] = [L.shape[0], L.shape[1]];
  return noGrad(() => {
    let x = o.xN ?? tidy(() => correlate(L, randn([B, N], { dtype: L.dtype as 'float32' })));
    for (let k = s.N - 1; k >= 0; k--) {
      const next = tidy(() => {
        const m = reverseMean(net, x, k, L, s, o.target ?? 'gaussian');
        return k > 0 ? m.add(correlate(L, randn([B, N], { dtype: L.dtype as 'float32' })).mul(Math.sqrt(s.beta[k]))) : m;
      });
      if (x !== o.xN) x.dispose();  // never the caller's tensor
      x = next;
    }
    return x;
  });
}

/** ||L^-1 r||^2 per series: r^T Sigma^-1 r. */
function mahalanobis(L: Tensor, r: Tensor): Float64Array { return Float64Array.from(whiten(L, r).square().sum(-1).dataSync() as ArrayLike<number>); }

/**
 * The evidence lower bound on log p(x_0) (nats per series), with every step's KL in closed form (one draw of x_k per
 * step) and a Gaussian decoder p(x_0 | x_1) = N(mean, beta_1 Sigma):
 *   ELBO = -KL(q(x_N|x_0) || N(0, Sigma)) - sum_{k>=2} KL(q(x_(k-1)|x_k,x_0) || p(x_(k-1)|x_k)) + log p(x_0|x_1).
 * All the Gaussians share Sigma, so each KL is (n/2)(ratio - 1 - log ratio) plus a Mahalanobis term in Sigma^-1.
 */
export function dspdElbo(net: EpsFn, x0: Tensor, L: Tensor, s: DspdSchedule, target: EpsTarget = 'gaussian'): Float64Array {
  checkSeries(x0, L, 'dspdElbo');
  const [B, n] = x0.shape;
  const logdet = Float64Array.from(choleskyLogdet(L).dataSync() as ArrayLike<number>);
  const elbo = new Float64Array(B);
  noGrad(() => tidy(() => {
    const aN = s.alphaBar[s.N - 1];
    const prior = mahalanobis(L, x0);
    for (let b = 0; b < B; b++) elbo[b] -= 0.5 * (n * (1 - aN) + aN * prior[b] - n - n * Math.log(1 - aN));
    for (let k = 0; k < s.N; k++) {
      tidy(() => {
        const a = s.alphaBar[k], beta = s.beta[k];
        const xk = x0.mul(Math.sqrt(a)).add(correlate(L, randn([B, n], { dtype: x0.dtype as 'float32' })).mul(Math.sqrt(1 - a)));
        const m = reverseMean(net, xk, k, L, s, target);
        if (k === 0) {
          const d = mahalanobis(L, x0.sub(m));
          for (let b = 0; b < B; b++) elbo[b] -= 0.5 * (d[b] / beta + n * Math.log(2 * Math.PI * beta) + logdet[b]);
          return;
        }
        const aPrev = s.alphaBar[k - 1];
        // the forward posterior q(x_(k-1) | x_k, x_0) = N(c0 x_0 + ck x_k, betaTilde Sigma)
        const c0 = Math.sqrt(aPrev) * beta / (1 - a), ck = Math.sqrt(1 - beta) * (1 - aPrev) / (1 - a);
        const ratio = (1 - aPrev) / (1 - a);  // betaTilde / beta
        const d = mahalanobis(L, x0.mul(c0).add(xk.mul(ck)).sub(m));
        for (let b = 0; b < B; b++) elbo[b] -= 0.5 * (n * ratio + d[b] / beta - n - n * Math.log(ratio));
      });
    }
  }));
  return elbo;
}
