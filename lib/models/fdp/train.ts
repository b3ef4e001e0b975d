// Training FDP's INR denoiser as the official code does: t ~ U(eps, 1) scaled by a curriculum
// (1 - exp(-step / curriculum)), Y_t from the exact marginal, x0hat = INR adapted to Y_t by the inner steps, the
// spectral loss; the outer update is an elementwise gradient clip (optax clip(1.0)) then AdaBelief (or Adam) on a
// warm-up-cosine schedule, with an EMA of the weights for evaluation.
import { Tensor, TensorfieldError } from '../../tensor';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { rand } from '../../random';
import { Adam, type Optimizer } from '../../optim/optimizer';
import { AdaBelief } from '../../optim/adabelief';
import { warmupCosine } from '../../optim/schedule';
import { EMA } from '../../optim/ema';
import { FdpDenoiser, type InnerOrder } from './denoiser';
import { fdpLoss, type FdpWeighting } from './loss';

export interface FdpTrainOptions {
  lr: number;
  /** Final rate of the cosine as a fraction of lr (the code: 1e-5 / 3.3e-5). */
  endFactor?: number;
  warmup: number;
  /** Steps of the warm-up-cosine schedule (after it the rate stays at the end value). */
  decaySteps: number;
  optimizer?: 'adabelief' | 'adam';
  /** Elementwise clip of the outer gradient (0: off). */
  clip?: number;
  emaGamma?: number;
  order?: InnerOrder;
  weighting?: FdpWeighting;
  /** Curriculum steps S: t's range grows as 1 - exp(-step / S) (the code: 10000); 0: off. */
  curriculum?: number;
  eps?: number;
}

export class FdpTrainer {
  readonly opt: Optimizer;
  readonly ema: EMA;
  steps = 0;
  readonly o: Required<FdpTrainOptions>;
  constructor(readonly net: FdpDenoiser, o: FdpTrainOptions) {
    this.o = { endFactor: 0.3, optimizer: 'adabelief', clip: 1, emaGamma: 7, order: 'second', weighting: 'code', curriculum: 0, eps: 1e-3, ...o };
    if (!(this.o.lr > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `FdpTrainer: lr must be > 0, got ${this.o.lr}`);
    if (this.o.order !== 'second' && this.o.order !== 'first') throw new TensorfieldError('TF_INVALID_ARGUMENT', `FdpTrainer: order must be 'second' or 'first' ('inference' keeps no graph to train through), got '${this.o.order}'`);
    this.opt = this.o.optimizer === 'adam' ? new Adam(net.parameters(), { lr: this.o.lr }) : new AdaBelief(net.parameters(), { lr: this.o.lr });
    this.ema = new EMA(net, { gamma: this.o.emaGamma });
  }

  /** Per-sample training times for this step. */
  times(B: number): Float64Array {
    const { eps, curriculum } = this.o;
    const scale = curriculum > 0 ? 1 - Math.exp(-(this.steps + 1) / curriculum) : 1;
    const u = rand([B], { dtype: 'float64' }).dataSync() as Float64Array;
    return u.map((v) => Math.max(eps, (eps + (1 - eps) * v) * scale));
  }

  /** One step on clean functions x0 [B, C, ...grid]; returns the loss. */
  step(x0: Tensor): number {
    const lrNow = this.o.lr * warmupCosine(this.o.warmup, this.o.decaySteps, this.o.endFactor)(this.steps);
    this.opt.groups.forEach((g) => { g.lr = lrNow; });
    const loss = tidy(() => {
      const t = this.times(x0.shape[0]);
      const y = noGrad(() => this.net.sde.marginal(x0, t));
      const l = fdpLoss(this.net.predict(y, t, this.o.order), x0, this.net.sde, this.o.weighting, t);
      this.opt.zeroGrad();
      l.backward();
      return l.item();
    });
    if (this.o.clip > 0) noGrad(() => { for (const p of this.net.parameters()) { const g = p.grad; if (g) { g.copy_(g.clamp(-this.o.clip, this.o.clip)); g.dispose(); } } });
    this.opt.step();
    this.ema.update();
    this.steps++;
    return loss;
  }
}
