// The method registry: each paper's folder (lib/models/<paper>) registers its methods by name, and the CLI finds
// them only here. A method turns a data description and options into a run: the networks to checkpoint, one
// training step, and a sampler.
import { Tensor, TensorfieldError } from './tensor';
import type { Module } from './nn/module';
import type { EMA } from './optim/ema';
import type { Optimizer } from './optim/optimizer';

/**
 * What the method trains on: points [N, dim], images [N, C, H, W] (values in [-1, 1]), or counts (integer-valued
 * float32 in [0, maxCount], items [dim] or [C, H, W]).
 */
export interface DataSpec {
  name: string;
  kind: 'points' | 'images' | 'counts';
  /** Counts: the largest value an element can take. */
  maxCount?: number;
  /** Shape of one item: [dim] or [C, H, W]. */
  itemShape: number[];
  /**
   * n fresh training items, for methods whose sampler starts from data rather than noise (the mirror
   * interpolant). The CLI supplies it; a method that needs it and finds none says so.
   */
  draw?: (n: number) => Tensor;
}

export type OptionValue = number | string | boolean;

export interface OptionSpec {
  default: OptionValue;
  help: string;
  /** Allowed values for a string option. */
  choices?: readonly string[];
}

export interface SampleOptions {
  /** Solver steps or levels (method-specific meaning; each method documents it). */
  steps?: number;
  solver?: string;
  /** Evaluate the network as it stands (after evalNetwork(), e.g. quantized) instead of refreshing it from the EMA. */
  asIs?: boolean;
}

export interface MethodRun {
  /** All trained networks (one Module; methods with several networks group them). Checkpointed. */
  model: Module;
  ema?: EMA;
  optimizer: Optimizer;
  /** One optimisation step on a batch of data; returns the loss. Must not keep tensors beyond the call. */
  trainStep(batch: Tensor, step: number): number;
  /** n samples with the evaluation weights (EMA when there is one), and the network evaluations it took. */
  sample(n: number, opts?: SampleOptions): { x: Tensor; nfe: number };
  /**
   * The network sample() evaluates, refreshed from the evaluation (EMA) weights and in eval mode. A caller may
   * transform it in place (tensorfield quantize) and then sample with { asIs: true }.
   */
  evalNetwork?(): Module;
}

export interface Method {
  name: string;
  description: string;
  /** The paper (or baseline) it implements. */
  source: string;
  kinds: readonly DataSpec['kind'][];
  options: Record<string, OptionSpec>;
  /** Options are complete (defaults filled in and validated by the CLI). */
  create(spec: DataSpec, options: Record<string, OptionValue>): MethodRun;
}

const methods = new Map<string, Method>();

export function registerMethod(m: Method): void {
  if (methods.has(m.name)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `method '${m.name}' is already registered`);
  methods.set(m.name, m);
}

export function getMethod(name: string): Method {
  const m = methods.get(name);
  if (!m) {
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown method '${name}' (valid: ${[...methods.keys()].sort().join(', ') || 'none registered'})`);
  }
  return m;
}

export function listMethods(): Method[] { return [...methods.values()].sort((a, b) => a.name.localeCompare(b.name)); }

/** Fills defaults and checks types and choices; unknown keys are an error naming the valid ones. */
export function resolveOptions(m: Method, given: Record<string, unknown>): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const key of Object.keys(given)) {
    if (!(key in m.options)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `method '${m.name}' has no option '${key}' (valid: ${Object.keys(m.options).join(', ') || 'none'})`);
    }
  }
  for (const [key, spec] of Object.entries(m.options)) {
    let v = given[key] ?? spec.default;
    if (typeof spec.default === 'number' && typeof v === 'string') v = Number(v);
    if (typeof spec.default === 'boolean' && typeof v === 'string') v = v === 'true' ? true : v === 'false' ? false : v;
    if (typeof v !== typeof spec.default || (typeof v === 'number' && !Number.isFinite(v))) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `method '${m.name}': option '${key}' must be a ${typeof spec.default}, got '${String(given[key])}'`);
    }
    if (spec.choices && !spec.choices.includes(v as string)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `method '${m.name}': option '${key}' must be one of ${spec.choices.join(', ')}, got '${String(v)}'`);
    }
    out[key] = v as OptionValue;
  }
  return out;
}
