// A likelihood bound for a denoiser of discrete embeddings: the continuous-time variational bound of Kingma et al.
// (VDM, 2021) for the variance-exploding process z_sigma = y + sigma eps, sigma in [sigma0, sigmaMax], where y = Y[x]
// is the embedding of a discrete symbol x and the model's denoiser is x_hat(z, sigma):
//   -ln p(x) <= KL(N(y, sigmaMax^2 I) || N(0, sigmaMax^2 I))                 prior: |y|^2 / (2 sigmaMax^2)
//             + int_{sigma0}^{sigmaMax} E |y - x_hat(z_sigma, sigma)|^2 / sigma^3 dsigma     diffusion (SNR = 1/sigma^2)
//             + E[-ln p(x | z_sigma0)]                                     decoder: softmax_c(-|z - Y_c|^2 / (2 sigma0^2))
// The diffusion integral is (ln sigmaMax - ln sigma0) E_u |y - x_hat|^2 / sigma^2 with ln sigma uniform, estimated with
// one stratified level per stratum (the strata's offsets from the engine generator, shared by every item). With the
// exact posterior-mean denoiser the bound is tight up to the prior and decoder terms (test/diffusion-blocks-lm-bound).
//
// sigma0 is where the model's chain is read out by the decoder. A denoiser trained on a log-normal of sigma is not
// trained far into its lower tail, so the lower end of the integral should stay where it was trained (the char-LM
// uses exp(pMean - 3 pStd)); the decoder term says what that end costs.
import { Tensor, TensorfieldError, tensor } from '../../tensor';
import { noGrad } from '../../autograd';
import { tidy } from '../../scope';
import { rand, randn } from '../../random';

export interface EmbeddingBoundOptions {
  sigma0: number;
  sigmaMax: number;
  /** Stratified noise levels per item (default 32). */
  levels?: number;
}

export interface EmbeddingBound {
  /** Mean bound per item, nats, and its three parts. */
  nats: number;
  prior: number;
  diffusion: number;
  decoder: number;
  /** Standard error of the mean bound over items (the items' bounds are independent given the strata). */
  natsSe: number;
  items: number;
}

/**
 * The bound for items x (ids into the embedding table Y [V, e]); `denoise(z, sigma)` gets z [n, e] (every item's noisy
 * embedding at one sigma, in item order) and returns x_hat [n, e]. Items may be grouped by the caller's denoiser
 * (windows of a sequence model), which sees them all at once.
 */
export function embeddingBound(Y: Tensor, x: Int32Array, denoise: (z: Tensor, sigma: number) => Tensor, o: EmbeddingBoundOptions): EmbeddingBound {
  const fn = 'embeddingBound';
  const levels = o.levels ?? 32;
  if (Y.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: Y must be [V, e], got [${Y.shape}]`);
  const [V, e] = Y.shape, n = x.length;
  if (n === 0) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: no items`);
  for (let i = 0; i < n; i++) if (!(x[i] >= 0 && x[i] < V)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: item ${i} is ${x[i]}, not an id in [0, ${V})`);
  if (!(o.sigma0 > 0 && o.sigma0 < o.sigmaMax && Number.isFinite(o.sigmaMax))) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: need 0 < sigma0 < sigmaMax, got ${o.sigma0}, ${o.sigmaMax}`);
  if (!(Number.isInteger(levels) && levels >= 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: levels must be an integer >= 1, got ${levels}`);
  const lo = Math.log(o.sigma0), span = Math.log(o.sigmaMax) - lo;
  const perItem = new Float64Array(n);
  let prior = 0, diffusion = 0, decoder = 0;
  noGrad(() => tidy(() => {
    const Y64 = Y.to('float64');
    const y = Y64.indexSelect(0, tensor(x, { shape: [n], dtype: 'int32' }));  // [n, e]
    const yy = y.square().sum(1).dataSync() as Float64Array;
    for (let i = 0; i < n; i++) { const p = yy[i] / (2 * o.sigmaMax * o.sigmaMax); perItem[i] += p; prior += p; }
    const offsets = rand([levels], { dtype: 'float64' }).dataSync() as Float64Array;
    for (let k = 0; k < levels; k++) {
      const s = Math.exp(lo + (span * (k + offsets[k])) / levels);
      const err = tidy(() => {
        const z = y.add(randn([n, e], { dtype: 'float64' }).mul(s));
        const xh = denoise(z.to(Y.dtype), s).to('float64');
        if (xh.ndim !== 2 || xh.shape[0] !== n || xh.shape[1] !== e) throw new TensorfieldError('TF_SHAPE_MISMATCH', `${fn}: the denoiser returned [${xh.shape}], not [${n}, ${e}]`);
        return y.sub(xh).square().sum(1).dataSync() as Float64Array;
      });
      for (let i = 0; i < n; i++) { const d = (span / levels) * (err[i] / (s * s)); perItem[i] += d; diffusion += d; }
    }
    // the decoder at sigma0: -ln softmax_c(-|z - Y_c|^2 / (2 sigma0^2)) at the true id
    const z0 = y.add(randn([n, e], { dtype: 'float64' }).mul(o.sigma0));
    const d2 = z0.square().sum(1, true).add(Y64.square().sum(1).reshape([1, V])).sub(z0.matmul(Y64.T).mul(2));  // [n, V]
    const lp = d2.mul(-1 / (2 * o.sigma0 * o.sigma0)).logSoftmax(1).gather(1, tensor(x, { shape: [n, 1], dtype: 'int32' })).dataSync() as Float64Array;
    for (let i = 0; i < n; i++) { perItem[i] -= lp[i]; decoder -= lp[i]; }
  }));
  const mean = perItem.reduce((a, c) => a + c, 0) / n;
  const sd = Math.sqrt(perItem.reduce((a, c) => a + (c - mean) ** 2, 0) / Math.max(1, n - 1));
  return { nats: mean, prior: prior / n, diffusion: diffusion / n, decoder: decoder / n, natsSe: sd / Math.sqrt(n), items: n };
}
