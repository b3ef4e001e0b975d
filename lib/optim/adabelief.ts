// AdaBelief (Zhuang et al., NeurIPS 2020): Adam whose second moment tracks the "belief" (g - m)^2, the squared
// deviation of the gradient from its running mean, instead of g^2. FDP's official code trains with optax's
// adabelief behind a clip and a warm-up-cosine schedule (lib/optim/schedule warmupCosine). Written with engine
// ops under noGrad (no fused native kernel yet: FDP's networks are small, the update is not the hot path).
import { Tensor, TensorfieldError } from '../tensor';
import { noGrad } from '../autograd';
import { tidy } from '../scope';
import { Optimizer, type ParamGroup, type StepPolicy } from './optimizer';

export interface AdaBeliefOptions extends StepPolicy {
  lr?: number;
  betas?: [number, number];
  /** Added inside the belief average and to its square root (optax: 1e-16 both). */
  eps?: number;
  weightDecay?: number;
}

export class AdaBelief extends Optimizer {
  constructor(params: Tensor[] | ParamGroup[], opts: AdaBeliefOptions = {}) {
    const [b1, b2] = opts.betas ?? [0.9, 0.999];
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `AdaBelief: betas must be in [0, 1), got [${b1}, ${b2}]`);
    if (!(opts.eps === undefined || opts.eps >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `AdaBelief: eps must be >= 0, got ${opts.eps}`);
    if (!(opts.lr === undefined || opts.lr >= 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `AdaBelief: lr must be >= 0, got ${opts.lr}`);
    super(params, { lr: 1e-3, betas: [b1, b2], eps: 1e-16, weightDecay: 0, ...opts });
  }

  /**
   * m <- b1 m + (1 - b1) g;  s <- b2 s + (1 - b2) (g - m)^2 + eps;
   * p <- p - lr (m / (1 - b1^t)) / (sqrt(s / (1 - b2^t)) + eps)  (weight decay decoupled, as AdamW, when set).
   */
  step(): void {
    if (!this.gradientsFinite()) return;
    this.stepCount++;
    const t = this.stepCount;
    noGrad(() => {
      for (const g of this.groups) {
        const [ps, gs] = this.withGrads(g);
        const [b1, b2] = g.betas as [number, number];
        const eps = g.eps as number, wd = g.weightDecay as number;
        const c1 = 1 - Math.pow(b1, t), c2 = 1 - Math.pow(b2, t);
        ps.forEach((p, i) => tidy(() => {
          const grad = gs[i], m = this.slot(p, 'm'), s = this.slot(p, 's');
          m.mul_(b1).add_(grad.mul(1 - b1));
          s.mul_(b2).add_(grad.sub(m).square().mul(1 - b2).add(eps));
          if (wd) p.mul_(1 - g.lr * wd);
          p.sub_(m.div(c1).div(s.div(c2).sqrt().add(eps)).mul(g.lr));
        }));
        gs.forEach((x) => x.dispose());
      }
    });
  }
}
