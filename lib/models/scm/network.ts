// sCM network pieces for vector data: time conditioning c_noise(t) = t through a sinusoidal (positional)
// embedding, adaptive double normalisation, a residual MLP F(x, t), and the adaptive-weighting head w(t).
// Layers take a dtype so the JVP can be checked in float64.
import { Tensor, TensorfieldError } from '../../tensor';
import { rand } from '../../random';
import { tidy } from '../../scope';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import * as Fn from '../../nn/functional';

export type DTypeF = 'float32' | 'float64';

/** A Linear layer (PyTorch's layout and uniform(±1/sqrt(fan_in)) initialisation) in a chosen float dtype. */
export class Dense extends Module {
  weight: Tensor;
  bias: Tensor;
  constructor(public inFeatures: number, public outFeatures: number, dtype: DTypeF = 'float32') {
    super();
    const b = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', tidy(() => rand([outFeatures, inFeatures], { dtype }).mul(2 * b).sub(b)));
    this.bias = this.param('bias', tidy(() => rand([outFeatures], { dtype }).mul(2 * b).sub(b)));
  }
  forward(x: Tensor): Tensor { return Fn.linear(x, this.weight, this.bias); }
}

/**
 * pnorm(a) = a / sqrt(mean_c(a²) + 1e-8): RMS normalisation over the channel (last) dimension, no affine (the
 * paper's name for RMSNorm without a weight).
 */
export function pnorm(a: Tensor, eps = 1e-8): Tensor {
  return Fn.rmsNorm(a, null, eps);
}

/**
 * Positional time embedding of c_noise(t) = t: sinusoids of t·scale with periods up to maxPeriod, [B] -> [B, dim].
 * The identity noise label keeps dF/dt bounded near t = pi/2 (EDM's log sigma label makes sin t·dc/dt blow up),
 * and fixed geometric frequencies avoid the large-scale Fourier features the paper found destabilising.
 */
export class TimeEmbedding extends Module {
  constructor(public dim: number, public scale = 1, public maxPeriod = 10) {
    super();
    if (!Number.isInteger(dim) || dim < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `TimeEmbedding: dim must be an integer >= 2, got ${dim}`);
  }
  forward(t: Tensor): Tensor { return Fn.sinusoidalEmbedding(t.mul(this.scale), this.dim, this.maxPeriod); }
}

/**
 * Adaptive double normalisation: y = norm(x) ⊙ pnorm(s(c)) + pnorm(b(c)), norm = LayerNorm over features without
 * affine. Normalising the predicted scale and shift bounds their size whatever the conditioning does, which is
 * what keeps the time derivative of F (the JVP) tame. s and b are not zero-initialised: pnorm of 0 has an
 * unbounded derivative.
 */
export class AdaptiveDoubleNorm extends Module {
  scale: Dense;
  shift: Dense;
  constructor(public features: number, condDim: number, dtype: DTypeF = 'float32', public eps = 1e-5) {
    super();
    this.scale = this.module('scale', new Dense(condDim, features, dtype));
    this.shift = this.module('shift', new Dense(condDim, features, dtype));
  }
  forward(x: Tensor, cond: Tensor): Tensor {
    const n = Fn.layerNorm(x, [this.features], null, null, this.eps);
    return n.mul(pnorm(this.scale.forward(cond))).add(pnorm(this.shift.forward(cond)));
  }
}

export interface ScmMLPOptions {
  dim: number;
  hidden?: number;
  blocks?: number;
  embDim?: number;
  /** Multiplies t before the embedding (default 1: c_noise(t) = t). */
  timeScale?: number;
  dtype?: DTypeF;
}

/** F(xIn, t) for vector data [B, dim]: residual MLP blocks h += W(silu(ADN(h, e(t)))), e = silu(Dense(emb(t))). */
export class ScmMLP extends Module {
  emb: TimeEmbedding;
  embProj: Dense;
  inp: Dense;
  norms: AdaptiveDoubleNorm[] = [];
  lins: Dense[] = [];
  outNorm: AdaptiveDoubleNorm;
  out: Dense;
  readonly opts: Required<ScmMLPOptions>;
  constructor(opts: ScmMLPOptions) {
    super();
    const o = { hidden: 128, blocks: 3, embDim: 64, timeScale: 1, dtype: 'float32' as DTypeF, ...opts };
    for (const k of ['dim', 'hidden', 'blocks', 'embDim'] as const) {
      if (!Number.isInteger(o[k]) || o[k] < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `ScmMLP: ${k} must be a positive integer, got ${o[k]}`);
    }
    this.opts = o;
    this.emb = this.module('emb', new TimeEmbedding(o.embDim, o.timeScale));
    this.embProj = this.module('embProj', new Dense(o.embDim, o.hidden, o.dtype));
    this.inp = this.module('inp', new Dense(o.dim, o.hidden, o.dtype));
    for (let i = 0; i < o.blocks; i++) {
      this.norms.push(this.module(`norm${i}`, new AdaptiveDoubleNorm(o.hidden, o.hidden, o.dtype)));
      this.lins.push(this.module(`lin${i}`, new Dense(o.hidden, o.hidden, o.dtype)));
    }
    this.outNorm = this.module('outNorm', new AdaptiveDoubleNorm(o.hidden, o.hidden, o.dtype));
    this.out = this.module('out', new Dense(o.hidden, o.dim, o.dtype));
  }
  forward(xIn: Tensor, t: Tensor): Tensor {
    if (xIn.ndim !== 2 || xIn.shape[1] !== this.opts.dim) throw new TensorfieldError('TF_SHAPE_MISMATCH', `ScmMLP: expected x [B, ${this.opts.dim}], got [${xIn.shape}]`);
    if (t.ndim !== 1 || t.shape[0] !== xIn.shape[0]) throw new TensorfieldError('TF_SHAPE_MISMATCH', `ScmMLP: expected t [${xIn.shape[0]}], got [${t.shape}]`);
    const e = this.embProj.forward(this.emb.forward(t.to(xIn.dtype))).silu();
    let h = this.inp.forward(xIn);
    for (let i = 0; i < this.lins.length; i++) h = h.add(this.lins[i].forward(this.norms[i].forward(h, e).silu()));
    return this.out.forward(this.outNorm.forward(h, e).silu());
  }
  /** As a TrigFlowNet closure. */
  asNet(): (xIn: Tensor, t: Tensor) => Tensor { return (x, t) => this.forward(x, t); }
}

/**
 * The adaptive weighting head w(t) = Linear(positional embedding(t)), one log-variance per sample [B]. Trained
 * jointly with F through the loss e^{-w}·L + w, whose minimiser over w is log L: it learns the loss scale per t.
 * Starts at zero (weight 1).
 */
export class LogvarHead extends Module {
  emb: TimeEmbedding;
  lin: Dense;
  constructor(embDim = 128, dtype: DTypeF = 'float32', timeScale = 1) {
    super();
    this.emb = this.module('emb', new TimeEmbedding(embDim, timeScale));
    this.lin = this.module('lin', new Dense(embDim, 1, dtype));
    noGrad(() => { this.lin.weight.zero_(); this.lin.bias.zero_(); });
  }
  forward(t: Tensor): Tensor { return this.lin.forward(this.emb.forward(t.to(this.lin.weight.dtype))).reshape(-1); }
}
