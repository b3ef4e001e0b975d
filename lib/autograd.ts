// Reverse-mode autograd over the native tape.
import { native } from './native';
import { Tensor, wrapNative } from './tensor';

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
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], opts: GradOptions = {}): (Tensor | null)[] {
  const outs = list(outputs);
  const ins = list(inputs);
  const g = opts.gradOutputs == null ? outs.map(() => null) : list(opts.gradOutputs);
  const res = native.grad(outs.map((t) => t._h), ins.map((t) => t._h), g.map((t) => (t ? t._h : null)),
    opts.retainGraph, opts.createGraph ?? false, opts.allowUnused ?? false);
  return res.map((h) => (h ? wrapNative(h) : null));
}

/** Accumulates gradients of several outputs into the leaves' .grad. */
export function backward(outputs: Tensor | Tensor[], gradOutputs?: (Tensor | null)[] | null,
                         opts: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  const outs = list(outputs);
  const g = gradOutputs ?? outs.map(() => null);
  native.backward(outs.map((t) => t._h), g.map((t) => (t ? t._h : null)), opts.retainGraph, opts.createGraph ?? false);
}

function withGradMode<R>(on: boolean, fn: () => R): R {
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
