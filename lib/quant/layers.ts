// Int8 layers: the weight stored as int8 codes with one scale per output channel, run by the int8 kernels.
// Inputs are coded to uint8 (static parameters from calibration, or dynamically per call); outputs are float32,
// or coded to uint8 and decoded again when the layer quantizes its output too (as the QAT simulation does).
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { Module } from '../nn/module';
import { ActQParams, Int8Act, PackedInt8Weight, dequantize, int8Conv2d, int8Linear } from './ops';

type Pair = number | [number, number];
const pair = (v: Pair | undefined, d: number): [number, number] => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);

export interface Int8LayerSpec {
  /** int8 codes, the float weight's shape */
  weight: Tensor;
  /** float32 [out]: per output channel */
  wScale: Tensor;
  bias: Tensor | null;
  input: ActQParams | 'dynamic';
  /** when set, outputs are coded to uint8 with these parameters and decoded (two roundings per layer) */
  output?: ActQParams | null;
  act?: Int8Act;
}

abstract class Int8Layer extends Module {
  readonly input: ActQParams | 'dynamic';
  readonly output: ActQParams | null;
  readonly act: Int8Act;
  protected packed: PackedInt8Weight;
  weight: Tensor;
  wScale: Tensor;
  bias: Tensor | null;
  constructor(spec: Int8LayerSpec, packed: Tensor) {
    super();
    if (spec.weight.dtype !== 'int8') throw new TensorfieldError('TF_DTYPE', `int8 layer: weight codes must be int8, got ${spec.weight.dtype}`);
    this.weight = this.buffer('weight', spec.weight);
    this.wScale = this.buffer('wScale', spec.wScale.to('float32'));
    this.bias = spec.bias ? this.buffer('bias', spec.bias.detach().to('float32')) : null;
    this.input = spec.input;
    this.output = spec.output ?? null;
    this.act = spec.act ?? 'none';
    // the quantization parameters travel with the state dict (scale, zero point; -1 marks dynamic)
    const inq = spec.input === 'dynamic' ? [-1, 0] : [spec.input.scale, spec.input.zeroPoint];
    this.buffer('inputQParams', tensor(inq, { dtype: 'float64' }));
    if (this.output) this.buffer('outputQParams', tensor([this.output.scale, this.output.zeroPoint], { dtype: 'float64' }));
    this.packed = new PackedInt8Weight(packed);
  }
  protected epilogue() {
    return this.output
      ? { wScale: this.wScale, bias: this.bias, act: this.act, out: 'uint8' as const, outScale: this.output.scale, outZero: this.output.zeroPoint }
      : { wScale: this.wScale, bias: this.bias, act: this.act };
  }
  protected finish(y: Tensor): Tensor {
    return this.output ? dequantize(y, this.output.scale, this.output.zeroPoint) : y;
  }
  dispose(): void { this.packed.dispose(); super.dispose(); }
}

export class QuantizedLinear extends Int8Layer {
  constructor(spec: Int8LayerSpec) {
    if (spec.weight.ndim !== 2) throw new TensorfieldError('TF_SHAPE_MISMATCH', `QuantizedLinear: weight must be [out, in], got [${spec.weight.shape}]`);
    super(spec, spec.weight);
  }
  get inFeatures(): number { return this.weight.shape[1]; }
  get outFeatures(): number { return this.weight.shape[0]; }
  forward(x: Tensor): Tensor { return this.finish(int8Linear(x, this.input, this.packed, this.epilogue())); }
}

export interface QuantizedConvOptions { stride?: Pair; padding?: Pair; dilation?: Pair }
export class QuantizedConv2d extends Int8Layer {
  readonly kernel: [number, number];
  constructor(spec: Int8LayerSpec, readonly opts: QuantizedConvOptions = {}) {
    const s = spec.weight.shape;
    if (s.length !== 4) throw new TensorfieldError('TF_SHAPE_MISMATCH', `QuantizedConv2d: weight must be [O, C, kh, kw], got [${s}]`);
    // the int8 conv reads weights channels last: [O, kh, kw, C]
    super(spec, spec.weight.permute(0, 2, 3, 1).contiguous().reshape(s[0], -1));
    this.kernel = [s[2], s[3]];
  }
  forward(x: Tensor): Tensor {
    const o = this.opts;
    return this.finish(int8Conv2d(x, this.input, this.packed, this.kernel, this.epilogue(),
      { stride: pair(o.stride, 1), padding: pair(o.padding, 0), dilation: pair(o.dilation, 1) }));
  }
}
