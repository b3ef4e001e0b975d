// Exact fields of a stochastic interpolant between two Gaussian mixtures (independent coupling): the oracles
// for the objectives, samplers and likelihoods.
//
// Derivation. Let rho0 = sum_i p_i N(mu0_i, diag S0_i), rho1 = sum_k q_k N(mu1_k, diag S1_k), x0, x1, z
// independent, x_t = alpha x0 + beta x1 + gamma z. Conditioned on the pair of components c = (i, k), x_t is a
// linear function of independent Gaussians, hence Gaussian with
//   m_c = alpha mu0_i + beta mu1_k,     Sigma_c = alpha² S0_i + beta² S1_k + gamma² I   (diagonal),
// so rho_t = sum_c p_i q_k N(m_c, Sigma_c) and the posterior of the pair is w_c(x) ∝ p_i q_k N(x; m_c, Sigma_c).
// Within a pair, (x0, x1, z, x_t) are jointly Gaussian, and E[u | x_t = x, c] = E[u | c] + Cov(u, x_t | c)
// Sigma_c^{-1} (x - m_c) gives, per coordinate,
//   E[x0 | x, c] = mu0_i + alpha S0_i / Sigma_c (x - m_c)
//   E[x1 | x, c] = mu1_k + beta  S1_k / Sigma_c (x - m_c)
//   E[z  | x, c] =         gamma      / Sigma_c (x - m_c).
// Averaging over c with w_c(x) (tower property):
//   v(t, x)   = E[alpha' x0 + beta' x1 | x] = sum_c w_c [m_c' + (alpha alpha' S0_i + beta beta' S1_k) / Sigma_c (x - m_c)]
//   eta(t, x) = E[z | x]                    = gamma sum_c w_c (x - m_c) / Sigma_c
//               (one-sided: E[x0 | x]     = alpha sum_c w_c (x - m_c) / Sigma_c, the base noise's denoiser)
//   b(t, x)   = v + gamma' eta              = sum_c w_c [m_c' + (Sigma_c'/2) / Sigma_c (x - m_c)],
//               Sigma_c'/2 = alpha alpha' S0_i + beta beta' S1_k + gamma gamma'
//   s(t, x)   = grad log rho_t = -sum_c w_c (x - m_c) / Sigma_c = -eta / gamma.
// b is written with the finite product gamma gamma', so it is defined at t in {0, 1} even where gamma' is not.
// The fields are built from engine ops so forward-mode AD (func.divergence) differentiates them.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { GaussianMixture } from '../../data/gmm';
import { keep } from '../../scope';
import { coefColumns, floatDtype, timesOf } from './coeffs';
import type { Interpolant } from './schedules';

export interface ExactFields {
  /** log rho_t(x), [n]. */
  logRho: Tensor;
  b: Tensor;
  v: Tensor;
  /** E[z | x_t = x]. */
  eta: Tensor;
  /** grad log rho_t(x). */
  s: Tensor;
}

type Dt = 'float32' | 'float64';

export class GaussianMixtureInterpolant {
  readonly dim: number;
  /** Number of component pairs. */
  readonly pairs: number;
  private readonly host: { mu0: Float64Array; mu1: Float64Array; v0: Float64Array; v1: Float64Array; logw: Float64Array };
  private readonly cache = new Map<Dt, { mu0: Tensor; mu1: Tensor; v0: Tensor; v1: Tensor; logw: Tensor }>();

  /** rho0 and rho1 as Gaussian mixtures of the same dimension (a single Gaussian is a 1-component mixture). */
  constructor(readonly I: Interpolant, readonly rho0: GaussianMixture, readonly rho1: GaussianMixture) {
    if (!(rho0 instanceof GaussianMixture) || !(rho1 instanceof GaussianMixture)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', 'GaussianMixtureInterpolant: rho0 and rho1 must be GaussianMixture');
    }
    if (rho0.dim !== rho1.dim) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `GaussianMixtureInterpolant: rho0 has dim ${rho0.dim}, rho1 ${rho1.dim}`);
    }
    const d = rho0.dim, P = rho0.k * rho1.k;
    this.dim = d;
    this.pairs = P;
    const h = { mu0: new Float64Array(P * d), mu1: new Float64Array(P * d), v0: new Float64Array(P * d), v1: new Float64Array(P * d), logw: new Float64Array(P) };
    for (let i = 0; i < rho0.k; i++) {
      for (let k = 0; k < rho1.k; k++) {
        const c = i * rho1.k + k;
        h.logw[c] = Math.log(rho0.weights[i]) + Math.log(rho1.weights[k]);
        for (let j = 0; j < d; j++) {
          h.mu0[c * d + j] = rho0.means[i * d + j];
          h.mu1[c * d + j] = rho1.means[k * d + j];
          h.v0[c * d + j] = rho0.stds[i * d + j] ** 2;
          h.v1[c * d + j] = rho1.stds[k * d + j] ** 2;
        }
      }
    }
    this.host = h;
  }

  private consts(dt: Dt) {
    let c = this.cache.get(dt);
    if (!c) {
      const { dim: d, pairs: P } = this;
      const mk = (a: Float64Array, shape: number[]) => {
        // Cached across calls: exempt from the caller's tidy scopes.
        return keep(tensor(dt === 'float64' ? a : Float32Array.from(a), { shape }));
      };
      c = { mu0: mk(this.host.mu0, [1, P, d]), mu1: mk(this.host.mu1, [1, P, d]), v0: mk(this.host.v0, [1, P, d]),
        v1: mk(this.host.v1, [1, P, d]), logw: mk(this.host.logw, [1, P]) };
      this.cache.set(dt, c);
    }
    return c;
  }

  /** All exact fields at x [n, dim] and time t (a number or n per-row times). */
  fields(x: Tensor, t: number | Tensor): ExactFields {
    const fn = 'GaussianMixtureInterpolant.fields';
    const dt = floatDtype(x, fn);
    if (x.ndim !== 2 || x.shape[1] !== this.dim) {
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: x must be [n, ${this.dim}], got [${x.shape.join(', ')}]`);
    }
    const n = x.shape[0];
    const C = coefColumns(this.I, timesOf(t, n, fn), ['alpha', 'beta', 'gamma', 'dAlpha', 'dBeta', 'gg'], 3, dt);
    const K = this.consts(dt);
    const m = C.alpha.mul(K.mu0).add(C.beta.mul(K.mu1));                                   // [n, P, d]
    const dm = C.dAlpha.mul(K.mu0).add(C.dBeta.mul(K.mu1));
    const a0 = C.alpha.mul(C.alpha).mul(K.v0), a1 = C.beta.mul(C.beta).mul(K.v1);
    const Sigma = a0.add(a1).add(C.gamma.mul(C.gamma));
    const vRate = C.alpha.mul(C.dAlpha).mul(K.v0).add(C.beta.mul(C.dBeta).mul(K.v1));    // (alpha alpha' S0 + beta beta' S1)
    const e = x.unsqueeze(1).sub(m);
    const eS = e.div(Sigma);                                                               // Sigma^{-1}(x - m)
    const logPair = K.logw.sub(e.mul(eS).add(Sigma.mul(2 * Math.PI).log()).sum(2).mul(0.5)); // [n, P]
    const logRho = logPair.logsumexp(1);
    const w = logPair.softmax(1).unsqueeze(2);                                              // [n, P, 1]
    const wx = w.mul(eS).sum(1);                                                            // sum_c w_c Sigma^{-1}(x - m_c)
    const v = w.mul(dm.add(vRate.mul(eS))).sum(1);
    // eta is E[z | x]; on a one-sided path the latent noise is x0 (S0 = I, mu0 = 0), E[x0 | x, c] = alpha (x - m_c) / Sigma_c.
    const g = (this.I.oneSided ? C.alpha : C.gamma).reshape(n, 1);
    const b = w.mul(dm).sum(1).add(w.mul(vRate.add(C.gg).mul(eS)).sum(1));
    return { logRho, b, v, eta: wx.mul(g), s: wx.neg() };
  }

  b(x: Tensor, t: number | Tensor): Tensor { return this.fields(x, t).b; }
  v(x: Tensor, t: number | Tensor): Tensor { return this.fields(x, t).v; }
  s(x: Tensor, t: number | Tensor): Tensor { return this.fields(x, t).s; }
  eta(x: Tensor, t: number | Tensor): Tensor { return this.fields(x, t).eta; }
  logRho(x: Tensor, t: number | Tensor): Tensor { return this.fields(x, t).logRho; }

  /** A sample of (x0, x1) from the independent coupling, float32 [n, dim] each (the engine's generator). */
  sampleCoupling(n: number): { x0: Tensor; x1: Tensor } {
    return { x0: this.rho0.sample(n), x1: this.rho1.sample(n) };
  }
}
