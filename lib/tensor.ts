// The public Tensor: a thin handle over the native tensor, with PyTorch's method names in camelCase.
import { native, NativeTensor, DTypeName, TypedArray } from './native';
import { track, setTensorCheck } from './scope';

export type DType = DTypeName;
/** Devices a tensor can live on: 'cpu', 'ref' (the scalar reference kernels, one thread), 'cuda' (CUDA builds). */
export type DeviceName = 'cpu' | 'ref' | 'cuda';
const DEVICES = ['cpu', 'ref', 'cuda'] as const;
export type Shape = number[];
export type Scalar = number;
export type TensorLike = Tensor | number;
export type NestedArray = number | boolean | NestedArray[];

const U = native.unaryOps;
const B = native.binaryOps;

// Anything but a Tensor goes to the addon as is: numbers (and booleans) are scalars there, and every other
// value is refused with TF_INVALID_ARGUMENT naming the argument, never a JS TypeError from reading `._h`.
function raw(x: TensorLike): NativeTensor | number {
  return x instanceof Tensor ? x._h : (x as unknown as number);
}
/** @internal a Tensor's native handle; other values pass through for the addon to refuse (TF_INVALID_ARGUMENT) */
export function handle(x: unknown): NativeTensor {
  return x instanceof Tensor ? x._h : (x as NativeTensor);
}

/** The longest list of tensors an op accepts (the addon has the same limit). */
const MAX_TENSOR_LIST = 1 << 24;
/**
 * @internal native handles for a list of Tensors (null entries stay null where `allowNull`). A non-array goes
 * to the addon as is, to be refused there; an absurd length (a sparse array declaring 2 ** 32 - 1 entries) is
 * refused here, before anything walks it.
 */
export function handleList(ts: unknown, what: string, allowNull = false): NativeTensor[] {
  if (!Array.isArray(ts)) return ts as NativeTensor[];
  if (ts.length > MAX_TENSOR_LIST)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: a list of ${ts.length} entries is longer than the ${MAX_TENSOR_LIST} supported`);
  return Array.from(ts, (t) => (allowNull && (t === null || t === undefined) ? (null as unknown as NativeTensor) : handle(t)));
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}
/** @internal the first argument of a functional op (tensorfield.exp(x)) must be a Tensor */
export function asTensor(x: unknown, fn: string): Tensor {
  if (x instanceof Tensor) return x;
  throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: expected a Tensor, got ${describe(x)}`);
}
/** @internal an options argument: undefined or null mean none; anything else must be an object */
export function options<O extends object>(o: O | null | undefined, fn: string): Partial<O> {
  if (o === undefined || o === null) return {};
  if (typeof o !== 'object') throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: options must be an object, got ${describe(o)}`);
  return o;
}

export class TensorfieldError extends Error {
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'TensorfieldError';
  }
}

/** Shape given either as an array or as separate numbers: f([2, 3]) or f(2, 3). */
export function shapeArg(args: (number | number[])[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0];
  return args as number[];
}

export interface BackwardOptions {
  /** Keep the graph for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward itself so gradients can be differentiated again. */
  createGraph?: boolean;
}

export class Tensor {
  /** @internal the native handle */
  readonly _h: NativeTensor;

  /** @internal use tensorfield.tensor() and the factories */
  constructor(h: NativeTensor) {
    this._h = h;
    track(this);
  }

  // ---- metadata ----
  get shape(): number[] { return native.shapeOf(this._h); }
  get dtype(): DType { return native.dtypeOf(this._h); }
  get device(): string { return native.deviceOf(this._h); }
  get strides(): number[] { return native.stridesOf(this._h); }
  get ndim(): number { return native.shapeOf(this._h).length; }
  get isDisposed(): boolean { return native.isDisposed(this._h); }
  get isLeaf(): boolean { return native.isLeaf(this._h); }
  /** Name of the backward node that produced this tensor, or null for leaves. */
  get gradFn(): string | null { return native.gradFnOf(this._h); }
  get requiresGrad(): boolean { return native.requiresGradOf(this._h); }
  set requiresGrad(v: boolean) { native.setRequiresGrad(this._h, v); }
  /** The accumulated gradient of a leaf (a new handle each time: dispose it freely). */
  get grad(): Tensor | null {
    const g = native.gradOf(this._h);
    return g ? new Tensor(g) : null;
  }
  set grad(g: Tensor | null) { native.setGrad(this._h, g === null || g === undefined ? null : handle(g)); }
  dim(): number { return this.ndim; }
  numel(): number { return native.numelOf(this._h); }
  size(): number[];
  size(dim: number): number;
  size(dim?: number): number[] | number {
    const s = this.shape;
    if (dim === undefined) return s;
    if (!Number.isInteger(dim)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `size(): dim must be an integer, got ${typeof dim === 'number' ? dim : describe(dim)}`);
    }
    const d = dim < 0 ? dim + s.length : dim;
    if (d < 0 || d >= s.length) throw new TensorfieldError('TF_DIM_OUT_OF_RANGE', `dimension ${dim} is out of range for shape [${s}]`);
    return s[d];
  }
  isContiguous(): boolean { return native.isContiguous(this._h); }
  requiresGrad_(on = true): this { native.setRequiresGrad(this._h, on); return this; }
  /** True if both tensors view the same native storage. */
  sharesStorage(other: Tensor): boolean { return native.sharesStorage(this._h, handle(other)); }

  // ---- data access ----
  /** Zero-copy typed-array view of a contiguous tensor (writes show in the tensor); a copy otherwise. */
  data(): TypedArray { return native.dataOf(this._h); }
  /** A copy of the elements (row-major) that does not keep native memory alive. */
  dataSync(): TypedArray { return native.dataOf(this._h, true); }
  /** A copy as nested JS arrays. */
  toArray(): NestedArray {
    const flat = Array.from(native.dataOf(this._h, true) as ArrayLike<number>);
    const shape = this.shape;
    if (shape.length === 0) return flat[0];
    let pos = 0;
    const build = (d: number): NestedArray[] => {
      const out: NestedArray[] = [];
      for (let i = 0; i < shape[d]; i++) out.push(d === shape.length - 1 ? flat[pos++] : build(d + 1));
      return out;
    };
    return build(0);
  }
  item(): number { return native.itemOf(this._h); }
  /** Releases this handle's reference to the native memory now (instead of at garbage collection). */
  dispose(): void { native.dispose(this._h); }
  toString(): string { return `Tensor(shape=[${this.shape}], dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`; }

  // ---- elementwise ----
  add(o: TensorLike): Tensor { return new Tensor(native.binary(B.add, this._h, raw(o))); }
  sub(o: TensorLike): Tensor { return new Tensor(native.binary(B.sub, this._h, raw(o))); }
  mul(o: TensorLike): Tensor { return new Tensor(native.binary(B.mul, this._h, raw(o))); }
  div(o: TensorLike): Tensor { return new Tensor(native.binary(B.div, this._h, raw(o))); }
  pow(o: TensorLike): Tensor {
    if (typeof o === 'number') return new Tensor(native.unary(U.powScalar, this._h, o));
    return new Tensor(native.binary(B.pow, this._h, raw(o)));
  }
  maximum(o: TensorLike): Tensor { return new Tensor(native.binary(B.maximum, this._h, raw(o))); }
  minimum(o: TensorLike): Tensor { return new Tensor(native.binary(B.minimum, this._h, raw(o))); }
  eq(o: TensorLike): Tensor { return new Tensor(native.binary(B.eq, this._h, raw(o))); }
  ne(o: TensorLike): Tensor { return new Tensor(native.binary(B.ne, this._h, raw(o))); }
  lt(o: TensorLike): Tensor { return new Tensor(native.binary(B.lt, this._h, raw(o))); }
  le(o: TensorLike): Tensor { return new Tensor(native.binary(B.le, this._h, raw(o))); }
  gt(o: TensorLike): Tensor { return new Tensor(native.binary(B.gt, this._h, raw(o))); }
  ge(o: TensorLike): Tensor { return new Tensor(native.binary(B.ge, this._h, raw(o))); }
  neg(): Tensor { return new Tensor(native.unary(U.neg, this._h)); }
  exp(): Tensor { return new Tensor(native.unary(U.exp, this._h)); }
  log(): Tensor { return new Tensor(native.unary(U.log, this._h)); }
  log1p(): Tensor { return new Tensor(native.unary(U.log1p, this._h)); }
  expm1(): Tensor { return new Tensor(native.unary(U.expm1, this._h)); }
  sqrt(): Tensor { return new Tensor(native.unary(U.sqrt, this._h)); }
  rsqrt(): Tensor { return new Tensor(native.unary(U.rsqrt, this._h)); }
  abs(): Tensor { return new Tensor(native.unary(U.abs, this._h)); }
  sign(): Tensor { return new Tensor(native.unary(U.sign, this._h)); }
  sin(): Tensor { return new Tensor(native.unary(U.sin, this._h)); }
  cos(): Tensor { return new Tensor(native.unary(U.cos, this._h)); }
  tanh(): Tensor { return new Tensor(native.unary(U.tanh, this._h)); }
  sigmoid(): Tensor { return new Tensor(native.unary(U.sigmoid, this._h)); }
  relu(): Tensor { return new Tensor(native.unary(U.relu, this._h)); }
  leakyRelu(negativeSlope = 0.01): Tensor { return new Tensor(native.unary(U.leakyRelu, this._h, negativeSlope)); }
  elu(alpha = 1.0): Tensor { return new Tensor(native.unary(U.elu, this._h, alpha)); }
  silu(): Tensor { return new Tensor(native.unary(U.silu, this._h)); }
  /** GELU; approximate: 'none' (erf, the default) or 'tanh'. */
  gelu(approximate: 'none' | 'tanh' = 'none'): Tensor {
    return new Tensor(native.unary(approximate === 'tanh' ? U.geluTanh : U.gelu, this._h));
  }
  softplus(beta = 1, threshold = 20): Tensor { return new Tensor(native.unary(U.softplus, this._h, beta, threshold)); }
  clamp(min?: number | null, max?: number | null): Tensor {
    return new Tensor(native.unary(U.clamp, this._h, min ?? -Infinity, max ?? Infinity));
  }
  erf(): Tensor { return new Tensor(native.unary(U.erf, this._h)); }
  reciprocal(): Tensor { return new Tensor(native.unary(U.reciprocal, this._h)); }
  square(): Tensor { return new Tensor(native.unary(U.square, this._h)); }
  floor(): Tensor { return new Tensor(native.unary(U.floor, this._h)); }
  isfinite(): Tensor { return new Tensor(native.isfinite(this._h)); }

  // ---- reductions ----
  sum(dim?: number | number[] | null, keepdim = false): Tensor { return new Tensor(native.sum(this._h, dim, keepdim)); }
  mean(dim?: number | number[] | null, keepdim = false): Tensor { return new Tensor(native.mean(this._h, dim, keepdim)); }
  /** Variance with Bessel's correction by default (correction = 1), as in PyTorch. */
  var(dim?: number | number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const o = options(opts, 'var');
    return new Tensor(native.var(this._h, dim, o.correction ?? 1, o.keepdim ?? false));
  }
  std(dim?: number | number[] | null, opts: { correction?: number; keepdim?: boolean } = {}): Tensor {
    const o = options(opts, 'std');
    return new Tensor(native.std(this._h, dim, o.correction ?? 1, o.keepdim ?? false));
  }
  amax(dim?: number | number[] | null, keepdim = false): Tensor { return new Tensor(native.amax(this._h, dim, keepdim)); }
  amin(dim?: number | number[] | null, keepdim = false): Tensor { return new Tensor(native.amin(this._h, dim, keepdim)); }
  /** max() over everything, or max(dim) -> {values, indices} like PyTorch. */
  max(): Tensor;
  max(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  max(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return this.amax();
    const [v, i] = native.maxDim(this._h, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): { values: Tensor; indices: Tensor };
  min(dim?: number, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim === undefined) return this.amin();
    const [v, i] = native.minDim(this._h, dim, keepdim);
    return { values: new Tensor(v), indices: new Tensor(i) };
  }
  argmax(dim?: number | null, keepdim = false): Tensor { return new Tensor(native.argmax(this._h, dim, keepdim)); }
  argmin(dim?: number | null, keepdim = false): Tensor { return new Tensor(native.argmin(this._h, dim, keepdim)); }
  logsumexp(dim: number | number[], keepdim = false): Tensor { return new Tensor(native.logsumexp(this._h, dim, keepdim)); }
  norm(p = 2, dim?: number | number[] | null, keepdim = false): Tensor { return new Tensor(native.norm(this._h, p, dim, keepdim)); }
  cumsum(dim: number): Tensor { return new Tensor(native.cumsum(this._h, dim)); }
  softmax(dim: number): Tensor { return new Tensor(native.softmax(this._h, dim)); }
  logSoftmax(dim: number): Tensor { return new Tensor(native.logSoftmax(this._h, dim)); }

  // ---- shape and views ----
  view(...shape: (number | number[])[]): Tensor { return new Tensor(native.view(this._h, shapeArg(shape))); }
  reshape(...shape: (number | number[])[]): Tensor { return new Tensor(native.reshape(this._h, shapeArg(shape))); }
  permute(...dims: (number | number[])[]): Tensor { return new Tensor(native.permute(this._h, shapeArg(dims))); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return new Tensor(native.transpose(this._h, dim0, dim1)); }
  /** Transpose of the last two dims. */
  get T(): Tensor { return this.transpose(-2, -1); }
  expand(...shape: (number | number[])[]): Tensor { return new Tensor(native.expand(this._h, shapeArg(shape))); }
  expandAs(other: Tensor): Tensor { return this.expand(asTensor(other, 'expandAs').shape); }
  /** x[start:end:step] along `dim` (Python slice rules: negative indices count from the end; clamped). */
  slice(dim: number, start = 0, end?: number, step = 1): Tensor {
    return new Tensor(native.slice(this._h, dim, start, end ?? Number.MAX_SAFE_INTEGER, step));
  }
  narrow(dim: number, start: number, length: number): Tensor { return new Tensor(native.narrow(this._h, dim, start, length)); }
  select(dim: number, index: number): Tensor { return new Tensor(native.select(this._h, dim, index)); }
  squeeze(dim?: number | number[]): Tensor { return new Tensor(native.squeeze(this._h, dim)); }
  unsqueeze(dim: number): Tensor { return new Tensor(native.unsqueeze(this._h, dim)); }
  flatten(startDim = 0, endDim = -1): Tensor { return new Tensor(native.flatten(this._h, startDim, endDim)); }
  detach(): Tensor { return new Tensor(native.detach(this._h)); }
  contiguous(): Tensor { return new Tensor(native.contiguous(this._h)); }
  clone(): Tensor { return new Tensor(native.clone(this._h)); }
  /**
   * A copy converted to a dtype, or moved to a device ('cpu'; 'ref': the scalar reference kernels on one thread, for
   * checking results; 'cuda': the GPU, in the CUDA build with a GPU, else TF_DEVICE with the reason). The same
   * tensor when nothing changes; gradients flow back through either.
   */
  to(dtypeOrDevice: DType | DeviceName): Tensor {
    if (typeof dtypeOrDevice === 'string' && (DEVICES as readonly string[]).includes(dtypeOrDevice))
      return new Tensor(native.toDevice(this._h, dtypeOrDevice));
    return new Tensor(native.to(this._h, dtypeOrDevice as DType));
  }
  /** This tensor on the CPU (itself when it is there already). */
  cpu(): Tensor { return this.to('cpu'); }
  /** This tensor on the GPU (TF_DEVICE, with the reason, when CUDA is not available). */
  cuda(): Tensor { return this.to('cuda'); }
  float(): Tensor { return this.to('float32'); }
  double(): Tensor { return this.to('float64'); }
  int(): Tensor { return this.to('int32'); }
  matmul(o: Tensor): Tensor { return new Tensor(native.matmul(this._h, handle(o))); }
  gather(dim: number, index: Tensor): Tensor { return new Tensor(native.gather(this._h, dim, handle(index))); }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.scatterAdd(this._h, dim, handle(index), handle(src)));
  }
  indexSelect(dim: number, index: Tensor): Tensor { return new Tensor(native.indexSelect(this._h, dim, handle(index))); }
  indexAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(native.indexAdd(this._h, dim, handle(index), handle(src)));
  }
  flip(dims: number | number[]): Tensor { return new Tensor(native.flip(this._h, dims)); }
  roll(shifts: number | number[], dims?: number | number[]): Tensor { return new Tensor(native.roll(this._h, shifts, dims)); }
  repeat(...reps: (number | number[])[]): Tensor { return new Tensor(native.repeat(this._h, shapeArg(reps))); }

  // ---- in place (refused on tensors that require grad while grad mode is on) ----
  add_(o: TensorLike, alpha = 1): this { native.add_(this._h, raw(o), alpha); return this; }
  sub_(o: TensorLike, alpha = 1): this {
    // only a number is negated here: anything else goes to the addon, which refuses it (TF_INVALID_ARGUMENT)
    native.add_(this._h, raw(o), typeof alpha === 'number' ? -alpha : alpha);
    return this;
  }
  mul_(o: TensorLike): this { native.mul_(this._h, raw(o)); return this; }
  copy_(o: TensorLike): this { native.copy_(this._h, raw(o)); return this; }
  fill_(v: number): this { native.fill_(this._h, v); return this; }
  zero_(): this { native.fill_(this._h, 0); return this; }

  // ---- autograd ----
  /** Accumulates d(this)/d(leaf) into every leaf's .grad. `gradient` defaults to 1 for one-element outputs. */
  backward(gradient?: Tensor | null, opts: BackwardOptions = {}): void {
    const o = options(opts, 'backward');
    native.backward([this._h], [gradient === null || gradient === undefined ? null : handle(gradient)], o.retainGraph,
      o.createGraph ?? false);
  }
}

setTensorCheck((v: unknown): v is Tensor => v instanceof Tensor);

// ---- creation ---------------------------------------------------------------------------------------------

export interface CreateOptions {
  dtype?: DType;
  /** where the tensor is made (default 'cpu'); the `...Like` factories default to their input's device */
  device?: DeviceName;
  requiresGrad?: boolean;
}

function finish(t0: Tensor, opts?: CreateOptions): Tensor {
  let t = t0;
  if (opts?.device !== undefined && t.device !== opts.device) {  // tensor(data): made from host memory, then moved
    t = t0.to(opts.device);
    t0.dispose();
  }
  if (opts?.requiresGrad) t.requiresGrad = true;
  return t;
}

function typedDType(a: TypedArray): DType {
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint8Array) return 'uint8';
  return 'float32';
}

function isTypedArray(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

/**
 * A tensor from nested arrays, a typed array (with an optional shape) or a number. Numbers give float32
 * unless `dtype` says otherwise; typed arrays keep their element type. The data is copied.
 */
export function tensor(data: NestedArray | TypedArray, opts0: CreateOptions & { shape?: number[] } = {}): Tensor {
  const opts = options(opts0, 'tensor');
  if (isTypedArray(data)) {
    const shape = opts.shape ?? [data.length];
    return finish(new Tensor(native.fromTyped(data, shape, opts.dtype ?? typedDType(data))), opts);
  }
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (probe.length === 0) break;
    probe = probe[0];
  }
  // Collected in a growing array rather than a buffer sized from the declared lengths: an array may declare
  // a huge length (new Array(2 ** 32 - 1)) it does not hold, and that must fail on its first hole, not allocate.
  const flat: number[] = [];
  const walk = (v: NestedArray, d: number): void => {
    if (d === shape.length) {
      if (typeof v === 'number') flat.push(v);
      else if (typeof v === 'boolean') flat.push(v ? 1 : 0);
      else throw new TensorfieldError('TF_INVALID_ARGUMENT', `tensor(): expected a number at depth ${d}, got ${Array.isArray(v) ? 'an array' : typeof v}`);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[d])
      throw new TensorfieldError('TF_SHAPE_MISMATCH', `tensor(): ragged nested array (expected length ${shape[d]} at depth ${d})`);
    for (const e of v) walk(e, d + 1);
  };
  walk(data, 0);
  // a given shape lays the values out as it says (a flat list into a matrix), as for typed arrays; the engine
  // refuses one whose element count differs (before, it was silently ignored)
  return finish(new Tensor(native.fromTyped(Float64Array.from(flat), opts.shape ?? shape, opts.dtype ?? 'float32')), opts);
}

export function zeros(shape: number[], opts?: CreateOptions): Tensor {
  return finish(new Tensor(native.zeros(shape, opts?.dtype, opts?.device)), opts);
}
export function ones(shape: number[], opts?: CreateOptions): Tensor {
  return finish(new Tensor(native.ones(shape, opts?.dtype, opts?.device)), opts);
}
export function full(shape: number[], value: number, opts?: CreateOptions): Tensor {
  return finish(new Tensor(native.full(shape, value, opts?.dtype, opts?.device)), opts);
}
/** Uninitialised memory: fast, but read nothing before writing it. */
export function empty(shape: number[], opts?: CreateOptions): Tensor {
  return finish(new Tensor(native.empty(shape, opts?.dtype, opts?.device)), opts);
}
/** arange(end) or arange(start, end, step?) */
export function arange(startOrEnd: number, end?: number, step = 1, opts?: CreateOptions): Tensor {
  const [s, e] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  return finish(new Tensor(native.arange(s, e, step, opts?.dtype, opts?.device)), opts);
}
export function linspace(start: number, end: number, steps: number, opts?: CreateOptions): Tensor {
  return finish(new Tensor(native.linspace(start, end, steps, opts?.dtype, opts?.device)), opts);
}
export function eye(n: number, m?: number, opts?: CreateOptions): Tensor {
  return finish(new Tensor(native.eye(n, m, opts?.dtype, opts?.device)), opts);
}
function like(t: Tensor, fn: string, opts?: CreateOptions): [number[], CreateOptions] {
  const x = asTensor(t, fn);
  return [x.shape, { dtype: x.dtype, device: x.device as DeviceName, ...options(opts, fn) }];
}
export function zerosLike(t: Tensor, opts?: CreateOptions): Tensor { return zeros(...like(t, 'zerosLike', opts)); }
export function onesLike(t: Tensor, opts?: CreateOptions): Tensor { return ones(...like(t, 'onesLike', opts)); }
export function fullLike(t: Tensor, v: number, opts?: CreateOptions): Tensor {
  const [s, o] = like(t, 'fullLike', opts);
  return full(s, v, o);
}

/** @internal */
export function wrapNative(h: NativeTensor): Tensor { return new Tensor(h); }
/** @internal */
export { raw as rawOperand };
