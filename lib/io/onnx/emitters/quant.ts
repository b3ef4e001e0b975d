// ONNX emitters for the int8 layers quantizeModel / convertQat make (lib/quant/layers.ts), in QDQ form:
//   x -> QuantizeLinear(scale, zero point: uint8) -> DequantizeLinear -> MatMul / Conv <- DequantizeLinear(int8 codes,
//   per-channel scales, zero points 0, axis of the output channels)
// with the layer's own codes and parameters, so a runtime that fuses QDQ into integer kernels computes what the
// tensorfield int8 layer does (integer products of the same codes, the same scales) and one that does not runs
// the same dequantized values in float. Dynamic inputs use DynamicQuantizeLinear (uint8 over the tensor's range
// with 0 included, as tensorfield's dynamic coding). An output coding (quantizeOutputs) becomes a second Q/DQ pair.
import { TensorfieldError } from '../../../tensor';
import { QuantizedConv2d, QuantizedLinear } from '../../../quant/layers';
import type { ActQParams, Int8Act } from '../../../quant/ops';
import { OnnxContext, registerOnnxEmitter } from '../graph';
import { convAttrs, silu } from './layers';

type Int8 = QuantizedLinear | QuantizedConv2d;

/** Q then DQ of an activation with static per-tensor uint8 parameters. */
function qdq(ctx: OnnxContext, x: string, q: ActQParams, base: string): string {
  const s = ctx.initializer(`${base}.scale`, 'float32', [], [q.scale]);
  const z = ctx.initializer(`${base}.zero_point`, 'uint8', [], [q.zeroPoint]);
  return ctx.op('DequantizeLinear', [ctx.op('QuantizeLinear', [x, s, z], {}, base), s, z], {}, base);
}

function quantizeInput(ctx: OnnxContext, m: Int8, x: string): string {
  // one ONNX graph has one set of Q/DQ parameters; a layer with per-noise-level buckets has several
  if (m.buckets) throw new TensorfieldError('TF_UNSUPPORTED', `ONNX export: int8 layer '${ctx.base(m, '')}' has per-noise-level activation buckets, which a QDQ graph cannot express (quantize without --act-buckets to export)`);
  const base = ctx.base(m, 'input_q');
  if (m.input !== 'dynamic') return qdq(ctx, x, m.input, base);
  const [y, s, z] = ctx.node('DynamicQuantizeLinear', [x], {}, { nOut: 3, base });
  return ctx.op('DequantizeLinear', [y, s, z], {}, base);
}

/** The int8 codes as an initializer (optionally transposed to `dims` order by `perm`) and their DequantizeLinear. */
function weight(ctx: OnnxContext, m: Int8, transpose: boolean): string {
  const codes = transpose ? m.weight.T.contiguous() : m.weight;
  const axis = transpose ? 1 : 0;
  const out = m.weight.shape[0];
  const w = ctx.tensor(ctx.base(m, 'weight_int8'), codes);
  const s = ctx.tensor(ctx.base(m, 'weight_scale'), m.wScale);
  const z = ctx.initializer(ctx.base(m, 'weight_zero_point'), 'int8', [out], new Array(out).fill(0));
  return ctx.op('DequantizeLinear', [w, s, z], { axis: { i: axis } }, ctx.base(m, 'weight_dq'));
}

function finish(ctx: OnnxContext, m: Int8, y: string): string {
  const act: Int8Act = m.act;
  if (act === 'relu') y = ctx.op('Relu', [y], {}, ctx.base(m, 'relu'));
  else if (act === 'silu') y = silu(ctx, y, ctx.base(m, 'silu'));
  return m.output ? qdq(ctx, y, m.output, ctx.base(m, 'output_q')) : y;
}

registerOnnxEmitter(QuantizedLinear, (ctx, m, [x]) => {
  // the codes are stored transposed ([in, out], per-channel axis 1) so MatMul takes them as they are
  let y = ctx.op('MatMul', [quantizeInput(ctx, m, x), weight(ctx, m, true)], {}, ctx.base(m, 'matmul'));
  if (m.bias) y = ctx.op('Add', [y, ctx.tensor(ctx.base(m, 'bias'), m.bias)], {}, ctx.base(m, 'out'));
  return finish(ctx, m, y);
});

registerOnnxEmitter(QuantizedConv2d, (ctx, m, [x]) => {
  const ins = [quantizeInput(ctx, m, x), weight(ctx, m, false)];
  if (m.bias) ins.push(ctx.tensor(ctx.base(m, 'bias'), m.bias));
  return finish(ctx, m, ctx.op('Conv', ins, convAttrs(m.kernel, m.opts), ctx.base(m, 'conv')));
});
