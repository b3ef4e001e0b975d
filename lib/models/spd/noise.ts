// The noise processes of stochastic process diffusion (Biloš et al., ICML 2023; digest B §4.1): the diffusion's
// Gaussian noise is a draw of a stochastic process over each series' own time stamps, L eps with L the Cholesky
// factor of the process covariance, instead of white noise. Times are normalised to each window ([0, 1]) before
// the covariance is built: the official forecasting code builds its GP on integer indices with sigma = 0.05, where
// exp(-(1/0.05)^2) ~ 0 makes the "GP" noise white.
import { Tensor, TensorfieldError, eye } from '../../tensor';
import { randn } from '../../random';
import { cat } from '../../ops';
import { cholesky, choleskySolve, ouKernel, rbfKernel, solveTriangular } from '../../linalg';

export type NoiseKind = 'gp' | 'ou' | 'white';

export interface NoiseOptions {
  kind: NoiseKind;
  /** GP: Sigma_ij = exp(-((t_i - t_j) / sigma)^2) (the code's form: no 1/2) */
  sigma?: number;
  /** OU: Sigma_ij = exp(-theta |t_i - t_j|) */
  theta?: number;
  /** added to the diagonal (the code's 1e-4) */
  jitter?: number;
}

function checkTimes(t: Tensor, fn: string): void {
  if (!(t instanceof Tensor) || t.ndim < 1) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: times must be a tensor [..., N]`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new TensorfieldError('TF_DTYPE', `${fn}: times must be float, got ${t.dtype}`);
}

/** Each series' times mapped to [0, 1] over its own window: (t - min) / (max - min) along the last dim. */
export function normalizeTimes(t: Tensor): Tensor {
  checkTimes(t, 'normalizeTimes');
  const lo = t.amin(-1, true), hi = t.amax(-1, true);
  const span = hi.sub(lo);
  if ((span.min().item() as number) <= 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'normalizeTimes: a series has all its times equal (an empty window)');
  return t.sub(lo).div(span);
}

export class NoiseProcess {
  readonly kind: NoiseKind;
  readonly sigma: number;
  readonly theta: number;
  readonly jitter: number;
  constructor(o: NoiseOptions) {
    if (o.kind !== 'gp' && o.kind !== 'ou' && o.kind !== 'white') throw new TensorfieldError('TF_INVALID_ARGUMENT', `NoiseProcess: kind must be gp, ou or white, got ${JSON.stringify(o.kind)}`);
    this.kind = o.kind;
    this.sigma = o.sigma ?? 0.2;
    this.theta = o.theta ?? 2;
    this.jitter = o.jitter ?? 1e-4;
    for (const [k, v] of [['sigma', this.sigma], ['theta', this.theta]] as const)
      if (!(v > 0 && Number.isFinite(v))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `NoiseProcess: ${k} must be a finite number > 0, got ${v}`);
    if (!(this.jitter >= 0 && Number.isFinite(this.jitter))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `NoiseProcess: jitter must be >= 0, got ${this.jitter}`);
  }

  /** Sigma [..., N, N] over times t [..., N] (already normalised), jitter on the diagonal. */
  covariance(t: Tensor): Tensor {
    checkTimes(t, 'NoiseProcess.covariance');
    const N = t.shape[t.ndim - 1];
    const I = eye(N, N, { dtype: t.dtype as 'float32' | 'float64', device: t.device as never });
    if (this.kind === 'white') return I.expand([...t.shape.slice(0, -1), N, N]).contiguous();
    // the times as rows of one value, so batched series each get their own matrix
    const r = t.unsqueeze(-1);
    const k = this.kind === 'gp'
      ? rbfKernel(r, r, { lengthscale: this.sigma / Math.SQRT2 })  // exp(-d^2 / (2 l^2)) = exp(-(d / sigma)^2)
      : ouKernel(r, r, { lengthscale: 1 / this.theta });
    return k.add(I.mul(this.jitter));
  }

  /** L with Sigma = L L^T, [..., N, N]. */
  factor(t: Tensor): Tensor { return cholesky(this.covariance(t)); }

  /** L eps for eps ~ N(0, I): one draw per series (and per channel when `channels` is given: [..., N, C]). */
  sample(t: Tensor, channels?: number, L?: Tensor): Tensor {
    const f = L ?? this.factor(t);
    const eps = randn(channels === undefined ? [...t.shape, 1] : [...t.shape, channels], { dtype: t.dtype as 'float32' | 'float64' });
    const z = f.matmul(eps.to(t.device as never));
    return channels === undefined ? z.squeeze([-1]) : z;
  }

  /**
   * OU draws in O(N) for increasing times (t [..., N]): x_0 = z_0, x_i = c_i x_(i-1) + sqrt(1 - c_i^2) z_i with
   * c_i = exp(-theta (t_i - t_(i-1))). Without the jitter, so its covariance is Sigma - jitter I.
   */
  sampleSequential(t: Tensor): Tensor {
    if (this.kind !== 'ou') throw new TensorfieldError('TF_INVALID_ARGUMENT', `sampleSequential is the OU process's sampler; this process is '${this.kind}'`);
    checkTimes(t, 'sampleSequential');
    const N = t.shape[t.ndim - 1];
    const dt = t.narrow(-1, 1, N - 1).sub(t.narrow(-1, 0, N - 1));
    if ((dt.min().item() as number) < 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'sampleSequential: times must be increasing along the last dim');
    const c = dt.mul(-this.theta).exp(), s = c.square().neg().add(1).sqrt();
    const z = randn(t.shape, { dtype: t.dtype as 'float32' | 'float64' });
    const xs: Tensor[] = [z.narrow(-1, 0, 1)];
    for (let i = 1; i < N; i++) xs.push(c.narrow(-1, i - 1, 1).mul(xs[i - 1]).add(s.narrow(-1, i - 1, 1).mul(z.narrow(-1, i, 1))));
    return cat(xs, -1);
  }
}

/**
 * The score of N(mu, std^2 Sigma) at x, -Sigma^-1 (x - mu) / std^2, from Sigma's factor L (two triangular solves).
 * x, mu [..., N] (or [..., N, C]); L [..., N, N].
 */
export function gaussianScore(x: Tensor, mu: Tensor, std: number, L: Tensor): Tensor {
  const r = x.sub(mu);
  const col = r.ndim === L.ndim - 1;
  const y = choleskySolve(col ? r.unsqueeze(-1) : r, L);
  const s = y.mul(-1 / (std * std));
  return col ? s.squeeze([-1]) : s;
}

/**
 * The score from a predicted standard noise eps_hat (x = mu + std L eps): -L^-T eps_hat / std, one triangular
 * solve (the code's CSPD score).
 */
export function scoreFromEps(epsHat: Tensor, std: number, L: Tensor): Tensor {
  const col = epsHat.ndim === L.ndim - 1;
  const y = solveTriangular(L.transpose(-2, -1), col ? epsHat.unsqueeze(-1) : epsHat, { upper: true });
  const s = y.mul(-1 / std);
  return col ? s.squeeze([-1]) : s;
}
