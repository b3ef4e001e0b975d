// Learning-rate schedules: functions of the step, applied to every group's base lr.
import type { Optimizer } from './optimizer';
import { TensorfieldError } from '../tensor';

export type Schedule = (step: number) => number;

/** Linear warmup from 0 to 1 over `steps`. */
export const warmup = (steps: number): Schedule => (s) => (steps > 0 ? Math.min(1, (s + 1) / steps) : 1);
/** Cosine decay from 1 to `minFactor` over `total` steps. */
export const cosine = (total: number, minFactor = 0): Schedule => (s) =>
  minFactor + (1 - minFactor) * 0.5 * (1 + Math.cos(Math.PI * Math.min(s, total) / total));
/** Multiply by `gamma` every `every` steps. */
export const stepDecay = (every: number, gamma = 0.1): Schedule => (s) => Math.pow(gamma, Math.floor(s / every));
/** Warmup then cosine, the common diffusion recipe. */
export const warmupCosine = (warm: number, total: number, minFactor = 0): Schedule => (s) =>
  s < warm ? warmup(warm)(s) : cosine(Math.max(1, total - warm), minFactor)(s - warm);

/**
 * Inverse square-root decay (EDM2; sCM uses t_ref 35k-70k): lr(s) = lr / sqrt(max(s / tRef, 1)), constant for the
 * first tRef steps. `s` is the 0-based index of the step about to run.
 */
export const inverseSqrt = (tRef: number): Schedule => {
  if (!(Number.isFinite(tRef) && tRef > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `inverseSqrt: tRef must be a positive number of steps, got ${tRef}`);
  return (s) => 1 / Math.sqrt(Math.max(s / tRef, 1));
};

/** Sets each group's lr to baseLr * schedule(step); call once per step before optimizer.step(). */
export class LRScheduler {
  private base: number[];
  constructor(public optimizer: Optimizer, public schedule: Schedule) {
    this.base = optimizer.groups.map((g) => g.lr);
    this.apply(0);
  }
  apply(step: number): void { this.optimizer.groups.forEach((g, i) => { g.lr = this.base[i] * this.schedule(step); }); }
  get lr(): number { return this.optimizer.groups[0].lr; }
}
