// The graph builder the per-layer emitters write into: unique value names, initializers from tensors, constants,
// nodes, and the dispatch from a module to its emitter (its own `onnx` method, else the one registered for its
// class). Values are ONNX value names (strings); emitters avoid static shapes (Reshape with 0 = "copy this dim",
// Shape of an input) so the batch dimension stays dynamic in the exported graph.
import { Tensor, TensorfieldError } from '../../tensor';
import { noGrad } from '../../autograd';
import { Module } from '../../nn/module';
import type { AttrValue, NodeData, OnnxDType, TensorData } from './proto';

/** Emits the nodes computing module `m`'s forward on `inputs` (ONNX value names); returns the output's name. */
export type OnnxEmitter<M extends Module = Module> = (ctx: OnnxContext, m: M, inputs: string[], extra?: Record<string, unknown>) => string;

/** A module that writes its own ONNX nodes (custom layers): the exporter calls this instead of a registered emitter. */
export interface OnnxExportable { onnx(ctx: OnnxContext, inputs: string[], extra?: Record<string, unknown>): string }

type Ctor = abstract new (...args: never[]) => Module;
const registry = new Map<Ctor, OnnxEmitter>();

/**
 * Registers how modules of exactly class `cls` are exported (subclasses are not matched: a subclass may change
 * forward, and exporting it with its parent's graph would be silently wrong).
 */
export function registerOnnxEmitter<M extends Module>(cls: abstract new (...args: never[]) => M, emit: OnnxEmitter<M>): void {
  registry.set(cls as unknown as Ctor, emit as OnnxEmitter);
}
export function registeredOnnxModules(): string[] { return [...registry.keys()].map((c) => c.name).sort(); }

const TYPED: Record<OnnxDType, (n: number) => ArrayBufferView> = {
  float32: (n) => new Float32Array(n), float64: (n) => new Float64Array(n), int32: (n) => new Int32Array(n),
  int64: (n) => new BigInt64Array(n), uint8: (n) => new Uint8Array(n), int8: (n) => new Int8Array(n), bool: (n) => new Uint8Array(n),
};

export class OnnxContext {
  readonly nodes: NodeData[] = [];
  readonly initializers: TensorData[] = [];
  private used = new Set<string>();
  private paths = new Map<Module, string>();
  private constCache = new Map<string, string>();

  constructor(root: Module) {
    for (const [name, m] of root.namedModules()) if (!this.paths.has(m)) this.paths.set(m, name);
  }

  /** A value name not used yet, from `base` (dots kept, so initializers read as state-dict keys). */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    let name = clean;
    for (let i = 1; this.used.has(name); i++) name = `${clean}_${i}`;
    this.used.add(name);
    return name;
  }
  /** Reserves a name as is (graph inputs); throws if taken. */
  reserve(name: string): string {
    if (this.used.has(name)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `exportOnnx: the name '${name}' is used twice`);
    this.used.add(name);
    return name;
  }
  /** The module's dotted name in the exported model ('' for the root). */
  pathOf(m: Module): string { return this.paths.get(m) ?? m.constructor.name; }

  /** Adds a node; returns its output names (`nOut` of them, named from the op and the current module). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { nOut?: number; base?: string; domain?: string } = {}): string[] {
    const base = opts.base ?? op;
    const outputs = Array.from({ length: opts.nOut ?? 1 }, () => this.fresh(base));
    this.nodes.push({ op, inputs, outputs, name: this.fresh(`${base}/${op}`), attrs, domain: opts.domain });
    return outputs;
  }
  /** One-output node. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, base?: string): string {
    return this.node(op, inputs, attrs, { base })[0];
  }

  /** An initializer from raw values. */
  initializer(base: string, dtype: OnnxDType, dims: number[], values: ArrayLike<number> | ArrayLike<bigint>): string {
    const n = dims.reduce((a, b) => a * b, 1);
    if (values.length !== n) throw new TensorfieldError('TF_SHAPE_MISMATCH', `exportOnnx: initializer '${base}' has ${values.length} values for dims [${dims}]`);
    const arr = TYPED[dtype](n) as unknown as { [i: number]: number | bigint; buffer: ArrayBuffer; byteOffset: number; byteLength: number };
    for (let i = 0; i < n; i++) arr[i] = dtype === 'int64' ? BigInt(values[i] as number) : Number(values[i]);
    const name = this.fresh(base);
    // typed arrays are little-endian on every platform Node runs tensorfield on (x64, arm64), as raw_data requires
    this.initializers.push({ name, dtype, dims, raw: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) });
    return name;
  }
  /** An initializer holding a tensor's values (float32, int8, uint8, int32; float64 is written as float32). */
  tensor(base: string, t: Tensor, dims: number[] = t.shape): string {
    const dtype = t.dtype === 'float64' ? 'float32' : t.dtype;
    if (!['float32', 'int8', 'uint8', 'int32'].includes(dtype))
      throw new TensorfieldError('TF_DTYPE', `exportOnnx: cannot store a ${t.dtype} tensor ('${base}')`);
    const data = noGrad(() => t.detach().to(dtype as Tensor['dtype']).to('cpu').contiguous().dataSync()) as ArrayLike<number>;
    return this.initializer(base, dtype as OnnxDType, dims, data);
  }
  /** A shared constant (int64 vectors for shapes, axes, pads; float scalars), made once per distinct value. */
  ints(values: number[]): string { return this.cached(`i64:${values}`, () => this.initializer(`const_i64_${values.join('_').replace(/-/g, 'm')}`, 'int64', [values.length], values)); }
  scalar(v: number): string { return this.cached(`f32:${Math.fround(v)}`, () => this.initializer('const_f32', 'float32', [], [v])); }
  private cached(key: string, make: () => string): string {
    let n = this.constCache.get(key);
    if (!n) { n = make(); this.constCache.set(key, n); }
    return n;
  }

  /** Emits `m` on `inputs`: its own onnx() method if it has one, else its class's registered emitter, else TF_UNSUPPORTED. */
  emit(m: Module, inputs: string[], extra?: Record<string, unknown>): string {
    const own = (m as unknown as Partial<OnnxExportable>).onnx;
    if (typeof own === 'function') return own.call(m, this, inputs, extra);
    const emitter = registry.get(m.constructor as Ctor);
    if (!emitter) {
      const where = this.pathOf(m) ? ` '${this.pathOf(m)}'` : '';
      throw new TensorfieldError('TF_UNSUPPORTED',
        `exportOnnx: module${where} of type ${m.constructor.name} has no ONNX export (supported: ${registeredOnnxModules().join(', ')}; ` +
        'a custom module can define onnx(ctx, inputs), or use tf.io.registerOnnxEmitter)');
    }
    return emitter(this, m, inputs, extra);
  }
  /** Base name for values made inside `m` (its dotted path). */
  base(m: Module, what: string): string {
    const p = this.pathOf(m);
    return p ? `${p}.${what}` : what;
  }
}
