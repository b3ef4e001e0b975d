// Typed wrappers of the native int8 ops (native/ops/quant.h). A real value r is coded as q with
// r = (q - zeroPoint) * scale, rounding half to even; weights are int8 symmetric per output channel,
// activations uint8 per tensor.
import { native, NativePackedInt8, DTypeName } from '../native';
import { Tensor, TensorfieldError, wrapNative, asTensor } from '../tensor';
import { keep } from '../scope';

export type CodeDType = 'uint8' | 'int8';
type Param = number | Tensor;
const p = (v: Param, what: string) => (typeof v === 'number' ? v : asTensor(v, what)._h);

/** Activation coding: one scale and zero point per tensor. */
export interface ActQParams { scale: number; zeroPoint: number }

/** Code range of a dtype (int8 weights use the symmetric [-127, 127]). */
export const CODE_RANGE = { uint8: [0, 255], int8: [-128, 127], int8Symmetric: [-127, 127] } as const;

/** q = clamp(round(x / scale) + zeroPoint): per tensor, or per channel along `axis` (scale of that length). */
export function quantize(x: Tensor, scale: Param, zeroPoint: Param, opts: { axis?: number; dtype?: CodeDType } = {}): Tensor {
  return wrapNative(native.quantize(asTensor(x, 'quantize')._h, p(scale, 'scale'), p(zeroPoint, 'zeroPoint'), opts.axis ?? 0, opts.dtype ?? 'uint8'));
}
/** (q - zeroPoint) * scale, float32. */
export function dequantize(q: Tensor, scale: Param, zeroPoint: Param, opts: { axis?: number } = {}): Tensor {
  return wrapNative(native.dequantize(asTensor(q, 'dequantize')._h, p(scale, 'scale'), p(zeroPoint, 'zeroPoint'), opts.axis ?? 0));
}
/** Codes of (from) re-expressed in (to), per tensor. */
export function requantize(q: Tensor, from: ActQParams, to: ActQParams & { dtype?: CodeDType }): Tensor {
  return wrapNative(native.requantize(asTensor(q, 'requantize')._h, from.scale, from.zeroPoint, to.scale, to.zeroPoint, to.dtype ?? 'uint8'));
}
/**
 * The float simulation of quantize-then-dequantize, differentiable: straight-through for x (1 inside the
 * code range, 0 outside), LSQ for a scale tensor that requires grad, and -scale outside the range for a zero
 * point that requires grad. Works in forward mode with the same coefficients.
 */
export function fakeQuantize(x: Tensor, scale: Param, zeroPoint: Param, opts: { qmin: number; qmax: number; axis?: number }): Tensor {
  return wrapNative(native.fakeQuantize(asTensor(x, 'fakeQuantize')._h, p(scale, 'scale'), p(zeroPoint, 'zeroPoint'), opts.qmin, opts.qmax, opts.axis ?? 0));
}
/** The per-tensor uint8 range dynamic quantization would pick for x (0 always representable). */
export function dynamicQParams(x: Tensor): ActQParams {
  return native.dynamicQParams(asTensor(x, 'dynamicQParams')._h);
}
/** The current int8 GEMM kernel's layout: 'ref', 'avx2-s16' or 'vnni'. */
export function int8Kernel(): string { return native.int8Layout(); }

/**
 * An int8 weight [n, k] with the packed copy the current int8 kernel reads. Packing happens once; if the ISA is
 * switched (backend.setIsa), the next use repacks for the new kernel. Owns its tensors: dispose() frees them.
 */
export class PackedInt8Weight {
  readonly n: number;
  readonly k: number;
  private packedFor: NativePackedInt8 | null = null;
  constructor(readonly weight: Tensor) {
    if (weight.dtype !== 'int8' || weight.ndim !== 2)
      throw new TensorfieldError('TF_DTYPE', `PackedInt8Weight: expected an int8 [n, k] tensor, got ${weight.dtype} [${weight.shape}]`);
    keep(weight);
    [this.n, this.k] = weight.shape;
  }
  /** The packing for the current kernel (repacked after an ISA switch). */
  native(): NativePackedInt8 {
    const layout = native.int8Layout();
    if (!this.packedFor || this.packedFor.layout !== layout) {
      this.release();
      this.packedFor = native.packInt8Weight(this.weight._h);
    }
    return this.packedFor;
  }
  private release(): void {
    if (this.packedFor) { this.packedFor.packed.dispose(); this.packedFor.colSum.dispose(); this.packedFor = null; }
  }
  dispose(): void { this.release(); this.weight.dispose(); }
}

export type Int8Act = 'none' | 'relu' | 'silu';
/** What follows the integer GEMM: scales, bias, activation, and the output coding. */
export interface Int8Epilogue {
  /** float32 [n]: the weight scale of each output channel */
  wScale: Tensor;
  bias?: Tensor | null;
  act?: Int8Act;
  /** float32 (default); uint8/int8 codes with outScale/outZero; int32: the integer sums themselves */
  out?: DTypeName;
  outScale?: number;
  outZero?: number;
}
/** Input coding: static parameters, or 'dynamic' (the range of each input). uint8 inputs are codes already. */
export type Int8Input = ActQParams | 'dynamic';

const epi = (e: Int8Epilogue) => ({ ...e, wScale: asTensor(e.wScale, 'wScale')._h, bias: e.bias ? asTensor(e.bias, 'bias')._h : null });
const inq = (q: Int8Input): [number, number] => (q === 'dynamic' ? [0, 0] : [q.scale, q.zeroPoint]);

/** y[..., n] = epilogue(sum_k x[..., k] W[n, k]) with x coded to uint8. */
export function int8Linear(x: Tensor, xq: Int8Input, w: PackedInt8Weight, e: Int8Epilogue): Tensor {
  const [s, z] = inq(xq);
  return wrapNative(native.int8Linear(asTensor(x, 'int8Linear')._h, s, z, w.native(), epi(e)));
}

type Pair = number | [number, number];
const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
/** int8 conv2d (groups 1): w packed from [O, C*kh*kw]; padding is the value 0.0. */
export function int8Conv2d(x: Tensor, xq: Int8Input, w: PackedInt8Weight, kernel: [number, number], e: Int8Epilogue,
                           opts: { stride?: Pair; padding?: Pair; dilation?: Pair } = {}): Tensor {
  const [s, z] = inq(xq);
  return wrapNative(native.int8Conv2d(asTensor(x, 'int8Conv2d')._h, s, z, w.native(), kernel[0], kernel[1], epi(e),
    pair(opts.stride, 1), pair(opts.padding, 0), pair(opts.dilation, 1)));
}
