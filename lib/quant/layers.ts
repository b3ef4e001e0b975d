// Int8 layers: the weight stored as int8 codes with one scale per output channel, run by the int8 kernels.
// Inputs are coded to uint8 (static parameters from calibration, or dynamically per call); outputs are float32,
// or coded to uint8 and decoded again when the layer quantizes its output too (as the QAT simulation does).
import { Tensor, TensorfieldError, tensor } from '../tensor';
import { Module } from '../nn/module';
import { ActQParams, Int8Act, PackedInt8Weight, int8Conv2d, int8Linear } from './ops';

type Pair = number | [number, number];

// Buckets code static inputs, and code the output exactly when the layer does: a layer is one scheme at every level.
function checkBuckets(spec: Int8LayerSpec): BucketQParams[] {
  if (spec.input === 'dynamic') throw new TensorfieldError('TF_INVALID_ARGUMENT', 'int8 layer: activation buckets need static input coding, not dynamic');
  const ok = (q: ActQParams | null | undefined) => !!q && q.scale > 0 && Number.isFinite(q.scale) && Number.isInteger(q.zeroPoint) && q.zeroPoint >= 0 && q.zeroPoint <= 255;
  for (const [i, b] of spec.buckets!.entries()) {
    if (!ok(b.input)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `int8 layer: bucket ${i}'s input coding ${JSON.stringify(b.input)} is not a uint8 coding`);
    if (!!b.output !== !!spec.output || (b.output && !ok(b.output)))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `int8 layer: bucket ${i}'s output coding ${JSON.stringify(b.output)} does not match the layer's (${spec.output ? 'coded' : 'not coded'})`);
  }
  return spec.buckets!.map((b) => ({ input: { ...b.input }, output: b.output ? { ...b.output } : null }));
}
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
  /**
   * Per-noise-level-bucket activation parameters (lib/quant/buckets.ts): bucket b replaces input / output while
   * it is active (useBucket). Static inputs only; every bucket codes the output when `output` is set.
   */
  buckets?: BucketQParams[] | null;
}

/** One bucket's activation parameters. */
export interface BucketQParams { input: ActQParams; output: ActQParams | null }

abstract class Int8Layer extends Module {
  // the parameters in use: the layer's own, or the active bucket's
  private _input: ActQParams | 'dynamic';
  private _output: ActQParams | null;
  readonly buckets: readonly BucketQParams[] | null;
  private _bucket = -1;
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
    this._input = spec.input;
    this._output = spec.output ?? null;
    this.act = spec.act ?? 'none';
    // the quantization parameters travel with the state dict (scale, zero point; -1 marks dynamic)
    const inq = spec.input === 'dynamic' ? [-1, 0] : [spec.input.scale, spec.input.zeroPoint];
    this.buffer('inputQParams', tensor(inq, { dtype: 'float64' }));
    if (this._output) this.buffer('outputQParams', tensor([this._output.scale, this._output.zeroPoint], { dtype: 'float64' }));
    this.buckets = spec.buckets && spec.buckets.length ? checkBuckets(spec) : null;
    // [buckets, 4]: input scale, input zero point, output scale, output zero point (-1, -1: no output coding)
    if (this.buckets) this.buffer('bucketQParams', tensor(this.buckets.flatMap((b) => [b.input.scale, b.input.zeroPoint, b.output?.scale ?? -1, b.output?.zeroPoint ?? -1]), { dtype: 'float64' }).reshape(this.buckets.length, 4));
    this.packed = new PackedInt8Weight(packed);
  }
  get input(): ActQParams | 'dynamic' { return this._input; }
  get output(): ActQParams | null { return this._output; }
  /** The active bucket (-1: the layer's own parameters). */
  get bucket(): number { return this._bucket; }
  /** Codes activations with bucket b's parameters from now on (-1: the layer's own). */
  useBucket(b: number): void {
    if (b === this._bucket) return;
    if (b === -1) { this._bucket = -1; return; }
    if (!this.buckets || !Number.isInteger(b) || b < 0 || b >= this.buckets.length)
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `int8 layer: no activation bucket ${b} (the layer has ${this.buckets?.length ?? 0})`);
    this._bucket = b;
  }
  /**
   * The static input coding in use, for a norm that writes this layer's input as codes (nn inputCoding); null when
   * the input is coded dynamically (its range is only known from the float32 values).
   */
  inputCoding(): ActQParams | null {
    const q = this.activeInput();
    return q === 'dynamic' ? null : { scale: q.scale, zeroPoint: q.zeroPoint };
  }
  /** The output coding in use when the layer codes its output (forwardCoded returns those codes), else null. */
  outputCoding(): ActQParams | null {
    const o = this.activeOutput();
    return o ? { scale: o.scale, zeroPoint: o.zeroPoint } : null;
  }
  // the epilogue that leaves the output as its uint8 codes (not decoded)
  protected codedEpilogue() {
    const out = this.activeOutput();
    if (!out) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'int8 layer: forwardCoded needs an output coding (the layer does not quantize its output)');
    return { wScale: this.wScale, bias: this.bias, act: this.act, out: 'uint8' as const, outScale: out.scale, outZero: out.zeroPoint };
  }
  /** The input coding in use (the active bucket's, or the layer's own). */
  protected activeInput(): ActQParams | 'dynamic' { return this._bucket >= 0 ? this.buckets![this._bucket].input : this._input; }
  private activeOutput(): ActQParams | null { return this._bucket >= 0 ? this.buckets![this._bucket].output : this._output; }
  // A coded output is decoded in the epilogue (decode: true): float32 out, the same bits as dequantize() of the
  // uint8 codes, one pass fewer (the separate decode cost ~10 % of a 28x28 U-Net's int8 step).
  protected epilogue() {
    const out = this.activeOutput();
    return out
      ? { wScale: this.wScale, bias: this.bias, act: this.act, out: 'uint8' as const, outScale: out.scale, outZero: out.zeroPoint, decode: true }
      : { wScale: this.wScale, bias: this.bias, act: this.act };
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
  forward(x: Tensor): Tensor { return int8Linear(x, this.activeInput(), this.packed, this.epilogue()); }
  /** forward(x) as the uint8 codes of outputCoding() (forward decodes these same codes) */
  forwardCoded(x: Tensor): Tensor { return int8Linear(x, this.activeInput(), this.packed, this.codedEpilogue()); }
  /** forward(x) + r, the add done in the epilogue (nn/layers.ts forwardAdd) */
  forwardAdd(x: Tensor, r: Tensor): Tensor {
    return int8Linear(x, this.activeInput(), this.packed, { ...this.epilogue(), residual: r });
  }
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
    return int8Conv2d(x, this.activeInput(), this.packed, this.kernel, this.epilogue(), this.geometry());
  }
  /** forward(x) as the uint8 codes of outputCoding() (forward decodes these same codes) */
  forwardCoded(x: Tensor): Tensor {
    return int8Conv2d(x, this.activeInput(), this.packed, this.kernel, this.codedEpilogue(), this.geometry());
  }
  /** forward(x) + r, the add done in the epilogue (nn/layers.ts forwardAdd) */
  forwardAdd(x: Tensor, r: Tensor): Tensor {
    return int8Conv2d(x, this.activeInput(), this.packed, this.kernel, { ...this.epilogue(), residual: r }, this.geometry());
  }
  private geometry() {
    const o = this.opts;
    return { stride: pair(o.stride, 1), padding: pair(o.padding, 0), dilation: pair(o.dilation, 1) };
  }
}

/** The int8 layers of a model, in module order (checkpoints save them; activation buckets route them). */
export function int8Layers(model: Module): [string, QuantizedLinear | QuantizedConv2d][] {
  return model.namedModules().filter((e): e is [string, QuantizedLinear | QuantizedConv2d] => e[1] instanceof QuantizedLinear || e[1] instanceof QuantizedConv2d);
}
