// Exponential moving average of weights: a fixed decay, or EDM2's power-function profile (Karras et al. 2024),
// beta_t = (1 - 1/t)^(gamma + 1), whose averaging length grows with training.
import { Tensor } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../autograd';
import type { Module } from '../nn/module';

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
