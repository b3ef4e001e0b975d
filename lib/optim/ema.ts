// Exponential moving average of weights: a fixed decay, or EDM2's power-function profile (Karras et al. 2024),
// beta_t = (1 - 1/t)^(gamma + 1), whose averaging length grows with training.
import { Tensor } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../autograd';
import { TensorfieldError } from '../tensor';
import type { Module } from '../nn/module';

/** Relative standard deviation of the power-function profile with exponent gamma (EDM2 eq. 3): the averaging
 * weights over the steps 0..t follow tau^gamma, whose standard deviation is sigma_rel * t. */
export function sigmaRelOfGamma(gamma: number): number {
  return Math.sqrt((gamma + 1) / ((gamma + 2) ** 2 * (gamma + 3)));
}

/** Largest sigma_rel accepted: that of gamma = 0 (uniform average over the whole run), sqrt(1/12). */
export const MAX_SIGMA_REL = sigmaRelOfGamma(0);

/**
 * The exponent gamma >= 0 of EDM2's power-function EMA for a relative width sigma_rel in (0, sqrt(1/12)]
 * (EDM2: 0.05 <-> 16.97, 0.10 <-> 6.94; sCM uses 0.025-0.075). Solved by bisection: sigmaRelOfGamma is strictly
 * decreasing for gamma >= 0.
 */
export function gammaOfSigmaRel(sigmaRel: number): number {
  if (!(sigmaRel > 0 && sigmaRel <= MAX_SIGMA_REL)) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `EMA: sigma_rel must be in (0, ${MAX_SIGMA_REL.toFixed(4)}] (gamma >= 0), got ${sigmaRel}`);
  }
  let lo = 0, hi = 1;
  while (sigmaRelOfGamma(hi) > sigmaRel) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = 0.5 * (lo + hi);
    if (sigmaRelOfGamma(mid) > sigmaRel) lo = mid; else hi = mid;
  }
  return 0.5 * (lo + hi);
}

export class EMA {
  shadow = new Map<string, Tensor>();
  steps = 0;
  constructor(public model: Module, public opts: { decay?: number; gamma?: number } = { decay: 0.999 }) {
    noGrad(() => { for (const [n, p] of model.namedParameters()) this.shadow.set(n, keep(p.detach().clone())); });
  }
  /** The decay used at the current step. */
  decay(): number {
    if (this.opts.gamma !== undefined) return Math.pow(1 - 1 / Math.max(this.steps, 1), this.opts.gamma + 1);
    return this.opts.decay ?? 0.999;
  }
  update(): void {
    this.steps++;
    const d = this.decay();
    noGrad(() => {
      for (const [n, p] of this.model.namedParameters()) {
        const s = this.shadow.get(n)!;
        s.mul_(d).add_(p, 1 - d);
      }
    });
  }
  /** Copies the averaged weights into `target` (a module of the same architecture). */
  copyTo(target: Module): void {
    target.loadStateDict(new Map([...target.stateDict()].map(([k, t]) => [k, this.shadow.get(k) ?? t])));
  }
}
