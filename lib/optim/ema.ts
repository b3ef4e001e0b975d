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
    return this.decayAt(this.steps);
  }
  /** The decay after t updates of the averaged parameters: (1 - 1/t)^(gamma + 1) for the power profile (0 at t = 1,
   * so the average starts at the first trained weights), else the fixed decay. */
  decayAt(t: number): number {
    if (this.opts.gamma !== undefined) return Math.pow(1 - 1 / Math.max(t, 1), this.opts.gamma + 1);
    return this.opts.decay ?? 0.999;
  }
  update(): void {
    this.steps++;
    this.blend(this.shadow.keys(), this.decay());
  }
  /** shadow <- d shadow + (1 - d) parameter, for the named parameters. */
  protected blend(names: Iterable<string>, d: number): void {
    const params = new Map(this.model.namedParameters());
    noGrad(() => { for (const n of names) this.shadow.get(n)!.mul_(d).add_(params.get(n)!, 1 - d); });
  }
  /**
   * Runs fn with the averaged weights in the model itself, then puts the trained weights back (also when fn throws):
   * sampling from the average without a second copy of the network. The trained weights are held aside meanwhile.
   */
  apply<T>(fn: () => T): T {
    const params = this.model.namedParameters().filter(([n]) => this.shadow.has(n));
    const held = noGrad(() => params.map(([n, p]) => { const h = keep(p.detach().clone()); p.copy_(this.shadow.get(n)!); return h; }));
    try {
      return fn();
    } finally {
      noGrad(() => params.forEach(([, p], i) => { p.copy_(held[i]); held[i].dispose(); }));
    }
  }
  /** Copies the averaged weights into `target` (a module of the same architecture). */
  copyTo(target: Module): void {
    target.loadStateDict(new Map([...target.stateDict()].map(([k, t]) => [k, this.shadow.get(k) ?? t])));
  }
}

/**
 * An EMA over parameter groups that train on their own schedules (DiffusionBlocks: one block per training step, or
 * one block alone in its own process). update(gs) averages only the groups gs, each with the decay of its own update
 * count stepsOf(g, steps) (steps: the updates of this EMA, one per training step), so a group's average depends on
 * its own updates alone: the same whether other groups trained in between, elsewhere or not at all, and untouched
 * (still the initial weights) while its group has not trained. `steps` is checkpointed as for EMA; the per-group
 * counts follow from it.
 */
export class GroupedEMA extends EMA {
  constructor(model: Module, readonly groups: string[][], readonly stepsOf: (g: number, steps: number) => number,
    opts: { decay?: number; gamma?: number }) {
    super(model, opts);
    const all = new Set(this.shadow.keys());
    for (const g of groups) for (const n of g) {
      if (!all.has(n)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `GroupedEMA: '${n}' is not a parameter of the model`);
    }
  }
  override update(gs: number[] = this.groups.map((_, g) => g)): void {
    for (const g of gs) {
      if (!(Number.isInteger(g) && g >= 0 && g < this.groups.length))
        throw new TensorfieldError('TF_INVALID_ARGUMENT', `GroupedEMA: group ${g} is outside 0..${this.groups.length - 1}`);
    }
    this.steps++;
    for (const g of gs) this.blend(this.groups[g], this.decayAt(this.stepsOf(g, this.steps)));
  }
}
