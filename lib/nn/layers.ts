// Layers with PyTorch's parameter layouts and default initialisation (seeded by tensorfield.manualSeed).
import { Tensor, TensorfieldError, ones, zeros, tensor } from '../tensor';
import type { DeviceName } from '../tensor';
import { rand, randn } from '../random';
import { conv2d, convTranspose2d, Pair } from '../conv';
import { cat } from '../ops';
import { Module } from './module';
import * as F from './functional';
import { noGrad, isGradEnabled } from '../autograd';
import { int8Attention, dequantize } from '../quant/ops';

/** uniform(-bound, bound), PyTorch's default for Linear/Conv weights and biases (bound = 1/sqrt(fan_in)). */
/**
 * r + layer(h), a residual connection. A layer with a fused form implements forwardAdd (the int8 layers add r in
 * their epilogue, saving a pass over both tensors); any other runs as r.add(layer.forward(h)). Float addition
 * commutes, so both give the same bits.
 */
export function forwardAdd(layer: Module & { forward(h: Tensor): Tensor }, h: Tensor, r: Tensor): Tensor {
  const fused = (layer as { forwardAdd?: (h: Tensor, r: Tensor) => Tensor }).forwardAdd;
  return fused ? fused.call(layer, h, r) : r.add(layer.forward(h));
}

/** A uint8 coding of activations: code = clamp(round(x / scale) + zeroPoint, 0, 255). */
export interface ActCoding { scale: number; zeroPoint: number }
/**
 * The coding `layer` codes its float32 input with, when it also takes that input as uint8 codes (an int8 layer
 * with static input parameters: lib/quant/layers.ts); null otherwise. A norm before such a layer can write the codes
 * in its own pass (GroupNorm's `codes`), the same bytes the layer would compute, four times fewer than float32.
 * Dropout between the two must be inactive (codes are not scaled).
 */
export function inputCoding(layer: Module): ActCoding | null {
  const f = (layer as { inputCoding?: () => ActCoding | null }).inputCoding;
  return f ? f.call(layer) : null;
}

/**
 * The coding `layer` codes its output with, when it can return that output as uint8 codes (forwardCoded: an int8
 * layer that quantizes its output); null otherwise. A norm after it can read the codes (GroupNorm's
 * `inputCodes`): the same values as the float32 output, which decodes the same codes.
 */
export function outputCoding(layer: Module): ActCoding | null {
  const l = layer as { outputCoding?: () => ActCoding | null; forwardCoded?: unknown };
  return l.outputCoding && l.forwardCoded ? l.outputCoding() : null;
}
/** layer(h) as the uint8 codes of outputCoding(layer) (which must not be null). */
export function forwardCoded(layer: Module, h: Tensor): Tensor {
  const f = (layer as { forwardCoded?: (h: Tensor) => Tensor }).forwardCoded;
  if (!f || !outputCoding(layer)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `forwardCoded: ${layer.constructor.name} has no coded output`);
  return f.call(layer, h);
}

export function uniform(shape: number[], bound: number): Tensor {
  return rand(shape).mul(2 * bound).sub(bound);
}
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : v);

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(public inFeatures: number, public outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    const b = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', uniform([outFeatures, inFeatures], b));
    this.bias = opts.bias === false ? null : this.param('bias', uniform([outFeatures], b));
  }
  forward(x: Tensor): Tensor { return F.linear(x, this.weight, this.bias); }
}

export interface ConvOptions { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number; bias?: boolean }

export class Conv2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(public inChannels: number, public outChannels: number, kernelSize: Pair, public opts: ConvOptions = {}) {
    super();
    const [kh, kw] = pair(kernelSize);
    const g = opts.groups ?? 1;
    if (inChannels % g || outChannels % g) throw new TensorfieldError('TF_SHAPE_MISMATCH', `Conv2d: channels ${inChannels}/${outChannels} not divisible by groups ${g}`);
    const b = 1 / Math.sqrt((inChannels / g) * kh * kw);
    this.weight = this.param('weight', uniform([outChannels, inChannels / g, kh, kw], b));
    this.bias = opts.bias === false ? null : this.param('bias', uniform([outChannels], b));
  }
  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups } = this.opts;
    return conv2d(x, this.weight, { bias: this.bias, stride, padding, dilation, groups });
  }
}

/** Conv1d over [N, C, L], computed as a conv2d over [N, C, 1, L]. */
export class Conv1d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(public inChannels: number, public outChannels: number, public kernelSize: number,
              public opts: { stride?: number; padding?: number; dilation?: number; groups?: number; bias?: boolean } = {}) {
    super();
    const g = opts.groups ?? 1;
    const b = 1 / Math.sqrt((inChannels / g) * kernelSize);
    this.weight = this.param('weight', uniform([outChannels, inChannels / g, kernelSize], b));
    this.bias = opts.bias === false ? null : this.param('bias', uniform([outChannels], b));
  }
  forward(x: Tensor): Tensor {
    const { stride = 1, padding = 0, dilation = 1, groups } = this.opts;
    const y = conv2d(x.unsqueeze(2), this.weight.unsqueeze(2), { bias: this.bias, stride: [1, stride], padding: [0, padding], dilation: [1, dilation], groups });
    return y.squeeze(2);
  }
}

export class ConvTranspose2d extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(public inChannels: number, public outChannels: number, kernelSize: Pair,
              public opts: ConvOptions & { outputPadding?: Pair } = {}) {
    super();
    const [kh, kw] = pair(kernelSize);
    const g = opts.groups ?? 1;
    const b = 1 / Math.sqrt((outChannels / g) * kh * kw);  // PyTorch takes fan_in from weight dim 1
    this.weight = this.param('weight', uniform([inChannels, outChannels / g, kh, kw], b));
    this.bias = opts.bias === false ? null : this.param('bias', uniform([outChannels], b));
  }
  forward(x: Tensor): Tensor {
    const { stride, padding, dilation, groups, outputPadding } = this.opts;
    return convTranspose2d(x, this.weight, { bias: this.bias, stride, padding, dilation, groups, outputPadding });
  }
}

export class Upsample extends Module {
  constructor(public scaleFactor: number, public mode: 'nearest' | 'bilinear' = 'nearest', public alignCorners = false) { super(); }
  forward(x: Tensor): Tensor {
    return this.mode === 'nearest' ? F.upsampleNearest(x, this.scaleFactor) : F.upsampleBilinear(x, this.scaleFactor, this.alignCorners);
  }
}

export class AvgPool2d extends Module {
  constructor(public kernelSize: number, public stride = kernelSize, public padding = 0) { super(); }
  forward(x: Tensor): Tensor { return F.avgPool2d(x, this.kernelSize, this.stride, this.padding); }
}

export class GroupNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  constructor(public numGroups: number, public numChannels: number, public opts: { eps?: number; affine?: boolean } = {}) {
    super();
    if (numChannels % numGroups) throw new TensorfieldError('TF_SHAPE_MISMATCH', `GroupNorm: ${numChannels} channels not divisible into ${numGroups} groups`);
    const affine = opts.affine ?? true;
    this.weight = affine ? this.param('weight', ones([numChannels])) : null;
    this.bias = affine ? this.param('bias', zeros([numChannels])) : null;
  }
  /** The norm; with `codes`, as forwardSilu's (uint8 codes for the int8 layer that reads the result). */
  forward(x: Tensor, codes: ActCoding | null = null): Tensor {
    const [xx, ic, c] = this.coded(x, null, codes, []);
    return F.groupNorm(xx, this.numGroups, this.weight, this.bias, this.opts.eps ?? 1e-5, { codes: c, inputCodes: ic });
  }
  /**
   * silu(forward(x)), fused into one pass when nothing is differentiated. With `codes` (inputCoding of the int8
   * layer that reads the result), the result as those uint8 codes when nothing is differentiated, else float32:
   * the layer takes either and computes the same.
   */
  forwardSilu(x: Tensor, codes: ActCoding | null = null, inputCodes: ActCoding | null = null): Tensor {
    const [xx, ic, c] = this.coded(x, inputCodes, codes, []);
    return F.groupNormSilu(xx, this.numGroups, this.weight, this.bias, this.opts.eps ?? 1e-5, { codes: c, inputCodes: ic });
  }
  /**
   * forward(x) * scale + shift (scale, shift [N, C]), then SiLU when `silu`: F.groupNormModulated. `codes` as
   * forwardSilu; x may be uint8 codes with `inputCodes` (outputCoding of the int8 layer that wrote them).
   */
  forwardModulated(x: Tensor, scale: Tensor, shift: Tensor, silu = false, codes: ActCoding | null = null,
                   inputCodes: ActCoding | null = null): Tensor {
    const [xx, ic, c] = this.coded(x, inputCodes, codes, [scale, shift]);
    return F.groupNormModulated(xx, this.numGroups, this.weight, this.bias, scale, shift,
      { eps: this.opts.eps ?? 1e-5, silu, codes: c, inputCodes: ic });
  }
  // The coded ops run only where nothing is differentiated: otherwise a coded input is decoded first (as the
  // op would) and the output is float32 (the int8 layer after it codes that itself: the same bytes).
  private coded(x: Tensor, inputCodes: ActCoding | null, codes: ActCoding | null, more: Tensor[]): [Tensor, ActCoding | null, ActCoding | null] {
    const diff = isGradEnabled() && [x, this.weight, this.bias, ...more].some((t) => t?.requiresGrad);
    if (x.dtype === 'uint8') {
      if (!inputCodes) throw new TensorfieldError('TF_DTYPE', 'GroupNorm: uint8 input needs its coding (inputCodes)');
      return diff ? [dequantize(x, inputCodes.scale, inputCodes.zeroPoint), null, null] : [x, inputCodes, codes];
    }
    return [x, null, codes && x.dtype === 'float32' && !diff ? codes : null];
  }
}

export class LayerNorm extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  shape: number[];
  constructor(normalizedShape: number | number[], public opts: { eps?: number; affine?: boolean } = {}) {
    super();
    this.shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    const affine = opts.affine ?? true;
    this.weight = affine ? this.param('weight', ones(this.shape)) : null;
    this.bias = affine ? this.param('bias', zeros(this.shape)) : null;
  }
  forward(x: Tensor): Tensor { return F.layerNorm(x, this.shape, this.weight, this.bias, this.opts.eps ?? 1e-5); }
}

export class RMSNorm extends Module {
  weight: Tensor;
  constructor(public dim: number, public eps = 1e-6) {
    super();
    this.weight = this.param('weight', ones([dim]));
  }
  forward(x: Tensor): Tensor { return F.rmsNorm(x, this.weight, this.eps); }
}

export class Dropout extends Module {
  constructor(public p = 0.5) { super(); }
  forward(x: Tensor): Tensor { return F.dropout(x, this.p, this.training); }
}

export class Embedding extends Module {
  weight: Tensor;
  constructor(public numEmbeddings: number, public dim: number) {
    super();
    this.weight = this.param('weight', randn([numEmbeddings, dim]));
  }
  forward(indices: Tensor): Tensor { return F.embedding(indices, this.weight); }
}

/**
 * Multi-head attention over [B, L, E] sequences (batch first). Self-attention when `context` is omitted,
 * cross-attention to context [B, S, Ec] otherwise; optional causal mask or additive mask.
 */
export class MultiheadAttention extends Module {
  q: Linear; k: Linear; v: Linear; out: Linear;
  /** run the score and value products through the int8 GEMM (quantizeModel's int8Attention option) */
  int8Products = false;
  constructor(public embedDim: number, public numHeads: number, opts: { contextDim?: number; bias?: boolean } = {}) {
    super();
    if (embedDim % numHeads) throw new TensorfieldError('TF_SHAPE_MISMATCH', `MultiheadAttention: embedDim ${embedDim} not divisible by ${numHeads} heads`);
    const c = opts.contextDim ?? embedDim;
    this.q = this.module('q', new Linear(embedDim, embedDim, opts));
    this.k = this.module('k', new Linear(c, embedDim, opts));
    this.v = this.module('v', new Linear(c, embedDim, opts));
    this.out = this.module('out', new Linear(embedDim, embedDim, opts));
  }
  /**
   * The one static input coding of q, k and v when all three are int8 layers that code their input alike (self-
   * attention after calibration on one tensor): the input can then come as those codes, coded once (null
   * otherwise; quantize-aware wrappers with learned scales usually differ).
   */
  sharedInputCoding(): ActCoding | null {
    const [a, b, c] = [this.q, this.k, this.v].map((l) => inputCoding(l));
    return a && b && c && a.scale === b.scale && a.scale === c.scale && a.zeroPoint === b.zeroPoint && a.zeroPoint === c.zeroPoint ? a : null;
  }
  forward(x: Tensor, context?: Tensor | null, opts: F.AttentionOptions = {}): Tensor {
    const [B, L] = x.shape;
    // codes (sharedInputCoding) made contiguous once, not copied by each of the three layers
    if (x.dtype === 'uint8' && !context) x = x.contiguous();
    const ctx = context ?? x;
    const S = ctx.shape[1], h = this.numHeads, d = this.embedDim / h;
    const split = (t: Tensor, n: number) => t.reshape(B, n, h, d).transpose(1, 2);  // [B, h, n, d]
    const [q, k, v] = [split(this.q.forward(x), L), split(this.k.forward(ctx), S), split(this.v.forward(ctx), S)];
    if (this.int8Products && (opts.mask || opts.causal))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', 'MultiheadAttention: int8 products support unmasked attention only');
    const a = this.int8Products ? int8Attention(q, k, v, opts.scale) : F.scaledDotProductAttention(q, k, v, opts);
    return this.out.forward(a.transpose(1, 2).reshape(B, L, this.embedDim));
  }
}

/** Attention over the pixels of a feature map [N, C, H, W] (GroupNorm, then multi-head self-attention, residual). */
export class AttentionBlock2d extends Module {
  norm: GroupNorm; attn: MultiheadAttention;
  constructor(public channels: number, heads = 1, groups = 8) {
    super();
    this.norm = this.module('norm', new GroupNorm(Math.min(groups, channels), channels));
    this.attn = this.module('attn', new MultiheadAttention(channels, heads));
  }
  forward(x: Tensor): Tensor {
    const [N, C, H, W] = x.shape;
    // int8 q, k, v with one input coding: the norm writes their codes, once
    const tok = this.norm.forward(x, this.attn.sharedInputCoding()).reshape(N, C, H * W).transpose(1, 2);
    return x.add(this.attn.forward(tok).transpose(1, 2).reshape(N, C, H, W));
  }
}

/** GRU cell (PyTorch's gate layout: reset, update, new). */
export class GRUCell extends Module {
  ih: Linear; hh: Linear;
  constructor(public inputSize: number, public hiddenSize: number) {
    super();
    this.ih = this.module('ih', new Linear(inputSize, 3 * hiddenSize));
    this.hh = this.module('hh', new Linear(hiddenSize, 3 * hiddenSize));
    // PyTorch initialises every GRU weight with uniform(+-1/sqrt(hidden))
    const b = 1 / Math.sqrt(hiddenSize);
    noGrad(() => {
      for (const lin of [this.ih, this.hh]) {
        lin.weight.copy_(uniform(lin.weight.shape, b));
        lin.bias!.copy_(uniform(lin.bias!.shape, b));
      }
    });
  }
  forward(x: Tensor, h?: Tensor | null): Tensor {
    const hp = h ?? zeros([x.shape[0], this.hiddenSize], { dtype: x.dtype, device: x.device as DeviceName });
    const gi = this.ih.forward(x), gh = this.hh.forward(hp);
    const H = this.hiddenSize;
    const r = gi.narrow(1, 0, H).add(gh.narrow(1, 0, H)).sigmoid();
    const z = gi.narrow(1, H, H).add(gh.narrow(1, H, H)).sigmoid();
    const n = gi.narrow(1, 2 * H, H).add(r.mul(gh.narrow(1, 2 * H, H))).tanh();
    return z.neg().add(1).mul(n).add(z.mul(hp));
  }
}

type Fwd = Module & { forward(x: Tensor): Tensor };
export class Sequential extends Module {
  layers: Fwd[];
  constructor(...layers: Fwd[]) {
    super();
    this.layers = layers.map((l, i) => this.module(String(i), l));
  }
  forward(x: Tensor): Tensor { return this.layers.reduce((h, l) => l.forward(h), x); }
}

/** A parameter-free activation as a module, for Sequential. */
export class Activation extends Module {
  constructor(public fn: 'silu' | 'relu' | 'gelu' | 'tanh' | 'sigmoid') { super(); }
  forward(x: Tensor): Tensor { return x[this.fn](); }
}

/** Sinusoidal embedding of a scalar per sample (noise level / time), [B] -> [B, dim]. */
export class SinusoidalEmbedding extends Module {
  constructor(public dim: number, public maxPeriod = 10000, public scale = 1) { super(); }
  forward(t: Tensor): Tensor { return F.sinusoidalEmbedding(t.mul(this.scale), this.dim, this.maxPeriod); }
}

/** Random Fourier features (fixed Gaussian frequencies, a buffer): [B] -> [B, dim] = [sin(2 pi t w), cos(2 pi t w)]. */
export class FourierFeatures extends Module {
  freqs: Tensor;
  constructor(public dim: number, scale = 16) {
    super();
    this.freqs = this.buffer('freqs', randn([Math.floor(dim / 2)]).mul(scale));
  }
  forward(t: Tensor): Tensor {
    const a = t.reshape(-1, 1).mul(this.freqs).mul(2 * Math.PI);
    return cat([a.sin(), a.cos()], 1);
  }
}

/** Positional embeddings for sequences [B, L, E]: learned (a parameter) or fixed sinusoidal. */
export class PositionalEmbedding extends Module {
  table: Tensor;
  constructor(public maxLen: number, public dim: number, public kind: 'learned' | 'sinusoidal' = 'learned') {
    super();
    if (kind === 'learned') {
      this.table = this.param('table', randn([maxLen, dim]).mul(0.02));
    } else {
      const pos = tensor(Float32Array.from({ length: maxLen }, (_, i) => i));
      this.table = this.buffer('table', F.sinusoidalEmbedding(pos, dim));
    }
  }
  forward(x: Tensor): Tensor {
    const L = x.shape[1];
    if (L > this.maxLen) throw new TensorfieldError('TF_SHAPE_MISMATCH', `PositionalEmbedding: sequence length ${L} > maxLen ${this.maxLen}`);
    return x.add(this.table.narrow(0, 0, L));
  }
}

/**
 * Adaptive normalisation: GroupNorm without its own affine, then a scale and shift predicted from a
 * conditioning vector: y = norm(x) * (1 + scale(c)) + shift(c). The projection starts at zero, so the
 * block starts as a plain normalisation.
 */
export class AdaptiveGroupNorm extends Module {
  proj: Linear;
  constructor(public groups: number, public channels: number, condDim: number, public eps = 1e-5) {
    super();
    this.proj = this.module('proj', new Linear(condDim, 2 * channels));
    noGrad(() => { this.proj.weight.zero_(); this.proj.bias!.zero_(); });
  }
  forward(x: Tensor, cond: Tensor): Tensor {
    const ss = this.proj.forward(cond);
    const shape = [x.shape[0], this.channels, ...x.shape.slice(2).map(() => 1)];
    const scale = ss.narrow(1, 0, this.channels).reshape(shape), shift = ss.narrow(1, this.channels, this.channels).reshape(shape);
    return F.groupNorm(x, this.groups, null, null, this.eps).mul(scale.add(1)).add(shift);
  }
}
