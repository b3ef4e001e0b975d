// ONNX emitters for the model families of lib/nn/models: each follows its class's forward() line by line
// (the U-Net's between-block hook, used only by DSNO's operator, is not part of the exported graph).
import { TensorfieldError } from '../../../tensor';
import { ConvDenoiser, ConvDenoiserBlock } from '../../../nn/models/conv_denoiser';
import { MLPDenoiser } from '../../../nn/models/mlp_denoiser';
import { Transformer, TransformerBlock } from '../../../nn/models/transformer';
import { ResBlock, UNet } from '../../../nn/models/unet';
import type { GroupNorm } from '../../../nn/layers';
import { OnnxContext, registerOnnxEmitter } from '../graph';
import { gelu, silu, upsampleNearest } from './layers';

/** [B, C] -> [B, C, 1, 1] (a per-channel column for feature maps). */
const col = (ctx: OnnxContext, v: string, base: string) => ctx.op('Reshape', [v, ctx.ints([0, -1, 1, 1])], {}, base);
const normSilu = (ctx: OnnxContext, n: GroupNorm, x: string) => silu(ctx, ctx.emit(n, [x]), ctx.base(n, 'silu'));

/** RMS over the last dim with no weight: x * 1/sqrt(mean(x^2) + eps) (the U-Net's double norm). */
function rms(ctx: OnnxContext, x: string, eps: number, base: string): string {
  const ms = ctx.op('ReduceMean', [ctx.op('Mul', [x, x], {}, base)], { axes: { ints: [-1] }, keepdims: { i: 1 } }, base);
  return ctx.op('Mul', [x, ctx.op('Reciprocal', [ctx.op('Sqrt', [ctx.op('Add', [ms, ctx.scalar(eps)], {}, base)], {}, base)], {}, base)], {}, base);
}

registerOnnxEmitter(ResBlock, (ctx, m, [x, emb]) => {
  const b = ctx.base(m, 'res');
  let h = ctx.emit(m.c1, [normSilu(ctx, m.n1, x)]);
  const e = ctx.emit(m.emb, [emb]);
  if (m.adaptive) {
    const half = (start: number) => ctx.op('Slice', [e, ctx.ints([start]), ctx.ints([start + m.cout]), ctx.ints([1])], {}, b);
    let scale = half(0), shift = half(m.cout);
    if (m.doubleNorm) { scale = rms(ctx, scale, 1e-8, b); shift = rms(ctx, shift, 1e-8, b); } else scale = ctx.op('Add', [scale, ctx.scalar(1)], {}, b);
    h = ctx.op('Add', [ctx.op('Mul', [ctx.emit(m.n2, [h]), col(ctx, scale, b)], {}, b), col(ctx, shift, b)], {}, b);
    h = silu(ctx, h, b);
  } else {
    h = normSilu(ctx, m.n2, ctx.op('Add', [h, col(ctx, e, b)], {}, b));
  }
  h = ctx.emit(m.c2, [ctx.emit(m.drop, [h])]);
  return ctx.op('Add', [m.skip ? ctx.emit(m.skip, [x]) : x, h], {}, b);
});

registerOnnxEmitter(UNet, (ctx, m, [x, t, labels]) => {
  const b = ctx.base(m, 'unet');
  let emb = ctx.emit(m.t2, [silu(ctx, ctx.emit(m.t1, [ctx.emit(m.embed, [t])]), b)]);
  if (m.label && labels) emb = ctx.op('Add', [emb, ctx.emit(m.label, [labels])], {}, b);
  if (labels && !m.label) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'exportOnnx: UNet: labels given but the model is not class-conditional');
  emb = silu(ctx, emb, b);
  let h = ctx.emit(m.inc, [x]);
  const skips = [h];
  for (const lv of m.down) {
    lv.blocks.forEach((blk, i) => {
      h = ctx.emit(blk, [h, emb]);
      if (lv.attn[i]) h = ctx.emit(lv.attn[i]!, [h]);
      skips.push(h);
    });
    if (lv.pool) { h = ctx.emit(lv.pool, [h]); skips.push(h); }
  }
  h = ctx.emit(m.mid2, [ctx.emit(m.midAttn, [ctx.emit(m.mid1, [h, emb])]), emb]);
  for (const lv of m.up) {
    lv.blocks.forEach((blk, i) => {
      h = ctx.emit(blk, [ctx.op('Concat', [h, skips.pop()!], { axis: { i: 1 } }, b), emb]);
      if (lv.attn[i]) h = ctx.emit(lv.attn[i]!, [h]);
    });
    if (lv.upConv) h = ctx.emit(lv.upConv, [upsampleNearest(ctx, h, 2, `${b}.upsample`)]);
  }
  return ctx.emit(m.outc, [normSilu(ctx, m.outNorm, h)]);
});

registerOnnxEmitter(MLPDenoiser, (ctx, m, [x, t]) => {
  const b = ctx.base(m, 'mlp');
  let h = ctx.op('Concat', [x, ctx.emit(m.embed, [t])], { axis: { i: 1 } }, b);
  m.layers.forEach((l, i) => {
    h = ctx.emit(l, [h]);
    if (i < m.layers.length - 1) h = silu(ctx, h, ctx.base(l, 'silu'));
  });
  return h;
});

registerOnnxEmitter(TransformerBlock, (ctx, m, [x]) => {
  const b = ctx.base(m, 'block');
  const a = ctx.emit(m.drop, [ctx.emit(m.attn, [ctx.emit(m.ln1, [x])], { causal: m.causal })]);
  const h = ctx.op('Add', [x, a], {}, b);
  const f = ctx.emit(m.drop, [ctx.emit(m.fc2, [gelu(ctx, ctx.emit(m.fc1, [ctx.emit(m.ln2, [h])]), 'none', b)])]);
  return ctx.op('Add', [h, f], {}, b);
});

registerOnnxEmitter(Transformer, (ctx, m, [tokens]) => {
  let h = ctx.emit(m.pos, [ctx.emit(m.tok, [tokens])]);
  for (const blk of m.blocks) h = ctx.emit(blk, [h]);
  return ctx.emit(m.head, [ctx.emit(m.ln, [h])]);
});

registerOnnxEmitter(ConvDenoiserBlock, (ctx, m, [x, temb]) => {
  const b = ctx.base(m, 'block');
  let h = ctx.emit(m.c1, [normSilu(ctx, m.n1, x)]);
  h = ctx.op('Add', [h, col(ctx, ctx.emit(m.t, [temb]), b)], {}, b);
  h = ctx.emit(m.c2, [normSilu(ctx, m.n2, h)]);
  return ctx.op('Add', [ctx.emit(m.skip, [x]), h], {}, b);
});

registerOnnxEmitter(ConvDenoiser, (ctx, m, [x, cNoise]) => {
  const b = ctx.base(m, 'convdenoiser');
  const temb = ctx.emit(m.tmlp, [ctx.emit(m.embed, [cNoise])]);
  const h0 = ctx.emit(m.d1, [ctx.emit(m.inc, [x]), temb]);
  let h = ctx.emit(m.mid, [ctx.emit(m.d2, [ctx.emit(m.down, [h0]), temb]), temb]);
  h = ctx.emit(m.upc, [upsampleNearest(ctx, h, 2, `${b}.upsample`)]);
  h = ctx.emit(m.u1, [ctx.op('Concat', [h, h0], { axis: { i: 1 } }, b), temb]);
  return ctx.emit(m.outc, [normSilu(ctx, m.onorm, h)]);
});
