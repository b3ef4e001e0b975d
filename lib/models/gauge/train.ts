// Denoising score matching under the VE-SDE (digest B §2.3): x_t = x0 + sigma(t) z, sigma(t) = sigmaMin
// (sigmaMax / sigmaMin)^t with t ~ U(0, 1) (or U(0, 1)^tPower), loss E ||sigma s(x_t, sigma) + z||^2 (the sigma^2 weighting). For the
// conservative net the loss differentiates through grad_x E, so every step is a double backward; so is the curl
// penalty of a free 2-D net (curl.ts), the 2-D alternative to the conservative parameterisation.
import { Tensor, TensorfieldError } from '../../tensor';
import { rand, randn } from '../../random';
import { tidy } from '../../scope';
import { Adam } from '../../optim';
import type { FreeScoreNet, ConservativeScoreNet } from './nets';
import { fieldAndCurl, curlPenalty } from './curl';

export interface VeOptions {
  sigmaMin?: number;
  sigmaMax?: number;
  /**
   * t = u^tPower with u ~ U(0, 1) (default 1: log-uniform sigma). Above 1 the draws crowd towards sigmaMin, where a
   * manifold's normal directions (a sphere's radial one) must be resolved for the dimension estimates at sigmaMin.
   */
  tPower?: number;
}
export interface DsmOptions extends VeOptions {
  /**
   * lambda of the curl penalty lambda mean(sigma^2 curl^2) on the same noised batch (2-D nets only; default 0: off).
   * The weight sigma^2 is the official code's g(t)^2 = 2 ln(sigmaMax / sigmaMin) sigma^2 for the VE-SDE up to the
   * constant, which goes into lambda. (A score's Jacobian near the data is O(1 / sigma^2), so sigma^4 would make
   * every level's term O(1) like the DSM loss; sigma^2 leans towards the small levels, where the dimension estimates
   * read the Jacobian. Measured on the circle, scripts/gauge/curl.js: sigma^2 curl^2 ~ 0.1 at sigma = 0.01 and
   * ~ 0.01 at sigma = 1 without the penalty, so no level swamps the others.)
   */
  curlWeight?: number;
}
export interface TrainOptions extends DsmOptions {
  steps: number;
  batch?: number;
  lr?: number;
  /** Called every `every` steps with the step and the loss. */
  onLoss?: (step: number, loss: number) => void;
  every?: number;
}

export function veSigma(t: Tensor, o: VeOptions = {}): Tensor {
  const lo = o.sigmaMin ?? 0.01, hi = o.sigmaMax ?? 4;
  return t.mul(Math.log(hi / lo)).exp().mul(lo);
}

/** n noise levels of the training distribution: sigma(t), t = u^tPower, u ~ U(0, 1). */
export function sampleVeSigma(n: number, o: VeOptions = {}): Tensor {
  const p = o.tPower ?? 1;
  if (!(p > 0) || !Number.isFinite(p)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `tPower must be a finite number > 0, got ${p}`);
  const u = rand([n]);
  return veSigma(p === 1 ? u : u.pow(p), o);
}

/** One DSM loss on a batch x0 [B, D] (plus the curl penalty when o.curlWeight > 0). */
export function dsmLoss(net: FreeScoreNet | ConservativeScoreNet, x0: Tensor, o: DsmOptions = {}): Tensor {
  const lambda = o.curlWeight ?? 0;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `curlWeight must be a finite number >= 0, got ${lambda}`);
  if (lambda > 0 && net.dim !== 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `curlWeight: the curl penalty is defined for 2-D fields, this net has ${net.dim} dimensions`);
  const B = x0.shape[0];
  const sigma = sampleVeSigma(B, o);
  const z = randn(x0.shape);
  const xt = x0.add(z.mul(sigma.reshape(-1, 1)));
  if (lambda === 0) {
    const s = net.score(xt, sigma, true);
    return s.mul(sigma.reshape(-1, 1)).add(z).square().sum(1).mean();
  }
  const { s, curl } = fieldAndCurl((x) => net.score(x, sigma, true), xt, true);
  const dsm = s.mul(sigma.reshape(-1, 1)).add(z).square().sum(1).mean();
  return dsm.add(curlPenalty(curl, sigma.square()).mul(lambda));
}

/** Trains on batches drawn by `data(B)`; returns the last loss. */
export function trainScore(net: FreeScoreNet | ConservativeScoreNet, data: (n: number) => Tensor, o: TrainOptions): number {
  const opt = new Adam(net.parameters(), { lr: o.lr ?? 1e-3 });
  let last = NaN;
  for (let step = 1; step <= o.steps; step++) {
    last = tidy(() => {
      opt.zeroGrad();
      const loss = dsmLoss(net, data(o.batch ?? 256), o);
      loss.backward();
      opt.step();
      return loss.item();
    });
    if (o.onLoss && step % (o.every ?? 500) === 0) o.onLoss(step, last);
  }
  return last;
}
