// Training a DSNO operator on stored teacher trajectories: Adam (the code's lr 2e-4, betas 0.9/0.999) with a
// linear warm-up from 1e-3 of the rate, an EMA of the weights, minibatches drawn with replacement.
import { Tensor, TensorfieldError } from '../../tensor';
import { randint } from '../../random';
import { noGrad } from '../../autograd';
import { tidy } from '../../scope';
import { Adam } from '../../optim';
import { EMA } from '../../optim/ema';
import { Module } from '../../nn/module';
import { dsnoLoss, type DsnoDistance } from './loss';

export interface DsnoTrainOptions {
  lr?: number;
  warmupSteps?: number;
  emaDecay?: number;
  distance?: DsnoDistance;
  /** per-slice loss weights (schedule.sliceWeights of the target times) */
  weights: number[];
  sigmaD: number;
}

export class DsnoTrainer {
  readonly opt: Adam;
  readonly ema: EMA;
  steps = 0;
  constructor(readonly net: Module & { forward(x: Tensor): Tensor }, readonly o: DsnoTrainOptions) {
    if (!(o.sigmaD > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `DsnoTrainer: sigmaD must be > 0, got ${o.sigmaD}`);
    this.opt = new Adam(net.parameters(), { lr: o.lr ?? 2e-4, betas: [0.9, 0.999], eps: 1e-8 });
    this.ema = new EMA(net, { decay: o.emaDecay ?? 0.999 });
  }

  /** One step on xT [B, ...] and traj [B, M, ...] in data units. Returns the loss. */
  step(xT: Tensor, traj: Tensor): number {
    const lr = this.o.lr ?? 2e-4, wu = this.o.warmupSteps ?? 0;
    this.opt.groups[0].lr = wu > 0 ? lr * Math.min(1, 1e-3 + (this.steps / wu) * (1 - 1e-3)) : lr;
    const sd = this.o.sigmaD;
    const { loss } = dsnoLoss(this.net.forward(xT.div(sd)), traj.div(sd), this.o.weights, this.o.distance ?? 'l1', { dataScale: sd });
    this.opt.zeroGrad();
    loss.backward();
    this.opt.step();
    this.ema.update();
    this.steps++;
    return loss.item();
  }

  /** A step on a random minibatch of stored trajectories. */
  stepFrom(xT: Tensor, traj: Tensor, batch: number): number {
    const idx = randint(0, xT.shape[0], [batch]);
    return this.step(xT.indexSelect(0, idx), traj.indexSelect(0, idx));
  }
}

/**
 * The whole trajectory in one call: z [B, ...] noise in data units -> [B, M, ...] states in data units. Runs
 * without autograd and in its own scope, so the network's intermediates are freed when it returns (left to the
 * garbage collector they made a call at batch 50 on the Fashion U-Net several times slower).
 */
export function dsnoSample(net: { forward(x: Tensor): Tensor }, z: Tensor, sigmaD: number): Tensor {
  if (!(sigmaD > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dsnoSample: sigmaD must be > 0, got ${sigmaD}`);
  return noGrad(() => tidy(() => net.forward(z.div(sigmaD)).mul(sigmaD)));
}
