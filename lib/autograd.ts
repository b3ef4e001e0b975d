// Reverse-mode autograd over the native tape.
import { native } from './native';
import { Tensor, TensorfieldError, wrapNative, handle, options } from './tensor';

export interface GradOptions {
  /** Weights for each output (default: ones for one-element outputs). */
  gradOutputs?: (Tensor | null)[] | Tensor | null;
  /** Keep the graph for another backward (default: createGraph). */
  retainGraph?: boolean;
  /** Record the backward itself, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on (otherwise that is an error). */
  allowUnused?: boolean;
}

function list<X>(v: X | X[]): X[] { return Array.isArray(v) ? v : [v]; }
const gradHandle = (t: Tensor | null | undefined) => (t === null || t === undefined ? null : handle(t));

/** Gradients of `outputs` with respect to `inputs`, returned (not accumulated into .grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts0: GradOptions = {}): (Tensor | null)[] {
  const opts = options(opts0, 'grad');
  const outs = list(outputs);
  const ins = list(inputs);
  const g = opts.gradOutputs == null ? outs.map(() => null) : list(opts.gradOutputs);
  const res = native.grad(outs.map(handle), ins.map(handle), g.map(gradHandle),
    opts.retainGraph, opts.createGraph ?? false, opts.allowUnused ?? false);
  return res.map((h) => (h ? wrapNative(h) : null));
}

/** Accumulates gradients of several outputs into the leaves' .grad. */
export function backward(outputs: Tensor | Tensor[], gradOutputs?: (Tensor | null)[] | null,
                         opts0: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  const opts = options(opts0, 'backward');
  const outs = list(outputs);
  const g = gradOutputs === null || gradOutputs === undefined ? outs.map(() => null) : list(gradOutputs);
  native.backward(outs.map(handle), g.map(gradHandle), opts.retainGraph, opts.createGraph ?? false);
}

function withGradMode<R>(on: boolean, fn: () => R): R {
  if (typeof fn !== 'function')
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `${on ? 'enableGrad' : 'noGrad'}(fn): fn must be a function, got ${typeof fn}`);
  const prev = native.isGradEnabled();
  native.setGradEnabled(on);
  try {
    return fn();
  } finally {
    native.setGradEnabled(prev);
  }
}
/** Runs fn without recording gradients (inference, optimizer updates). */
export function noGrad<R>(fn: () => R): R { return withGradMode(false, fn); }
export function enableGrad<R>(fn: () => R): R { return withGradMode(true, fn); }
export function isGradEnabled(): boolean { return native.isGradEnabled(); }
export function setGradEnabled(on: boolean): void { native.setGradEnabled(on); }
