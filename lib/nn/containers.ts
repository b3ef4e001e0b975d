// Containers under PyTorch's names: ModuleList and ModuleDict hold submodules without a forward of their own.
// Members are registered as children named by index ("0", "1", ...) or by key, so parameters and state-dict
// keys come out as PyTorch writes them ("layers.0.weight", "heads.mean.bias") and a PyTorch state dict loads by
// name. Members are read back through the registry (getModule), never a copy of it, so a converter's
// replaceChild (quantizeModel, prepareQat) is seen by every later get().
import { TensorfieldError } from '../tensor';
import { Module } from './module';

function outOfRange(what: string, i: number, n: number): TensorfieldError {
  return new TensorfieldError('TF_INDEX_OUT_OF_RANGE', `${what}: index ${i} is out of range for ${n} modules`);
}

export class ModuleList<M extends Module = Module> extends Module {
  private count = 0;
  constructor(modules: Iterable<M> = []) {
    super();
    this.extend(modules);
  }
  get length(): number { return this.count; }
  /** Appends `m` as child `String(length)`; returns this, as PyTorch does. */
  append(m: M): this {
    if (!(m instanceof Module)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `ModuleList.append: expected a Module, got ${typeof m}`);
    this.module(String(this.count++), m);
    return this;
  }
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  /** The i-th module; negative indices count from the end (list[-1] in Python). */
  get(i: number): M {
    const j = i < 0 ? i + this.count : i;
    if (!Number.isInteger(j) || j < 0 || j >= this.count) throw outOfRange('ModuleList.get', i, this.count);
    return this.getModule(String(j)) as M;
  }
  *[Symbol.iterator](): IterableIterator<M> {
    for (let i = 0; i < this.count; i++) yield this.getModule(String(i)) as M;
  }
  /** The members as an array (a fresh one; changing it does not change the list). */
  toArray(): M[] { return [...this]; }
}

export class ModuleDict<M extends Module = Module> extends Module {
  private names: string[] = [];
  constructor(modules: Record<string, M> | Iterable<[string, M]> = {}) {
    super();
    this.update(modules);
  }
  get size(): number { return this.names.length; }
  /**
   * Adds `m` under `key`, or replaces the module already there (keeping its place in the order, as Python's
   * dict). Keys are refused where PyTorch refuses them: empty, or containing '.', which would make
   * state-dict names ambiguous.
   */
  set(key: string, m: M): this {
    if (typeof key !== 'string' || key === '' || key.includes('.'))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `ModuleDict: key must be a non-empty string without '.', got ${JSON.stringify(key)}`);
    if (!(m instanceof Module)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `ModuleDict.set('${key}'): expected a Module, got ${typeof m}`);
    if (!this.has(key)) this.names.push(key);
    this.module(key, m);
    return this;
  }
  update(modules: Record<string, M> | Iterable<[string, M]>): this {
    const entries = Symbol.iterator in modules ? modules as Iterable<[string, M]> : Object.entries(modules);
    for (const [k, m] of entries) this.set(k, m);
    return this;
  }
  has(key: string): boolean { return this.getModule(key) !== undefined; }
  get(key: string): M {
    const m = this.getModule(key);
    if (!m) throw new TensorfieldError('TF_INVALID_ARGUMENT', `ModuleDict: no module '${key}' (keys: ${this.names.join(', ') || 'none'})`);
    return m as M;
  }
  keys(): string[] { return [...this.names]; }
  values(): M[] { return this.names.map((k) => this.getModule(k) as M); }
  entries(): [string, M][] { return this.names.map((k) => [k, this.getModule(k) as M]); }
  /** Iterates over the keys, as iterating a Python ModuleDict does. */
  [Symbol.iterator](): IterableIterator<string> { return this.keys()[Symbol.iterator](); }
}
