// Typed wrappers of the native int8 ops (native/ops/quant.h). A real value r is coded as q with
// r = (q - zeroPoint) * scale, rounding half to even; weights are int8 symmetric per output channel,
// activations uint8 per tensor.
import { native, NativePackedInt8, DTypeName } from '../native';
import { Tensor, TensorfieldError, DeviceName, wrapNative, asTensor } from '../tensor';
import { keep } from '../scope';
import { stack } from '../ops';

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
/**
 * One CPU core's issue rate for the current int8 kernel's dot instruction, in GOP/s (2 per multiply-add):
 * vpdpbusd for 'vnni', vpmaddwd + vpaddd for 'avx2-s16', measured on the calling thread by register-only chains
 * for about `seconds`. The ceiling an int8 GEMM on one core can approach; 0 where the kernel has no probe
 * ('ref', 'amx').
 */
export function int8PeakGops(seconds = 0.2): number { return native.int8Peak(seconds); }
/** The current int8 GEMM kernel's layout: 'ref', 'avx2-s16' or 'vnni'. */
export function int8Kernel(device: DeviceName = 'cpu'): string { return native.int8Layout(device); }

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
    const layout = native.int8Layout(this.weight.device);
    if (!this.packedFor || this.packedFor.layout !== layout) {
      this.release();
      this.packedFor = native.packInt8Weight(this.weight._h);
    }
    return this.packedFor;
  }
  private release(): void {
    if (this.packedFor) { native.dispose(this.packedFor.packed); native.dispose(this.packedFor.colSum); this.packedFor = null; }
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
  /**
   * With a uint8 / int8 `out`: decode the codes again in the epilogue and return float32, equal bit for bit to
   * dequantize() of the coded output (the output coding's rounding without a pass over a code tensor).
   */
  decode?: boolean;
  /**
   * float32, the output's shape: added to the float32 result as it is written (x + layer(h) without a pass over
   * either tensor; the same bits as adding afterwards). Needs a float32 result (out float32, or decode).
   */
  residual?: Tensor | null;
}
/** Input coding: static parameters, or 'dynamic' (the range of each input). uint8 inputs are codes already. */
export type Int8Input = ActQParams | 'dynamic';

const epi = (e: Int8Epilogue) => ({ ...e, wScale: asTensor(e.wScale, 'wScale')._h, bias: e.bias ? asTensor(e.bias, 'bias')._h : null,
  residual: e.residual ? asTensor(e.residual, 'residual')._h : null });
const inq = (q: Int8Input): [number, number] => (q === 'dynamic' ? [0, 0] : [q.scale, q.zeroPoint]);

/** y[..., n] = epilogue(sum_k x[..., k] W[n, k]) with x coded to uint8. */
export function int8Linear(x: Tensor, xq: Int8Input, w: PackedInt8Weight, e: Int8Epilogue): Tensor {
  const [s, z] = inq(xq);
  return wrapNative(native.int8Linear(asTensor(x, 'int8Linear')._h, s, z, w.native(), epi(e)));
}

type Pair = number | [number, number];
const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
/**
 * int8 conv2d (groups 1): w packed from the weight channels last, i.e. codes [O, C, kh, kw] permuted to
 * [O, kh, kw, C] and flattened to [O, kh*kw*C]; padding is the value 0.0.
 */
export function int8Conv2d(x: Tensor, xq: Int8Input, w: PackedInt8Weight, kernel: [number, number], e: Int8Epilogue,
                           opts: { stride?: Pair; padding?: Pair; dilation?: Pair } = {}): Tensor {
  const [s, z] = inq(xq);
  return wrapNative(native.int8Conv2d(asTensor(x, 'int8Conv2d')._h, s, z, w.native(), kernel[0], kernel[1], epi(e),
    pair(opts.stride, 1), pair(opts.padding, 0), pair(opts.dilation, 1)));
}

/**
 * a [..., M, K] times b [..., K, N] through the int8 GEMM, both operands coded on the fly: a to uint8 per
 * matrix (its own range), b to int8 per output column (max |b| / 127). For activation x activation products
 * (attention scores and values), where there is no weight to pack ahead of time; float32 out.
 */
export function dynamicInt8Matmul(a: Tensor, b: Tensor): Tensor {
  const A = asTensor(a, 'dynamicInt8Matmul'), B = asTensor(b, 'dynamicInt8Matmul');
  if (A.ndim < 2 || B.ndim !== A.ndim || String(A.shape.slice(0, -2)) !== String(B.shape.slice(0, -2)) || A.shape[A.ndim - 1] !== B.shape[B.ndim - 2])
    throw new TensorfieldError('TF_SHAPE_MISMATCH', `dynamicInt8Matmul: [${A.shape}] x [${B.shape}] (same batch dims, inner sizes equal)`);
  const [M, K] = A.shape.slice(-2), N = B.shape[B.ndim - 1];
  const batch = A.shape.slice(0, -2);
  const nb = batch.reduce((x, y) => x * y, 1);
  const a3 = A.detach().reshape(nb, M, K), bt = B.detach().reshape(nb, K, N).transpose(1, 2);
  const outs: Tensor[] = [];
  for (let i = 0; i < nb; ++i) {
    const w = bt.select(0, i);  // [N, K]
    const s = w.abs().amax(1).div(127).clamp(1e-30, null);
    const pw = new PackedInt8Weight(quantize(w, s, 0, { axis: 0, dtype: 'int8' }));
    try { outs.push(int8Linear(a3.select(0, i), 'dynamic', pw, { wScale: s })); } finally { pw.dispose(); }
  }
  const y = stack(outs, 0);
  for (const o of outs) o.dispose();
  return y.reshape(...batch, M, N);
}

/** Attention with int8 score and value products: softmax(q k^T * scale) v, softmax in float32. */
export function int8Attention(q: Tensor, k: Tensor, v: Tensor, scale?: number): Tensor {
  const d = q.shape[q.ndim - 1];
  const s = dynamicInt8Matmul(q, k.transpose(-2, -1)).mul(scale ?? 1 / Math.sqrt(d));
  return dynamicInt8Matmul(s.softmax(-1), v);
}
