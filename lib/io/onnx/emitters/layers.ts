// ONNX emitters for the nn layers (lib/nn/layers.ts, activations.ts): each writes the nodes of its class's
// forward() in eval mode (Dropout is the identity), with the same order of float operations where it matters
// for agreement (e.g. the sinusoidal embedding scales t before multiplying by the frequencies, as forward does).
import { TensorfieldError } from '../../../tensor';
import {
  Activation, AttentionBlock2d, AvgPool2d, Conv2d, Dropout, Embedding, FourierFeatures, GroupNorm, LayerNorm, Linear,
  MultiheadAttention, PositionalEmbedding, RMSNorm, Sequential, SinusoidalEmbedding, Upsample,
} from '../../../nn/layers';
import { Flatten, GELU, Identity, ReLU, SiLU, Sigmoid, Tanh } from '../../../nn/activations';
import type { Module } from '../../../nn/module';
import type { Tensor } from '../../../tensor';
import { OnnxContext, registerOnnxEmitter } from '../graph';

const pair = (v: number | [number, number] | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

export function silu(ctx: OnnxContext, x: string, base = 'silu'): string {
  return ctx.op('Mul', [x, ctx.op('Sigmoid', [x], {}, base)], {}, base);
}

/** GELU, exact (0.5 x (1 + erf(x / sqrt 2))) or the tanh form, written with opset-17 ops (Gelu is opset 20). */
export function gelu(ctx: OnnxContext, x: string, approximate: 'none' | 'tanh', base = 'gelu'): string {
  let inner: string;
  if (approximate === 'tanh') {
    const x3 = ctx.op('Mul', [ctx.op('Mul', [x, x], {}, base), x], {}, base);
    const u = ctx.op('Mul', [ctx.op('Add', [x, ctx.op('Mul', [x3, ctx.scalar(0.044715)], {}, base)], {}, base), ctx.scalar(Math.sqrt(2 / Math.PI))], {}, base);
    inner = ctx.op('Tanh', [u], {}, base);
  } else {
    inner = ctx.op('Erf', [ctx.op('Mul', [x, ctx.scalar(Math.SQRT1_2)], {}, base)], {}, base);
  }
  const half = ctx.op('Mul', [x, ctx.scalar(0.5)], {}, base);
  return ctx.op('Mul', [half, ctx.op('Add', [inner, ctx.scalar(1)], {}, base)], {}, base);
}

/** y = x W^T + b as MatMul with the transposed weight (any leading dims) and Add. */
export function linear(ctx: OnnxContext, m: Module, weight: Tensor, bias: Tensor | null, x: string): string {
  const [out, inp] = weight.shape;
  const wt = ctx.tensor(ctx.base(m, 'weight'), weight.detach().T.contiguous(), [inp, out]);
  const y = ctx.op('MatMul', [x, wt], {}, ctx.base(m, 'matmul'));
  return bias ? ctx.op('Add', [y, ctx.tensor(ctx.base(m, 'bias'), bias)], {}, ctx.base(m, 'out')) : y;
}

export function convAttrs(kernel: number[], o: { stride?: number | [number, number]; padding?: number | [number, number]; dilation?: number | [number, number]; groups?: number }) {
  const [ph, pw] = pair(o.padding, 0);
  return {
    kernel_shape: { ints: kernel }, strides: { ints: pair(o.stride, 1) }, pads: { ints: [ph, pw, ph, pw] },
    dilations: { ints: pair(o.dilation, 1) }, group: { i: o.groups ?? 1 },
  };
}

/**
 * GroupNorm over [N, C, ...]: InstanceNormalization over [N, G, C/G * spatial] (unit scale, zero shift), then
 * the per-channel affine on [N, C, rest], and the input's shape back. (GroupNormalization is opset 18, and its
 * scale was per group until opset 21, so the portable form is this one.)
 */
export function groupNorm(ctx: OnnxContext, m: Module, x: string, groups: number, channels: number, weight: Tensor | null, bias: Tensor | null, eps: number): string {
  const b = ctx.base(m, 'gn');
  const shape = ctx.op('Shape', [x], {}, b);
  const g = ctx.op('Reshape', [x, ctx.ints([0, groups, -1])], {}, b);
  const ones = ctx.initializer(`${b}.ones`, 'float32', [groups], new Array(groups).fill(1));
  const zeros = ctx.initializer(`${b}.zeros`, 'float32', [groups], new Array(groups).fill(0));
  let y = ctx.op('InstanceNormalization', [g, ones, zeros], { epsilon: { f: eps } }, b);
  if (weight || bias) {
    y = ctx.op('Reshape', [y, ctx.ints([0, channels, -1])], {}, b);
    if (weight) y = ctx.op('Mul', [y, ctx.tensor(ctx.base(m, 'weight'), weight, [channels, 1])], {}, b);
    if (bias) y = ctx.op('Add', [y, ctx.tensor(ctx.base(m, 'bias'), bias, [channels, 1])], {}, b);
  }
  return ctx.op('Reshape', [y, shape], {}, b);
}

/** Self-attention (causal: strictly-later keys masked with -1e30, as causalMask) or cross-attention to a context. */
function attention(ctx: OnnxContext, m: MultiheadAttention, x: string, context: string | undefined, causal: boolean): string {
  if (m.int8Products)
    throw new TensorfieldError('TF_UNSUPPORTED', `exportOnnx: '${ctx.pathOf(m)}' runs its attention products in int8 (quantizeModel's int8Attention), which has no QDQ export; quantize without int8Attention`);
  if (causal && context)
    throw new TensorfieldError('TF_UNSUPPORTED', `exportOnnx: '${ctx.pathOf(m)}': causal cross-attention is not exported (only causal self-attention)`);
  const h = m.numHeads, d = m.embedDim / h, b = ctx.base(m, 'attn');
  const src = context ?? x;
  const heads = (t: string, perm: number[]) => ctx.op('Transpose', [ctx.op('Reshape', [t, ctx.ints([0, 0, h, d])], {}, b)], { perm: { ints: perm } }, b);
  const q = heads(ctx.emit(m.q, [x]), [0, 2, 1, 3]);       // [B, h, L, d]
  const kT = heads(ctx.emit(m.k, [src]), [0, 2, 3, 1]);    // [B, h, d, S]
  const v = heads(ctx.emit(m.v, [src]), [0, 2, 1, 3]);     // [B, h, S, d]
  let s = ctx.op('Mul', [ctx.op('MatMul', [q, kT], {}, b), ctx.scalar(1 / Math.sqrt(d))], {}, b);
  if (causal) {
    // [L, L] ones -> strictly upper triangle (Trilu, k = 1) -> times -1e30, added to the scores
    const ll = ctx.op('Shape', [s], { start: { i: -2 } }, b);
    const ones = ctx.op('ConstantOfShape', [ll], { value: { t: { name: 'one', dtype: 'float32', dims: [1], raw: new Uint8Array(new Float32Array([1]).buffer) } } }, b);
    const upper = ctx.op('Trilu', [ones, ctx.initializer(`${b}.k1`, 'int64', [], [1])], { upper: { i: 1 } }, b);
    s = ctx.op('Add', [s, ctx.op('Mul', [upper, ctx.scalar(-1e30)], {}, b)], {}, b);
  }
  const a = ctx.op('MatMul', [ctx.op('Softmax', [s], { axis: { i: -1 } }, b), v], {}, b);
  const merged = ctx.op('Reshape', [ctx.op('Transpose', [a], { perm: { ints: [0, 2, 1, 3] } }, b), ctx.ints([0, 0, m.embedDim])], {}, b);
  return ctx.emit(m.out, [merged]);
}

function sinusoidal(ctx: OnnxContext, m: Module, t: string, dim: number, maxPeriod: number): string {
  const b = ctx.base(m, 'emb');
  const half = Math.floor(dim / 2);
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(maxPeriod) * i) / half));
  const a = ctx.op('Mul', [ctx.op('Reshape', [t, ctx.ints([-1, 1])], {}, b), ctx.initializer(`${b}.freqs`, 'float32', [half], freqs)], {}, b);
  const e = ctx.op('Concat', [ctx.op('Cos', [a], {}, b), ctx.op('Sin', [a], {}, b)], { axis: { i: 1 } }, b);
  return dim % 2 ? ctx.op('Pad', [e, ctx.ints([0, 0, 0, 1])], {}, b) : e;
}

registerOnnxEmitter(Linear, (ctx, m, [x]) => linear(ctx, m, m.weight, m.bias, x));
registerOnnxEmitter(Conv2d, (ctx, m, [x]) => {
  const ins = [x, ctx.tensor(ctx.base(m, 'weight'), m.weight)];
  if (m.bias) ins.push(ctx.tensor(ctx.base(m, 'bias'), m.bias));
  return ctx.op('Conv', ins, convAttrs(m.weight.shape.slice(2), m.opts), ctx.base(m, 'conv'));
});
registerOnnxEmitter(GroupNorm, (ctx, m, [x]) => groupNorm(ctx, m, x, m.numGroups, m.numChannels, m.weight, m.bias, m.opts.eps ?? 1e-5));
registerOnnxEmitter(LayerNorm, (ctx, m, [x]) => {
  const n = m.shape.reduce((a, c) => a * c, 1);
  const scale = m.weight ? ctx.tensor(ctx.base(m, 'weight'), m.weight) : ctx.initializer(ctx.base(m, 'ones'), 'float32', m.shape, new Array(n).fill(1));
  const ins = [x, scale];
  if (m.bias) ins.push(ctx.tensor(ctx.base(m, 'bias'), m.bias));
  return ctx.op('LayerNormalization', ins, { axis: { i: -m.shape.length }, epsilon: { f: m.opts.eps ?? 1e-5 } }, ctx.base(m, 'ln'));
});
registerOnnxEmitter(RMSNorm, (ctx, m, [x]) => {
  const b = ctx.base(m, 'rms');
  const ms = ctx.op('ReduceMean', [ctx.op('Mul', [x, x], {}, b)], { axes: { ints: [-1] }, keepdims: { i: 1 } }, b);
  const inv = ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [ms, ctx.scalar(m.eps)], {}, b)], {}, b)], {}, b);
  return ctx.op('Mul', [ctx.op('Mul', [x, inv], {}, b), ctx.tensor(ctx.base(m, 'weight'), m.weight)], {}, b);
});
registerOnnxEmitter(Dropout, (_ctx, _m, [x]) => x);  // inference graph: dropout is off in eval mode
registerOnnxEmitter(Identity, (_ctx, _m, [x]) => x);
registerOnnxEmitter(Embedding, (ctx, m, [i]) => ctx.op('Gather', [ctx.tensor(ctx.base(m, 'weight'), m.weight), i], { axis: { i: 0 } }, ctx.base(m, 'gather')));
registerOnnxEmitter(MultiheadAttention, (ctx, m, [x, context], extra) => attention(ctx, m, x, context, Boolean(extra?.causal)));
registerOnnxEmitter(AttentionBlock2d, (ctx, m, [x]) => {
  const b = ctx.base(m, 'tokens');
  const tok = ctx.op('Transpose', [ctx.op('Reshape', [ctx.emit(m.norm, [x]), ctx.ints([0, m.channels, -1])], {}, b)], { perm: { ints: [0, 2, 1] } }, b);
  const a = ctx.op('Transpose', [ctx.emit(m.attn, [tok])], { perm: { ints: [0, 2, 1] } }, b);
  return ctx.op('Add', [x, ctx.op('Reshape', [a, ctx.op('Shape', [x], {}, b)], {}, b)], {}, b);
});
registerOnnxEmitter(Sequential, (ctx, m, [x]) => m.layers.reduce((h, l) => ctx.emit(l, [h]), x));
registerOnnxEmitter(Activation, (ctx, m, [x]) => {
  const b = ctx.base(m, m.fn);
  if (m.fn === 'silu') return silu(ctx, x, b);
  if (m.fn === 'gelu') return gelu(ctx, x, 'none', b);
  return ctx.op({ relu: 'Relu', tanh: 'Tanh', sigmoid: 'Sigmoid' }[m.fn], [x], {}, b);
});
registerOnnxEmitter(SiLU, (ctx, m, [x]) => silu(ctx, x, ctx.base(m, 'silu')));
registerOnnxEmitter(ReLU, (ctx, m, [x]) => ctx.op('Relu', [x], {}, ctx.base(m, 'relu')));
registerOnnxEmitter(Tanh, (ctx, m, [x]) => ctx.op('Tanh', [x], {}, ctx.base(m, 'tanh')));
registerOnnxEmitter(Sigmoid, (ctx, m, [x]) => ctx.op('Sigmoid', [x], {}, ctx.base(m, 'sigmoid')));
registerOnnxEmitter(GELU, (ctx, m, [x]) => gelu(ctx, x, m.approximate, ctx.base(m, 'gelu')));
registerOnnxEmitter(Flatten, (ctx, m, [x]) => {
  // ONNX Flatten keeps dims before `axis` as one and the rest as the other: torch's flatten(1, -1) exactly
  if (m.startDim !== 1 || m.endDim !== -1)
    throw new TensorfieldError('TF_UNSUPPORTED', `exportOnnx: '${ctx.pathOf(m)}': Flatten(${m.startDim}, ${m.endDim}) is not exported (only Flatten(1, -1))`);
  return ctx.op('Flatten', [x], { axis: { i: 1 } }, ctx.base(m, 'flatten'));
});
registerOnnxEmitter(SinusoidalEmbedding, (ctx, m, [t]) => {
  const scaled = m.scale === 1 ? t : ctx.op('Mul', [t, ctx.scalar(m.scale)], {}, ctx.base(m, 'scale'));
  return sinusoidal(ctx, m, scaled, m.dim, m.maxPeriod);
});
registerOnnxEmitter(FourierFeatures, (ctx, m, [t]) => {
  const b = ctx.base(m, 'fourier');
  const a = ctx.op('Mul', [ctx.op('Mul', [ctx.op('Reshape', [t, ctx.ints([-1, 1])], {}, b), ctx.tensor(ctx.base(m, 'freqs'), m.freqs)], {}, b), ctx.scalar(2 * Math.PI)], {}, b);
  return ctx.op('Concat', [ctx.op('Sin', [a], {}, b), ctx.op('Cos', [a], {}, b)], { axis: { i: 1 } }, b);
});
registerOnnxEmitter(PositionalEmbedding, (ctx, m, [x]) => {
  // the first L rows of the table, L read from the input at run time (so any length up to maxLen works)
  const b = ctx.base(m, 'pos');
  const len = ctx.op('Shape', [x], { start: { i: 1 }, end: { i: 2 } }, b);
  const rows = ctx.op('Slice', [ctx.tensor(ctx.base(m, 'table'), m.table), ctx.ints([0]), len, ctx.ints([0])], {}, b);
  return ctx.op('Add', [x, rows], {}, b);
});
registerOnnxEmitter(Upsample, (ctx, m, [x]) => {
  if (m.mode !== 'nearest')
    throw new TensorfieldError('TF_UNSUPPORTED', `exportOnnx: '${ctx.pathOf(m)}': Upsample mode '${m.mode}' is not exported (only 'nearest')`);
  return upsampleNearest(ctx, x, m.scaleFactor, ctx.base(m, 'up'));
});
registerOnnxEmitter(AvgPool2d, (ctx, m, [x]) => ctx.op('AveragePool', [x], {
  kernel_shape: { ints: [m.kernelSize, m.kernelSize] }, strides: { ints: [m.stride, m.stride] },
  pads: { ints: [m.padding, m.padding, m.padding, m.padding] }, count_include_pad: { i: 1 },
}, ctx.base(m, 'avgpool')));

/** Nearest upsampling by an integer factor: Resize with floor of the asymmetric source coordinate, i.e. out[i] = in[floor(i / s)]. */
export function upsampleNearest(ctx: OnnxContext, x: string, s: number, base = 'upsample'): string {
  const scales = ctx.initializer(`${base}.scales`, 'float32', [4], [1, 1, s, s]);
  return ctx.op('Resize', [x, '', scales], {
    mode: { s: 'nearest' }, coordinate_transformation_mode: { s: 'asymmetric' }, nearest_mode: { s: 'floor' },
  }, base);
}
