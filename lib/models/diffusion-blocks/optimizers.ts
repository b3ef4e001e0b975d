// One Adam per block (and one for the shared stem and head), each made the first time its block trains, so a block
// that never trains holds no moments (the paper's "optimizer state / B"). For checkpoints the set presents itself
// as one Optimizer whose parameter group g is block g (group B: the shared parameters): slots `g.p.m`/`g.p.v`.
// Each block's Adam counts its own steps (its bias correction); a checkpoint stores the total, and a loaded set
// gets every block's count back from the training schedule (stepsOf), which is a fixed function of the total.
import { Tensor, TensorfieldError } from '../../tensor';
import { Adam, Optimizer } from '../../optim/optimizer';

export class BlockOptimizers extends Optimizer {
  /** Per group (blocks, then shared): the Adam, or null until that group first trains. */
  readonly adams: (Adam | null)[];
  constructor(groups: Tensor[][], readonly lr: number, private readonly stepsOf: (group: number, total: number) => number) {
    // the base class only keeps the groups (for the checkpoint's layout); empty groups are allowed (no shared part)
    super(groups.map((params) => ({ params, lr })), { lr });
    this.adams = groups.map(() => null);
  }

  /** The Adam of group g, made now if it does not exist (its moments are made at its first step). */
  of(g: number): Adam {
    if (!Number.isInteger(g) || g < 0 || g >= this.adams.length)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `BlockOptimizers: group ${g} is outside 0..${this.adams.length - 1}`);
    return (this.adams[g] ??= new Adam(this.groups[g].params, { lr: this.lr }));
  }

  /** Steps the given groups (their parameters' gradients) and counts one step of the whole. */
  stepGroups(gs: number[]): void {
    for (const g of gs) if (this.groups[g].params.length) this.of(g).step();
    this.stepCount++;
  }

  step(): void {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', 'BlockOptimizers.step: say which blocks step (stepGroups([...]))');
  }

  zeroGrad(): void { for (const g of this.groups) for (const p of g.params) p.grad = null; }

  /** Bytes of optimizer state allocated so far (two moments per parameter of each group that has stepped). */
  stateBytes(): number {
    let n = 0;
    for (const a of this.adams) if (a) for (const t of a.stateDict().tensors.values()) n += t.numel() * 4;
    return n;
  }

  stateDict(): { tensors: Map<string, Tensor>; stepCount: number } {
    const tensors = new Map<string, Tensor>();
    this.adams.forEach((a, g) => {
      if (a) for (const [k, t] of a.stateDict().tensors) tensors.set(`${g}.${k.slice(k.indexOf('.') + 1)}`, t);
    });
    return { tensors, stepCount: this.stepCount };
  }

  loadStateDict(sd: { tensors: Map<string, Tensor>; stepCount: number }): void {
    const per = new Map<number, Map<string, Tensor>>();
    for (const [k, t] of sd.tensors) {
      const dot = k.indexOf('.');
      const g = Number(k.slice(0, dot));
      if (!Number.isInteger(g) || g < 0 || g >= this.adams.length) throw new TensorfieldError('TF_STATE_DICT', `optimizer state '${k}' names no block`);
      if (!per.has(g)) per.set(g, new Map());
      per.get(g)!.set(`0.${k.slice(dot + 1)}`, t);
    }
    this.stepCount = sd.stepCount;
    for (const [g, m] of per) this.of(g).loadStateDict({ tensors: m, stepCount: this.stepsOf(g, sd.stepCount) });
  }
}
