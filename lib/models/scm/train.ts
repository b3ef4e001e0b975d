// Training loops: one optimiser step of the TrigFlow diffusion objective (the teacher) and of sCD / sCT.
import { Tensor, TensorfieldError } from '../../tensor';
import { randnLike } from '../../random';
import { tidy } from '../../scope';
import { Adam, AdamOptions } from '../../optim/optimizer';
import { EMA, gammaOfSigmaRel } from '../../optim/ema';
import { LRScheduler, inverseSqrt } from '../../optim/schedule';
import type { Module } from '../../nn/module';
import { TrigFlowNet, ProposalOptions, sampleTime, diffusionLossPerSample, checkSigmaD } from './trigflow';
import { scmLoss, warmupFactor } from './loss';
import type { LogvarHead } from './network';

/** A module computing F(xIn, t). */
export interface TrigFlowModule extends Module { forward(xIn: Tensor, t: Tensor): Tensor }

export interface TrainerOptions extends ProposalOptions {
  sigmaD: number;
  /** Adam settings (paper CM setting: betas (0.9, 0.99)). */
  optim?: AdamOptions;
  /** EMA decay of the evaluated weights (default 0.999). Ignored when emaSigmaRel is set. */
  emaDecay?: number;
  /**
   * EDM2's power-function EMA instead of the fixed decay: relative width sigma_rel in (0, sqrt(1/12)] (sCM:
   * 0.025-0.075), turned into the exponent gamma, and beta_t = (1 - 1/t)^(gamma + 1) at update t.
   */
  emaSigmaRel?: number;
  /** Learning-rate schedule on top of optim.lr: 'constant' (default) or 'inverse-sqrt' (lr / sqrt(max(step / lrRefSteps, 1))). */
  lrSchedule?: 'constant' | 'inverse-sqrt';
  /** t_ref of the inverse-sqrt schedule in steps (the paper: 35k-70k). Required with 'inverse-sqrt'. */
  lrRefSteps?: number;
  /** Adaptive weighting head trained jointly (optional). */
  logvar?: LogvarHead;
}

abstract class TrainerBase {
  opt: Adam;
  ema: EMA;
  sched: LRScheduler | null = null;
  /** The 0-based index of the next step; drives the tangent warm-up and the learning-rate schedule (set it on resume). */
  step = 0;
  constructor(public model: TrigFlowModule, public opts: TrainerOptions) {
    checkSigmaD(opts.sigmaD, 'trainer');
    const params = [...model.parameters(), ...(opts.logvar ? opts.logvar.parameters() : [])];
    this.opt = new Adam(params, { lr: 1e-4, betas: [0.9, 0.99], ...opts.optim });
    this.ema = new EMA(model, opts.emaSigmaRel !== undefined ? { gamma: gammaOfSigmaRel(opts.emaSigmaRel) } : { decay: opts.emaDecay ?? 0.999 });
    const kind = opts.lrSchedule ?? 'constant';
    if (kind === 'inverse-sqrt') {
      const ref = opts.lrRefSteps;
      if (!(Number.isInteger(ref) && ref! > 0)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `trainer: lrRefSteps must be a positive integer for 'inverse-sqrt', got ${ref}`);
      this.sched = new LRScheduler(this.opt, inverseSqrt(ref!));
    } else if (kind !== 'constant') {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `trainer: lrSchedule must be 'constant' or 'inverse-sqrt', got ${String(kind)}`);
    }
  }
  protected times(n: number, dtype: Tensor['dtype']): Tensor {
    return sampleTime(n, this.opts.sigmaD, { pMean: this.opts.pMean, pStd: this.opts.pStd, dtype: dtype === 'float64' ? 'float64' : 'float32' });
  }
  protected update(loss: Tensor): number {
    const v = loss.item();
    if (!Number.isFinite(v)) throw new TensorfieldError('TF_NON_FINITE', `training step ${this.step}: the loss is ${v}`);
    this.opt.zeroGrad();
    loss.backward();
    this.sched?.apply(this.step);
    this.opt.step();
    this.ema.update();
    this.step++;
    return v;
  }
  get net(): TrigFlowNet { return (x, t) => this.model.forward(x, t); }
}

/** The TrigFlow diffusion objective (optionally with the adaptive weighting e^{-w}·L + w). Defaults pMean -0.8, pStd 1.6. */
export class TrigFlowTrainer extends TrainerBase {
  /** One step on a batch x0 [B, ...]; returns the loss. */
  trainStep(x0: Tensor): number {
    return tidy(() => {
      const t = sampleTime(x0.shape[0], this.opts.sigmaD, { pMean: this.opts.pMean ?? -0.8, pStd: this.opts.pStd ?? 1.6, dtype: x0.dtype === 'float64' ? 'float64' : 'float32' });
      const z = randnLike(x0).mul(this.opts.sigmaD);
      let per = diffusionLossPerSample(this.net, x0, t, z, this.opts.sigmaD);
      if (this.opts.logvar) { const w = this.opts.logvar.forward(t); per = per.mul(w.neg().exp()).add(w); }
      return this.update(per.mean());
    });
  }
}

export interface ConsistencyTrainerOptions extends TrainerOptions {
  mode: 'sct' | 'scd';
  teacher?: TrigFlowNet;
  /** Tangent warm-up length H in steps (r = min(1, step/H)); default 1000. */
  warmupSteps?: number;
  tangentC?: number;
  /** 'normalize' (default: g / (RMS(g) + tangentC)) or 'clip' (clip(g, -1, 1)). */
  tangent?: 'normalize' | 'clip';
  priorWeight?: boolean;
}

/** sCD / sCT (Algorithm 1): one JVP per step, stop-gradient target, tangent warm-up and normalisation, EMA. */
export class ConsistencyTrainer extends TrainerBase {
  lastTangentMeanSq = NaN;
  constructor(model: TrigFlowModule, public copts: ConsistencyTrainerOptions) {
    super(model, copts);
    if (copts.mode === 'scd' && typeof copts.teacher !== 'function') throw new TensorfieldError('TF_INVALID_ARGUMENT', 'ConsistencyTrainer: sCD needs a teacher');
    const b = copts.tangent ?? 'normalize';
    if (b !== 'normalize' && b !== 'clip') throw new TensorfieldError('TF_INVALID_ARGUMENT', `ConsistencyTrainer: tangent must be 'normalize' or 'clip', got ${String(b)}`);
  }
  trainStep(x0: Tensor): number {
    return tidy(() => {
      const o = this.copts;
      const t = this.times(x0.shape[0], x0.dtype);
      const lv = o.logvar;
      const res = scmLoss(this.net, x0, t, {
        sigmaD: o.sigmaD, mode: o.mode, teacher: o.teacher, warmup: warmupFactor(this.step, o.warmupSteps ?? 1000),
        tangentC: o.tangentC, tangent: o.tangent, priorWeight: o.priorWeight, logvar: lv ? (tt) => lv.forward(tt) : undefined,
      });
      this.lastTangentMeanSq = res.tangentMeanSq;
      return this.update(res.loss);
    });
  }
}
