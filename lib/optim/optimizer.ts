// Optimizers over parameter groups. Each step is one fused native update per group (lib/native adamStep /
// sgdStep): parameter, gradient and moments are read and written once. A step refuses gradients that hold a NaN
// or an infinity (TF_NON_FINITE): applied, they would poison the parameters and every moment for good. With
// { skipNonFinite: true } such a step is skipped instead (parameters, moments and the step count untouched) and
// counted in skippedSteps, as AMP's GradScaler skips the steps whose scaled gradients overflowed.
import { native } from '../native';
import { Tensor, TensorfieldError, zerosLike } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../autograd';
import { countNonFinite } from './finite';

export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [option: string]: unknown;
}

/** Options of every optimizer (not hyperparameters: they are not stored in the groups or in checkpoints). */
export interface StepPolicy {
  /** Skip (and count) a step whose gradients are not all finite instead of throwing TF_NON_FINITE. */
  skipNonFinite?: boolean;
}

export abstract class Optimizer {
  groups: ParamGroup[];
  /** Steps taken (drives bias correction and schedules). */
  stepCount = 0;
  /** Steps skipped because a gradient held a NaN or an infinity (with skipNonFinite). */
  skippedSteps = 0;
  readonly skipNonFinite: boolean;
  protected state = new Map<Tensor, Record<string, Tensor>>();

  constructor(params: Tensor[] | ParamGroup[], defaults: Record<string, unknown> & { lr: number }) {
    const { skipNonFinite, ...hyper } = defaults as typeof defaults & StepPolicy;
    if (skipNonFinite !== undefined && typeof skipNonFinite !== 'boolean')
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `optimizer: skipNonFinite must be true or false, got ${String(skipNonFinite)}`);
    this.skipNonFinite = skipNonFinite ?? false;
    const groups = (params.length && !(params[0] instanceof Tensor) ? params : [{ params }]) as Partial<ParamGroup>[];
    this.groups = groups.map((g) => ({ ...hyper, ...g } as ParamGroup));
    for (const g of this.groups)
      for (const p of g.params)
        if (!p.requiresGrad) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'optimizer: every parameter must require grad');
  }

  zeroGrad(): void { for (const g of this.groups) for (const p of g.params) p.grad = null; }

  protected slot(p: Tensor, name: string): Tensor {
    let s = this.state.get(p);
    if (!s) { s = {}; this.state.set(p, s); }
    if (!s[name]) s[name] = keep(zerosLike(p));
    return s[name];
  }

  /** Parameters of a group that have a gradient, with the gradients (one handle each, freed after use). */
  protected withGrads(g: ParamGroup): [Tensor[], Tensor[]] {
    const ps: Tensor[] = [], gs: Tensor[] = [];
    for (const p of g.params) {
      const grad = p.grad;
      if (grad) { ps.push(p); gs.push(grad); }
    }
    return [ps, gs];
  }

  /**
   * Whether this step may go ahead: true when every gradient is finite. Otherwise throws TF_NON_FINITE, or, with
   * skipNonFinite, counts the skip and returns false. Called before anything (the step count included) changes.
   */
  protected gradientsFinite(): boolean {
    const grads: Tensor[] = [];
    for (const g of this.groups) for (const p of g.params) { const x = p.grad; if (x) grads.push(x); }
    let bad: number;
    try { bad = countNonFinite(grads); } finally { grads.forEach((x) => x.dispose()); }
    if (bad === 0) return true;
    if (this.skipNonFinite) {
      this.skippedSteps++;
      return false;
    }
    throw new TensorfieldError('TF_NON_FINITE', `${this.constructor.name}.step: ${bad} gradient(s) hold NaN or infinite values; ` +
      `refusing the step (it would poison the parameters and the optimizer state). Construct the optimizer with ` +
      `{ skipNonFinite: true } to skip such steps, or lower the learning rate / clip the gradients`);
  }

  abstract step(): void;

  /** Optimizer state by name `<group>.<param index>.<slot>` (for checkpoints), plus scalars. */
  stateDict(): { tensors: Map<string, Tensor>; stepCount: number } {
    const tensors = new Map<string, Tensor>();
    this.groups.forEach((g, gi) => g.params.forEach((p, pi) => {
      const s = this.state.get(p);
      if (s) for (const [k, t] of Object.entries(s)) tensors.set(`${gi}.${pi}.${k}`, t);
    }));
    return { tensors, stepCount: this.stepCount };
  }

  loadStateDict(sd: { tensors: Map<string, Tensor>; stepCount: number }): void {
    this.stepCount = sd.stepCount;
    for (const [key, t] of sd.tensors) {
      const [gi, pi, slot] = key.split('.');
      const p = this.groups[Number(gi)]?.params[Number(pi)];
      if (!p) throw new TensorfieldError('TF_STATE_DICT', `optimizer state '${key}' does not match any parameter`);
      if (String(t.shape) !== String(p.shape)) throw new TensorfieldError('TF_STATE_DICT', `optimizer state '${key}' has shape [${t.shape}], parameter [${p.shape}]`);
      noGrad(() => this.slot(p, slot).copy_(t));
    }
  }
}

export class SGD extends Optimizer {
  constructor(params: Tensor[] | ParamGroup[], opts: { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean } & StepPolicy) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...opts });
  }
  step(): void {
    if (!this.gradientsFinite()) return;
    this.stepCount++;
    for (const g of this.groups) {
      const [ps, gs] = this.withGrads(g);
      if (!ps.length) continue;
      const bufs = ps.map((p) => this.slot(p, 'momentum'));
      native.sgdStep(ps.map((p) => p._h), gs.map((x) => x._h), bufs.map((b) => b._h), g.lr, g.momentum as number,
        g.dampening as number, g.weightDecay as number, g.nesterov as boolean, this.stepCount === 1);
      gs.forEach((x) => x.dispose());
    }
  }
}

export interface AdamOptions extends StepPolicy { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }

export class Adam extends Optimizer {
  protected decoupled = false;
  constructor(params: Tensor[] | ParamGroup[], opts: AdamOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts });
  }
  step(): void {
    if (!this.gradientsFinite()) return;
    this.stepCount++;
    for (const g of this.groups) {
      const [ps, gs] = this.withGrads(g);
      if (!ps.length) continue;
      const [b1, b2] = g.betas as [number, number];
      native.adamStep(ps.map((p) => p._h), gs.map((x) => x._h), ps.map((p) => this.slot(p, 'm')._h),
        ps.map((p) => this.slot(p, 'v')._h), g.lr, b1, b2, g.eps as number, g.weightDecay as number, this.stepCount,
        this.decoupled);
      gs.forEach((x) => x.dispose());
    }
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter); default weightDecay 0.01 as in PyTorch. */
export class AdamW extends Adam {
  constructor(params: Tensor[] | ParamGroup[], opts: AdamOptions = {}) {
    super(params, { weightDecay: 0.01, ...opts });
    this.decoupled = true;
  }
}

/**
 * Scales gradients in place so their global L2 norm is at most maxNorm; returns the norm before clipping.
 * A gradient holding a NaN or an infinity has no norm to clip to: that is TF_NON_FINITE, unless
 * `{ errorIfNonFinite: false }`, which returns the non-finite norm and leaves the gradients as they are (for an
 * optimizer built with skipNonFinite to skip the step). Finite gradients whose squares overflow float32 still get
 * their true norm (computed on gradients scaled by their largest magnitude).
 */
export function clipGradNorm(params: Tensor[], maxNorm: number, eps = 1e-6, opts: { errorIfNonFinite?: boolean } = {}): number {
  return noGrad(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    try {
      let sq = 0;
      for (const g of grads) sq += g.square().sum().item();
      let norm = Math.sqrt(sq);
      if (!Number.isFinite(norm)) {
        const bad = countNonFinite(grads);
        if (bad > 0) {
          if (opts.errorIfNonFinite === false) return NaN;
          throw new TensorfieldError('TF_NON_FINITE', `clipGradNorm: ${bad} gradient(s) hold NaN or infinite values, so the gradient norm is not finite ` +
            '(pass { errorIfNonFinite: false } to get NaN back and leave the gradients to an optimizer with skipNonFinite)');
        }
        let top = 0;
        for (const g of grads) top = Math.max(top, g.abs().amax().item());
        let s = 0;
        for (const g of grads) s += g.div(top).square().sum().item();
        norm = top * Math.sqrt(s);
      }
      if (norm > maxNorm) {
        const c = maxNorm / (norm + eps);
        for (const g of grads) g.mul_(c);
      }
      return norm;
    } finally {
      grads.forEach((g) => g.dispose());
    }
  });
}
