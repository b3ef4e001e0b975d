// Optimizers over parameter groups. Each step is one fused native update per group (lib/native adamStep /
// sgdStep): parameter, gradient and moments are read and written once.
import { native } from '../native';
import { Tensor, TensorfieldError, zerosLike } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../autograd';

export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [option: string]: unknown;
}

export abstract class Optimizer {
  groups: ParamGroup[];
  /** Steps taken (drives bias correction and schedules). */
  stepCount = 0;
  protected state = new Map<Tensor, Record<string, Tensor>>();

  constructor(params: Tensor[] | ParamGroup[], defaults: Record<string, unknown> & { lr: number }) {
    const groups = (params.length && !(params[0] instanceof Tensor) ? params : [{ params }]) as Partial<ParamGroup>[];
    this.groups = groups.map((g) => ({ ...defaults, ...g } as ParamGroup));
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
  constructor(params: Tensor[] | ParamGroup[], opts: { lr: number; momentum?: number; dampening?: number; weightDecay?: number; nesterov?: boolean }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...opts });
  }
  step(): void {
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

export interface AdamOptions { lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }

export class Adam extends Optimizer {
  protected decoupled = false;
  constructor(params: Tensor[] | ParamGroup[], opts: AdamOptions = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, ...opts });
  }
  step(): void {
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

/** Scales gradients in place so their global L2 norm is at most maxNorm; returns the norm before clipping. */
export function clipGradNorm(params: Tensor[], maxNorm: number, eps = 1e-6): number {
  return noGrad(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    let sq = 0;
    for (const g of grads) sq += g.square().sum().item();
    const norm = Math.sqrt(sq);
    if (norm > maxNorm) {
      const c = maxNorm / (norm + eps);
      for (const g of grads) g.mul_(c);
    }
    grads.forEach((g) => g.dispose());
    return norm;
  });
}
