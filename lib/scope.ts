// Memory scopes: every tensor created inside tidy() is disposed when it returns, except what it returns
// and what was passed to keep(). Native storage is reference-counted, so disposing a handle never frees
// memory that another live tensor (a view, the autograd graph, a .grad) still uses.
import type { Tensor } from './tensor';

const stack: Set<Tensor>[] = [];

/** @internal called for every new Tensor handle */
export function track(t: Tensor): void {
  if (stack.length > 0) stack[stack.length - 1].add(t);
}

/** Exempts a tensor from disposal by the enclosing tidy() scopes. Returns it. */
export function keep<X extends Tensor>(t: X): X {
  for (const s of stack) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<Tensor>, isTensor: (v: unknown) => v is Tensor, depth = 0): void {
  if (value == null || depth > 8) return;
  if (isTensor(value)) { out.add(value); return; }
  if (Array.isArray(value)) {
    // A sparse array may declare a length of 2 ** 32 - 1 with nothing in it: walking every index would hang,
    // so long arrays are walked by their own (present) elements only.
    const items = value.length <= 1 << 16 ? value : Object.values(value);
    for (const v of items) collect(v, out, isTensor, depth + 1);
    return;
  }
  if (value instanceof Map) { for (const v of value.values()) collect(v, out, isTensor, depth + 1); return; }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collect(v, out, isTensor, depth + 1);
  }
}

let tensorCheck: (v: unknown) => v is Tensor = (_v): _v is Tensor => false;
/** @internal */
export function setTensorCheck(f: (v: unknown) => v is Tensor): void { tensorCheck = f; }

/**
 * Runs `fn` and disposes every tensor it created except those in its result (tensors, arrays, Maps or plain
 * objects of tensors, up to 8 levels deep), which move to the enclosing scope. `fn` must be synchronous.
 */
export function tidy<R>(fn: () => R): R {
  if (typeof fn !== 'function') {
    const err = new Error(`tidy(fn): fn must be a function, got ${fn === null ? 'null' : typeof fn}`);
    (err as Error & { code: string }).code = 'TF_INVALID_ARGUMENT';
    throw err;
  }
  const scope = new Set<Tensor>();
  stack.push(scope);
  let result: R;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    const err = new Error('tidy(fn): fn must be synchronous (it returned a Promise); dispose tensors explicitly in async code');
    (err as Error & { code: string }).code = 'TF_INVALID_ARGUMENT';
    throw err;
  }
  const kept = new Set<Tensor>();
  collect(result, kept, tensorCheck);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  if (stack.length > 0) for (const t of kept) if (scope.has(t)) stack[stack.length - 1].add(t);
  return result;
}

/** Disposes tensors (or arrays/objects of tensors). */
export function dispose(value: unknown): void {
  const all = new Set<Tensor>();
  collect(value, all, tensorCheck);
  for (const t of all) t.dispose();
}
