// Stateless layer math, written with engine ops (so every function is differentiable to any order and in
// forward mode). Fused native fast paths for the hot ones come with the performance work.
import { Tensor, TensorfieldError, full, tensor, zeros, wrapNative } from '../tensor';
import type { DeviceName } from '../tensor';
import { native } from '../native';
import { conv2d } from '../conv';
import { bernoulli } from '../random';
import { cat } from '../ops';

/** y = x W^T + b, with W [out, in] (PyTorch's layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = x.matmul(weight.T);
  return bias ? y.add(bias) : y;
}

/**
 * GroupNorm over [N, C, ...]: statistics per (sample, group of C/G channels), then a per-channel affine.
 * One fused native op (forward and first-order backward); double backward and JVP use its composite
 * definition. `composite: true` runs that definition directly (for testing).
 */
export function groupNorm(x: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
                          opts: GroupNormOptions = {}): Tensor {
  if ((opts.scale === undefined) !== (opts.shift === undefined)) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'groupNorm: modulation needs both scale and shift');
  const c = opts.codes, ic = opts.inputCodes;
  for (const [name, v] of [['codes', c], ['inputCodes', ic]] as const) {
    if (v == null) continue;
    if (opts.composite) throw new TensorfieldError('TF_INVALID_ARGUMENT', `groupNorm: ${name} (uint8 codes) have no composite form`);
    if (typeof v !== 'object' || typeof v.scale !== 'number' || !Number.isInteger(v.zeroPoint))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `groupNorm: ${name} must be { scale, zeroPoint } (an integer zero point), got ${JSON.stringify(v)}`);
  }
  if (ic == null && x.dtype === 'uint8') throw new TensorfieldError('TF_DTYPE', 'groupNorm: uint8 input needs its coding (inputCodes)');
  return wrapNative(native.groupNorm(x._h, groups, weight ? weight._h : null, bias ? bias._h : null, eps, opts.composite ?? false, opts.silu ?? false,
    opts.scale ? opts.scale._h : null, opts.shift ? opts.shift._h : null, c ? c.scale : null, c ? c.zeroPoint : null,
    ic ? ic.scale : null, ic ? ic.zeroPoint : null));
}
export interface GroupNormOptions {
  /** run the op-by-op definition (tests) */
  composite?: boolean;
  /** SiLU after the norm (and the modulation) */
  silu?: boolean;
  /** [N, C] each: y * scale + shift per sample and channel (FiLM / AdaGN), both or neither */
  scale?: Tensor;
  shift?: Tensor;
  /**
   * Return the result coded to uint8 as an int8 layer codes its input, clamp(round(y / scale) + zeroPoint, 0, 255)
   * (round half to even), instead of float32: the codes a QuantizedConv2d / QuantizedLinear with these input
   * parameters would compute, written in the norm's own pass (the float32 result never goes to memory). float32
   * input, nothing differentiated (TF_INVALID_ARGUMENT otherwise).
   */
  codes?: { scale: number; zeroPoint: number } | null;
  /**
   * x is uint8 codes with this coding (an int8 layer's coded output), read as dequantize() reads them,
   * (q - zeroPoint) * scale, each group decoded in cache: the same result as normalising dequantize(x). Nothing
   * differentiated.
   */
  inputCodes?: { scale: number; zeroPoint: number } | null;
}
/**
 * groupNorm(x) * scale + shift with scale, shift [N, C]: each sample's channels modulated after the norm's own
 * affine (FiLM / AdaGN), then SiLU when `silu`. One pass over the data when nothing is differentiated (each row
 * modulated while in cache, rounded as the ops round it: the same bits), the ops one by one otherwise.
 */
export function groupNormModulated(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, scale: Tensor,
                                   shift: Tensor, opts: { eps?: number; silu?: boolean } & Pick<GroupNormOptions, 'codes' | 'inputCodes'> = {}): Tensor {
  return groupNorm(x, groups, weight, bias, opts.eps ?? 1e-5, { silu: opts.silu, scale, shift, codes: opts.codes, inputCodes: opts.inputCodes });
}
/** silu(groupNorm(x)): one pass over the data when nothing is differentiated (sampling), the two ops otherwise. */
export function groupNormSilu(x: Tensor, groups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5,
                              opts: Pick<GroupNormOptions, 'codes' | 'inputCodes'> = {}): Tensor {
  return groupNorm(x, groups, weight, bias, eps, { silu: true, codes: opts.codes, inputCodes: opts.inputCodes });
}

/** LayerNorm over the trailing `normalizedShape` dims. */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const k = normalizedShape.length;
  const dims = Array.from({ length: k }, (_, i) => x.ndim - k + i);
  const y = x.sub(x.mean(dims, true)).mul(x.var(dims, { keepdim: true, correction: 0 }).add(eps).rsqrt());
  let out = y;
  if (weight) out = out.mul(weight);
  if (bias) out = out.add(bias);
  return out;
}

/** RMSNorm over the last dim: x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, weight?: Tensor | null, eps = 1e-6): Tensor {
  const y = x.mul(x.square().mean(-1, true).add(eps).rsqrt());
  return weight ? y.mul(weight) : y;
}

/** Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when not training. */
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  if (p < 0 || p > 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `dropout: p must be in [0, 1], got ${p}`);
  if (!training || p === 0) return x;
  if (p === 1) return x.mul(0);
  const mask = bernoulli(full(x.shape, 1 - p, { dtype: x.dtype, device: x.device as DeviceName }));
  return x.mul(mask).div(1 - p);
}

export interface AttentionOptions {
  /** Additive mask broadcastable to [..., Lq, Lk] (use -Infinity to block), or a boolean-like uint8 keep-mask. */
  mask?: Tensor | null;
  /** Block attention to later positions (decoder-style). */
  causal?: boolean;
  scale?: number;
}

/**
 * softmax(q k^T * scale + mask) v over [..., L, D] tensors. Without an explicit mask it runs as one native
 * op (GEMM scores, row softmax, GEMM values; fused first-order backward); with a mask, or `composite`, as
 * engine ops.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions & { composite?: boolean } = {}): Tensor {
  const d = q.shape[q.ndim - 1];
  const scale = opts.scale ?? 1 / Math.sqrt(d);
  const batch = (t: Tensor) => String(t.shape.slice(0, -2));
  if (!opts.mask && !opts.composite && q.ndim === k.ndim && k.ndim === v.ndim && batch(q) === batch(k) && batch(k) === batch(v))
    return wrapNative(native.attention(q._h, k._h, v._h, scale, opts.causal ?? false));
  let s = q.matmul(k.transpose(-2, -1)).mul(scale);
  if (opts.causal) {
    const Lq = q.shape[q.ndim - 2], Lk = k.shape[k.ndim - 2];
    s = s.add(causalMask(Lq, Lk, q.dtype, q.device as DeviceName));
  }
  if (opts.mask) s = opts.mask.dtype === 'uint8' ? s.add(opts.mask.eq(0).to(s.dtype).mul(-1e30)) : s.add(opts.mask);
  return s.softmax(-1).matmul(v);
}

/** [Lq, Lk] additive mask: 0 where key j <= query i (aligned at the end), -1e30 elsewhere. */
export function causalMask(Lq: number, Lk: number, dtype: Tensor['dtype'] = 'float32', device: DeviceName = 'cpu'): Tensor {
  const m = new Float64Array(Lq * Lk);
  for (let i = 0; i < Lq; i++) for (let j = 0; j < Lk; j++) if (j > i + (Lk - Lq)) m[i * Lk + j] = -1e30;
  return tensor(m, { shape: [Lq, Lk], dtype, device });
}

/** Nearest-neighbour upsampling of [N, C, H, W] by an integer factor. */
export function upsampleNearest(x: Tensor, scale: number): Tensor {
  const [N, C, H, W] = x.shape;
  return x.reshape(N, C, H, 1, W, 1).expand(N, C, H, scale, W, scale).reshape(N, C, H * scale, W * scale);
}

function interpMatrix(out: number, inp: number, alignCorners: boolean, dtype: Tensor['dtype'], device: DeviceName): Tensor {
  const m = new Float64Array(out * inp);
  for (let o = 0; o < out; o++) {
    let src = alignCorners ? (out > 1 ? (o * (inp - 1)) / (out - 1) : 0) : ((o + 0.5) * inp) / out - 0.5;
    src = Math.max(0, Math.min(src, inp - 1));
    const i0 = Math.floor(src), i1 = Math.min(i0 + 1, inp - 1), f = src - i0;
    m[o * inp + i0] += 1 - f;
    m[o * inp + i1] += f;
  }
  return tensor(m, { shape: [out, inp], dtype, device });
}

/** Bilinear upsampling of [N, C, H, W] to [N, C, H*scale, W*scale] (PyTorch's half-pixel convention). */
export function upsampleBilinear(x: Tensor, scale: number, alignCorners = false): Tensor {
  const [, , H, W] = x.shape;
  const dev = x.device as DeviceName;
  const Ah = interpMatrix(H * scale, H, alignCorners, x.dtype, dev), Aw = interpMatrix(W * scale, W, alignCorners, x.dtype, dev);
  return Ah.matmul(x).matmul(Aw.T);  // separable: rows then columns, as two batched matmuls
}

/** Average pooling (count_include_pad = true, as PyTorch's default) as a depthwise convolution. */
export function avgPool2d(x: Tensor, kernel: number, stride = kernel, padding = 0): Tensor {
  const C = x.shape[1];
  const w = full([C, 1, kernel, kernel], 1 / (kernel * kernel), { dtype: x.dtype });
  return conv2d(x, w, { stride, padding, groups: C });
}

/** Rows of `weight` [num, dim] picked by integer `indices` (any shape) -> [...indices.shape, dim]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  const flat = indices.reshape(-1);
  return weight.indexSelect(0, flat).reshape(...indices.shape, weight.shape[1]);
}

/** DDPM/EDM sinusoidal embedding of t [B] -> [B, dim]: [cos(t f), sin(t f)], f = maxPeriod^(-i/half). */
export function sinusoidalEmbedding(t: Tensor, dim: number, maxPeriod = 10000): Tensor {
  const half = Math.floor(dim / 2);
  // Built from a JS array, not written through a zero-copy data() view: a view keeps its buffer alive until V8
  // collects it, which a training loop calling this every step would turn into steady native growth.
  const fd = new Float64Array(half);
  for (let i = 0; i < half; i++) fd[i] = Math.exp((-Math.log(maxPeriod) * i) / half);
  const freqs = tensor(t.dtype === 'float64' ? fd : Float32Array.from(fd), { shape: [half], device: t.device as DeviceName });
  const a = t.reshape(-1, 1).mul(freqs);
  const e = cat([a.cos(), a.sin()], 1);
  return dim % 2 ? cat([e, zeros([e.shape[0], 1], { dtype: e.dtype, device: e.device as DeviceName })], 1) : e;
}
