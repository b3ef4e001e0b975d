// Module: parameters, buffers and submodules registered by name (in registration order), train/eval mode,
// state dicts. Parameters are kept out of tidy() scopes: a module owns them until dispose().
import { Tensor, TensorfieldError } from '../tensor';
import type { DeviceName } from '../tensor';
import { keep } from '../scope';
import { noGrad } from '../autograd';
import { info, cuda } from '../engine';

export type StateDict = Map<string, Tensor>;
/** What loadStateDict did not match (both empty after a strict load), as PyTorch's _IncompatibleKeys. */
export interface LoadStateDictResult { missingKeys: string[]; unexpectedKeys: string[] }

export abstract class Module {
  private _params = new Map<string, Tensor | null>();
  private _buffers = new Map<string, Tensor | null>();
  private _modules = new Map<string, Module>();
  training = true;

  /** Registers a learnable tensor (requiresGrad is turned on) and returns it. */
  protected param(name: string, t: Tensor | null): Tensor {
    if (t) { keep(t); t.requiresGrad = true; }
    this._params.set(name, t);
    return t as Tensor;
  }
  /** Registers non-learnable state that belongs in the state dict (e.g. running statistics). */
  protected buffer(name: string, t: Tensor | null): Tensor {
    if (t) keep(t);
    this._buffers.set(name, t);
    return t as Tensor;
  }
  protected module<M extends Module>(name: string, m: M): M {
    this._modules.set(name, m);
    return m;
  }
  /** The child registered as `name` (containers read their members through this, so replaceChild reaches them). */
  protected getModule(name: string): Module | undefined { return this._modules.get(name); }
  /** Replaces a registered parameter's tensor (used by loaders and converters). */
  protected setParam(name: string, t: Tensor): void {
    if (!this._params.has(name)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `no parameter named '${name}'`);
    keep(t);
    t.requiresGrad = true;
    this._params.set(name, t);
    (this as unknown as Record<string, Tensor>)[name] = t;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this._params) if (p) out.push([prefix + n, p]);
    for (const [n, m] of this._modules) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] { return this.namedParameters().map(([, p]) => p); }
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, b] of this._buffers) if (b) out.push([prefix + n, b]);
    for (const [n, m] of this._modules) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix.replace(/\.$/, ''), this]];
    for (const [n, m] of this._modules) out.push(...m.namedModules(`${prefix}${n}.`));
    return out;
  }
  children(): Module[] { return [...this._modules.values()]; }
  /** The direct children with the names they were registered under (a name may contain dots). */
  namedChildren(): [string, Module][] { return [...this._modules.entries()]; }
  /**
   * Replaces the child registered as `name`, and every reference to it held in this module's fields, arrays
   * and plain objects (as U-Net levels hold their blocks), so forward() calls the new one. Used by converters
   * (quantization, QAT).
   */
  replaceChild(name: string, m: Module): void {
    const old = this._modules.get(name);
    if (!old) throw new TensorfieldError('TF_INVALID_ARGUMENT', `no child module named '${name}'`);
    this._modules.set(name, m);
    const swap = (holder: Record<string, unknown> | unknown[], depth: number): void => {
      for (const k of Object.keys(holder)) {
        const v = (holder as Record<string, unknown>)[k];
        if (v === old) (holder as Record<string, unknown>)[k] = m;
        else if (depth < 4 && v && typeof v === 'object' && !(v instanceof Module) &&
                 (Array.isArray(v) || Object.getPrototypeOf(v) === Object.prototype)) swap(v as Record<string, unknown>, depth + 1);
      }
    };
    swap(this as unknown as Record<string, unknown>, 0);
  }
  numParameters(): number { return this.parameters().reduce((s, p) => s + p.numel(), 0); }

  train(on = true): this {
    this.training = on;
    for (const m of this._modules.values()) m.train(on);
    return this;
  }
  eval(): this { return this.train(false); }

  /** Parameters and buffers by dotted name (views of the live tensors, not copies). */
  stateDict(): StateDict {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values in by name, as PyTorch's load_state_dict. Every key is compared first and nothing is copied
   * unless the load goes through. strict (default): a missing or unexpected key throws TF_STATE_DICT, the message
   * listing all the missing, unexpected and mis-shaped keys at once (also on the error as `missingKeys`,
   * `unexpectedKeys`, `shapeMismatches`). Non-strict: returns the missing and unexpected keys and loads the rest;
   * a shape mismatch still throws, as in PyTorch. `strict` may also be passed as a bare boolean.
   */
  loadStateDict(state: StateDict | Record<string, Tensor>, opts: { strict?: boolean } | boolean = {}): LoadStateDictResult {
    const strict = typeof opts === 'boolean' ? opts : opts.strict ?? true;
    const src = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missingKeys = [...own.keys()].filter((k) => !src.has(k));
    const unexpectedKeys = [...src.keys()].filter((k) => !own.has(k));
    const shapeMismatches = [...own.entries()].filter(([k, t]) => src.has(k) && String(src.get(k)!.shape) !== String(t.shape))
      .map(([k, t]) => `${k}: expected [${t.shape}], got [${src.get(k)!.shape}]`);
    if (shapeMismatches.length || (strict && (missingKeys.length || unexpectedKeys.length))) {
      const parts = [];
      if (missingKeys.length) parts.push(`missing keys (${missingKeys.length}): ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) parts.push(`unexpected keys (${unexpectedKeys.length}): ${unexpectedKeys.join(', ')}`);
      if (shapeMismatches.length) parts.push(`shape mismatch (${shapeMismatches.length}): ${shapeMismatches.join('; ')}`);
      const hint = !strict || shapeMismatches.length ? '' : ' (pass { strict: false } to load the matching keys and get the others back)';
      const err = new TensorfieldError('TF_STATE_DICT', `loadStateDict into ${this.constructor.name}: ${parts.join(' | ')}${hint}`);
      throw Object.assign(err, { missingKeys, unexpectedKeys, shapeMismatches });
    }
    noGrad(() => {
      for (const [k, t] of own) if (src.has(k)) t.copy_(src.get(k)!);
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Casts every floating-point parameter and buffer to `dtype` in place (float64 for gradient and JVP checks
   * against finite differences); returns this. Gradients and optimizer state of the old tensors are dropped.
   */
  toDtype(dtype: 'float32' | 'float64'): this {
    return this.replaceTensors((t) => (t.dtype === dtype || (t.dtype !== 'float32' && t.dtype !== 'float64') ? null : t.to(dtype)), 'toDtype');
  }

  /**
   * Moves every parameter and buffer to `device` ('cpu', 'ref', ... `info().devices`) in place; returns this.
   * Gradients and optimizer state of the old tensors are dropped (make the optimizer after moving, as in PyTorch).
   */
  toDevice(device: string): this {
    if (!(info().devices as string[]).includes(device)) {
      // 'cuda' without a usable GPU: say why (built without CUDA, no driver, no device)
      const why = device === 'cuda' ? `: ${cuda.status().reason}` : '';
      throw new TensorfieldError('TF_DEVICE', `toDevice: device '${device}' is not available here (it has: ${info().devices.join(', ')})${why}`);
    }
    return this.replaceTensors((t) => (t.device === device ? null : t.to(device as DeviceName)), 'toDevice');
  }

  // Replaces each parameter and buffer t by convert(t) (null: keep t), in every property that holds it, and
  // frees the old tensor. The new tensors are made first, so a failing conversion leaves the module unchanged.
  private replaceTensors(convert: (t: Tensor) => Tensor | null, what: string): this {
    const plan: { map: Map<string, Tensor | null>; name: string; old: Tensor; t: Tensor; holder: Module; isParam: boolean }[] = [];
    try {
      for (const [, m] of this.namedModules()) {
        for (const [map, isParam] of [[m._params, true], [m._buffers, false]] as const) {
          for (const [name, old] of map) {
            if (!old) continue;
            const self = m as unknown as Record<string, unknown>;
            if (!Object.keys(self).some((k) => self[k] === old))
              throw new TensorfieldError('TF_INVALID_ARGUMENT', `${what}: ${m.constructor.name}.${name} is not held in a property`);
            const t = noGrad(() => convert(old));
            if (t) plan.push({ map, name, old, t: keep(t), holder: m, isParam });
          }
        }
      }
    } catch (e) {
      for (const p of plan) p.t.dispose();
      throw e;
    }
    for (const { map, name, old, t, holder, isParam } of plan) {
      const self = holder as unknown as Record<string, unknown>;
      if (isParam) t.requiresGrad = true;
      map.set(name, t);
      for (const k of Object.keys(self)) if (self[k] === old) self[k] = t;
      old.dispose();
    }
    return this;
  }

  zeroGrad(): void { for (const p of this.parameters()) p.grad = null; }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const [, p] of this.namedParameters()) p.dispose();
    for (const [, b] of this.namedBuffers()) b.dispose();
  }
}
