// One Blackout training step: k ~ Uniform{0..T-1} per item, n_t ~ Binomial(n_0, p_k), rates
// y = rateOf(net(n_t - (nMax/2) p_k, k)) (softplus, optionally times 1 - p_k), and the weighted Poisson NLL of target n_0 - n_t (loss.ts).
import { Tensor, tensor } from '../../tensor';
import { randint } from '../../random';
import { tidy } from '../../scope';
import { Adam, clipGradNorm } from '../../optim/optimizer';
import { EMA } from '../../optim/ema';
import { blackoutSchedule, lossWeights, type BlackoutSchedule, type LossWeighting } from './schedule';
import { forwardSample, modelInput } from './forward';
import { poissonNll, rateOf, type RateParam } from './loss';
import type { BlackoutNet } from './network';

export interface BlackoutTrainerOptions {
  nMax: number;
  T?: number;
  tEnd?: number;
  weighting?: LossWeighting;
  /** Rate link (loss.ts): 'paper' softplus(raw) or 'scaled' (1 - p) softplus(raw). */
  rateParam?: RateParam;
  lr?: number;
  /** Gradient-norm clip (0: off). */
  clip?: number;
  /** Power-function EMA exponent of the evaluation weights (EDM2). */
  emaGamma?: number;
}

/** The loss of a batch of counts n0 at the given observation indices (differentiable in the network). */
export function blackoutLoss(net: BlackoutNet, n0: Tensor, k: ArrayLike<number>, s: BlackoutSchedule, w: Float64Array, nMax: number,
  rateParam: RateParam = 'paper'): Tensor {
  return tidy(() => {
    const p = Array.from(k, (i) => s.p[i]);
    const nt = forwardSample(n0, p);
    const y = rateOf(net.forward(modelInput(nt, p, nMax), tensor(Float64Array.from(k), { dtype: n0.dtype as 'float32' })), p, rateParam);
    return poissonNll(y, n0.sub(nt), Array.from(k, (i) => w[i]));
  });
}

export class BlackoutTrainer {
  readonly schedule: BlackoutSchedule;
  readonly weights: Float64Array;
  readonly opt: Adam;
  readonly ema: EMA;
  constructor(readonly net: BlackoutNet, readonly o: BlackoutTrainerOptions) {
    this.schedule = blackoutSchedule(o.T ?? 1000, o.tEnd ?? 10);
    this.weights = lossWeights(this.schedule, o.weighting ?? 'instantaneous');
    this.opt = new Adam(net.parameters(), { lr: o.lr ?? 1e-3 });
    this.ema = new EMA(net, { gamma: o.emaGamma ?? 7 });
  }
  /** One optimisation step on a batch of float counts; returns the loss. */
  trainStep(n0: Tensor): number {
    const loss = tidy(() => {
      const k = randint(0, this.schedule.T, [n0.shape[0]], { dtype: 'int32' }).dataSync();
      const l = blackoutLoss(this.net, n0, k, this.schedule, this.weights, this.o.nMax, this.o.rateParam ?? 'paper');
      this.opt.zeroGrad();
      l.backward();
      if ((this.o.clip ?? 1) > 0) clipGradNorm(this.net.parameters(), this.o.clip ?? 1);
      this.opt.step();
      return l.item();
    });
    this.ema.update();
    return loss;
  }
}


