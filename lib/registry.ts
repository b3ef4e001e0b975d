// The method registry: each paper's folder (lib/models/<paper>) registers its methods by name, and the CLI finds
// them only here. A method turns a data description and options into a run: the networks to checkpoint, one
// training step, and a sampler.
import { Tensor, TensorfieldError } from './tensor';
import type { Module } from './nn/module';
import type { EMA } from './optim/ema';
import type { Optimizer } from './optim/optimizer';
import type { TimeSeries } from './data/timeseries';
import type { TextData } from './data/sources';

/**
 * What the method trains on: points [N, dim], images [N, C, H, W] (values in [-1, 1]), counts (integer-valued
 * float32 in [0, maxCount], items [dim] or [C, H, W]), or a dated series (kind 'dated') that a conditional method
 * cuts into its own forecasting windows: its training items are two uniforms each, [N, 2] float64 from the engine
 * generator (which window, and the seed of what the method draws at random for it), so that a resumed run draws
 * the same batches. Text (kind 'text'): a character corpus that a language-model method cuts into windows; its
 * items are one uniform each, [N, 1] float64 (where a window starts), for the same reason.
 */
export interface DataSpec {
  name: string;
  kind: 'points' | 'images' | 'counts' | 'dated' | 'text';
  /** Dated series: the series itself (loaded on call; TF_BAD_FILE naming the install command when absent). */
  dated?: () => TimeSeries;
  /** Text: the encoded corpus (loaded on the first call; TF_BAD_FILE naming the install command when absent). */
  text?: () => TextData;
  /** Counts: the largest value an element can take. */
  maxCount?: number;
  /** Shape of one item: [dim] or [C, H, W]. */
  itemShape: number[];
  /**
   * n fresh training items, for methods whose sampler starts from data rather than noise (the mirror
   * interpolant). The CLI supplies it; a method that needs it and finds none says so.
   */
  draw?: (n: number) => Tensor;
  /** Labelled data: the number of classes, and n fresh items with int32 labels [n] (class-conditional methods). */
  classes?: number;
  drawLabeled?: (n: number) => { x: Tensor; y: Tensor };
}

export type OptionValue = number | string | boolean;

export interface OptionSpec {
  default: OptionValue;
  help: string;
  /** Allowed values for a string option. */
  choices?: readonly string[];
  /** Numbers: whole numbers only (widths, step counts). */
  integer?: boolean;
  /** Numbers: the smallest allowed value; with minExclusive the value must be above it (lr > 0). */
  min?: number;
  minExclusive?: boolean;
  /** Numbers: the largest allowed value; with maxExclusive the value must be below it (dropout < 1). */
  max?: number;
  maxExclusive?: boolean;
  /**
   * Does not change the model (learning rate, clipping, sampling), so `train --resume` may give a new value; the
   * change is recorded in config.json. Options without it must match the run's.
   */
  resumable?: boolean;
}

export interface SampleOptions {
  /** Solver steps or levels (method-specific meaning; each method documents it). */
  steps?: number;
  solver?: string;
  /** Evaluate the network as it stands (after evalNetwork(), e.g. quantized) instead of refreshing it from the EMA. */
  asIs?: boolean;
  /** Called as long sampling advances (done of total, in the method's own units: characters for text). */
  onProgress?: (done: number, total: number) => void;
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
  /**
   * The learned score grad_x log p_sigma at noise level sigma (evaluation weights), for methods that have one
   * (dimension estimates: tensorfield id). x [n, ...itemShape]. differentiable: the result keeps its graph to x
   * (Jacobians of the score); otherwise it is detached.
   */
  score?(x: Tensor, sigma: number, differentiable?: boolean): Tensor;
  /**
   * For quantization recipes (lib/quant, tensorfield quantize): clean items x0 made noisy at levels drawn from the
   * training loss's own distribution ('training') or uniformly from the levels the sampler visits ('sampler',
   * with opts' steps), or uniformly from one part of them ({ part: b, of: n }: the b-th of n contiguous parts of the
   * sampler's levels, highest noise first; per-bucket calibration), as the evaluation network's inputs, with the
   * regression target of the method's loss.
   */
  denoiserBatch?(x0: Tensor, levels: DenoiserLevels, opts?: SampleOptions): { inputs: Tensor[]; target: Tensor };
  /** Numbers the method measured while training (e.g. the allocator's peak bytes per step), added to `train`'s metrics. */
  trainReport?(): Record<string, number>;
  /**
   * Numbers the method measures itself on held-out data with its evaluation weights (e.g. bits per character of
   * held-out text), added to `train`'s and `eval`'s metrics. Draws from the engine generator (the caller seeds it).
   */
  heldOutMetrics?(): Record<string, number>;
  /**
   * Conditional methods (data kind 'dated'): forecasts of held-out windows and their scores, which train / sample /
   * eval use instead of sample() (lib/cli/conditional.ts).
   */
  conditional?: ConditionalRun;
}

/** Which held-out windows a conditional run forecasts, and how. */
/**
 * Which windows a conditional run forecasts: a held-out split (scored against its truth), or 'gaps': the series'
 * own missing values (sample only: there is no truth to score), for methods with `ConditionalRun.gaps`.
 */
export type ConditionalSplit = 'val' | 'test' | 'gaps';

export interface ConditionalOptions {
  split: ConditionalSplit;
  /** samples per forecast */
  samples: number;
  /** every `every`-th window of the split, from the first (1: all) */
  every: number;
  /** seed of the sampling noise and of the baseline's draws */
  seed: number;
  /** sampler steps (default: the method's) */
  steps?: number;
  /** called as chunks of windows finish (for a progress bar) */
  onProgress?: (done: number, total: number) => void;
}

/** One window's forecast, in the series' own units; x in time units relative to the first target (0). */
export interface WindowForecast {
  /** e.g. the first target's date */
  label: string;
  /** the context values the model saw */
  contextX: number[];
  contextY: number[];
  /** the whole window's true values (context days the model did not see included), for drawing */
  truthX: number[];
  truthY: number[];
  targetX: number[];
  /** samples [m][targets] */
  samples: Float64Array[];
}

export interface ConditionalForecasts {
  split: ConditionalSplit;
  /** what the values are and in which units, for files and figures ('temp_max (C)') */
  valueLabel: string;
  /** the x unit ('days') */
  timeUnit: string;
  windows: WindowForecast[];
  /** network evaluations of the whole sampling */
  nfe: number;
}

export interface ConditionalRun {
  /**
   * Set when predict() also takes split 'gaps': windows centred on the series' real missing stretches, whose targets
   * have no truth (NaN in truthY); they can be sampled, never scored. The string says what they are.
   */
  gaps?: string;
  /** Forecasts of the split's windows (evaluation weights). */
  predict(o: ConditionalOptions): ConditionalForecasts;
  /**
   * Scores of forecasts against the truth, with the method's baselines scored by the same estimators beside them;
   * lists (per lead, per block length) apart in `breakdown`; `notes` say what was scored and how.
   */
  score(f: ConditionalForecasts, o: ConditionalOptions): { metrics: Record<string, number>; breakdown: Record<string, number[]>; notes: Record<string, string> };
}

export interface Method {
  name: string;
  description: string;
  /** The paper (or baseline) it implements. */
  source: string;
  kinds: readonly DataSpec['kind'][];
  options: Record<string, OptionSpec>;
  /** Checks that span options (sigmaMin < sigmaMax), after each has passed its own; throws TF_INVALID_ARGUMENT. */
  checkOptions?(options: Record<string, OptionValue>): void;
  /** Options are complete (defaults filled in and validated by the CLI). */
  create(spec: DataSpec, options: Record<string, OptionValue>): MethodRun;
}

/** What a quantization recipe gets from `tensorfield quantize`. */
/** Where denoiserBatch draws its noise levels from (MethodRun.denoiserBatch). */
export type DenoiserLevels = 'training' | 'sampler' | { part: number; of: number };

/** The indices of part `b` of `n` contiguous parts of `len` levels (as even as integers allow); checks the part. */
export function levelPart(len: number, levels: { part: number; of: number }): [number, number] {
  const { part: b, of: n } = levels;
  if (!Number.isInteger(n) || n < 1 || n > len || !Number.isInteger(b) || b < 0 || b >= n)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `noise-level part ${b} of ${n}: need integers 0 <= part < of <= ${len} (the sampler's levels)`);
  return [Math.floor((b * len) / n), Math.floor(((b + 1) * len) / n)];
}

export interface QuantContext {
  /** the evaluation network (float32, eval mode): the recipe converts it to int8 in place */
  net: Module;
  /** a fresh float32 copy of the evaluation network (a teacher), owned by the caller */
  teacher(): Module;
  /** one batch of n training items at noise levels, as MethodRun.denoiserBatch */
  batch(n: number, levels: DenoiserLevels): { inputs: Tensor[]; target: Tensor };
  /** actBuckets: activation codings per contiguous part of the sampler's levels (1: one for all levels) */
  options: { calibBatches: number; batchSize: number; steps: number; lr: number; taskWeight: number; observers: 'moving' | 'frozen'; actBuckets: number };
  log(s: string): void;
  /** progress of long work (done of total, fields) */
  progress(label: string, total: number): { update(done: number, fields?: Record<string, number | string>): void; finish(): void };
}

/** A way to make an int8 network (ptq, qat-kd): registered by a paper's folder, found by tensorfield quantize. */
export interface QuantRecipe {
  name: string;
  description: string;
  source: string;
  /** Converts ctx.net in place; returns the per-layer report (lib/quant LayerReport) and numbers worth keeping. */
  run(ctx: QuantContext): { report: import('./quant/convert').LayerReport[]; info: Record<string, unknown> };
}

const recipes = new Map<string, QuantRecipe>();
export function registerQuantRecipe(r: QuantRecipe): void {
  if (recipes.has(r.name)) throw new TensorfieldError('TF_INVALID_ARGUMENT', `quantization recipe '${r.name}' is already registered`);
  recipes.set(r.name, r);
}
export function getQuantRecipe(name: string): QuantRecipe {
  const r = recipes.get(name);
  if (!r) throw new TensorfieldError('TF_INVALID_ARGUMENT', `unknown quantization method '${name}' (valid: ${[...recipes.keys()].sort().join(', ') || 'none registered'})`);
  return r;
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

// Plain decimal notation only: Number() would also take '0x10' (16), '0b1', ' 1 ', '' (0) and 'Infinity'.
const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** A number written as text (a flag, or a config value): decimal notation only, else NaN. */
export function parseDecimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : NaN;
}

function badOption(m: Method, key: string, msg: string): TensorfieldError {
  return new TensorfieldError('TF_INVALID_ARGUMENT', `method '${m.name}': option '${key}' ${msg}`);
}

/** The range an option's spec allows, in words ('a number > 0', 'an integer >= 1'). */
function rangeText(spec: OptionSpec): string {
  const parts = [spec.integer ? 'an integer' : 'a number'];
  if (spec.min !== undefined) parts.push(`${spec.minExclusive ? '>' : '>='} ${spec.min}`);
  if (spec.max !== undefined) parts.push(`${spec.min !== undefined ? 'and ' : ''}${spec.maxExclusive ? '<' : '<='} ${spec.max}`);
  return parts.join(' ');
}

function checkValue(m: Method, key: string, spec: OptionSpec, given: unknown): OptionValue {
  const kind = typeof spec.default;
  let v = given;
  // From a flag every value is text; a config file may give the JSON type itself, but nothing else ("lr": [1]).
  if (typeof v === 'string' && kind === 'number') v = parseDecimal(v.trim() === v ? v : '');
  else if (typeof v === 'string' && kind === 'boolean') v = v === 'true' ? true : v === 'false' ? false : v;
  if (typeof v !== kind || (typeof v === 'number' && !Number.isFinite(v))) {
    const shown = typeof given === 'string' ? `'${given}'` : JSON.stringify(given) ?? String(given);
    const want = kind === 'number' ? 'a decimal number' : kind === 'boolean' ? 'true or false' : 'a string';
    throw badOption(m, key, `must be ${want}, got ${shown}${Array.isArray(given) ? ' (a list)' : ''}`);
  }
  if (typeof v === 'number') {
    const low = spec.min !== undefined && (spec.minExclusive ? v <= spec.min : v < spec.min);
    const high = spec.max !== undefined && (spec.maxExclusive ? v >= spec.max : v > spec.max);
    if ((spec.integer && !Number.isInteger(v)) || low || high) throw badOption(m, key, `must be ${rangeText(spec)}, got ${v}`);
  }
  if (spec.choices && !spec.choices.includes(v as string)) throw badOption(m, key, `must be one of ${spec.choices.join(', ')}, got '${String(v)}'`);
  return v as OptionValue;
}

/** Fills defaults and checks types, ranges and choices; unknown keys are an error naming the valid ones. */
export function resolveOptions(m: Method, given: Record<string, unknown>): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const key of Object.keys(given)) {
    if (!(key in m.options)) {
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `method '${m.name}' has no option '${key}' (valid: ${Object.keys(m.options).join(', ') || 'none'})`);
    }
  }
  for (const [key, spec] of Object.entries(m.options)) out[key] = key in given && given[key] !== undefined ? checkValue(m, key, spec, given[key]) : spec.default;
  m.checkOptions?.(out);
  return out;
}
