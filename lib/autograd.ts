// Reverse-mode autograd over the native tape.
import { native } from './native';
import { Tensor, TensorfieldError, wrapNative, handleList, options } from './tensor';

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

/** Gradients of `outputs` with respect to `inputs`, returned (not accumulated into .grad). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts0: GradOptions = {}): (Tensor | null)[] {
  const opts = options(opts0, 'grad');
  const outs = handleList(list(outputs), 'grad: outputs');
  const ins = handleList(list(inputs), 'grad: inputs');
  const g = opts.gradOutputs == null ? outs.map(() => null) : handleList(list(opts.gradOutputs), 'grad: gradOutputs', true);
  const res = native.grad(outs, ins, g,
    opts.retainGraph, opts.createGraph ?? false, opts.allowUnused ?? false);
  return res.map((h) => (h ? wrapNative(h) : null));
}

/** Accumulates gradients of several outputs into the leaves' .grad. */
export function backward(outputs: Tensor | Tensor[], gradOutputs?: (Tensor | null)[] | null,
                         opts0: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  const opts = options(opts0, 'backward');
  const outs = handleList(list(outputs), 'backward: outputs');
  const g = gradOutputs === null || gradOutputs === undefined ? outs.map(() => null)
    : handleList(list(gradOutputs), 'backward: gradients', true);
  native.backward(outs, g, opts.retainGraph, opts.createGraph ?? false);
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
