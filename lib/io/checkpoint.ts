// Training checkpoints as one safetensors file (loadable by Python's safetensors / PyTorch as is):
//   tensors   model.<state-dict name>           parameters and buffers
//             ema.<parameter name>               EMA shadow weights
//             optim.<group>.<param index>.<slot> optimizer slots (Adam: m, v; SGD: momentum)
//   metadata  tensorfield.format = "checkpoint", tensorfield.format_version = "1", tensorfield.step,
//             tensorfield.parts (JSON list), tensorfield.rng (JSON {generator, seed, calls}),
//             tensorfield.optim.class, tensorfield.optim.step_count, tensorfield.optim.groups (JSON: each group's
//             hyperparameters and parameter count), tensorfield.ema.steps, tensorfield.ema.options (JSON),
//             tensorfield.extra (JSON, when given), tensorfield.data_sha256 (added by the safetensors writer and
//             verified on load: a corrupt data section is TF_BAD_FILE).
// Loading restores the RNG state too, so a resumed run draws the same numbers as an uninterrupted one. It checks
// everything (version, parts, names, shapes, dtypes) before changing anything, so a failed load leaves the model,
// EMA and optimizer as they were.
import { Tensor, TensorfieldError } from '../tensor';
import { noGrad } from '../autograd';
import { tidy } from '../scope';
import { getRngState, setRngState, RngState } from '../random';
import type { Module } from '../nn/module';
import type { EMA } from '../optim/ema';
import type { Optimizer } from '../optim/optimizer';
import {
  Metadata, SafetensorsContents, loadSafetensors, loadSafetensorsAsync, saveSafetensors, saveSafetensorsAsync,
} from './safetensors';

export const CHECKPOINT_FORMAT_VERSION = 1;
const RNG_GENERATOR = 'philox4x32-10';
const K = {
  format: 'tensorfield.format',
  version: 'tensorfield.format_version',
  step: 'tensorfield.step',
  parts: 'tensorfield.parts',
  rng: 'tensorfield.rng',
  optimClass: 'tensorfield.optim.class',
  optimStepCount: 'tensorfield.optim.step_count',
  optimGroups: 'tensorfield.optim.groups',
  emaSteps: 'tensorfield.ema.steps',
  emaOptions: 'tensorfield.ema.options',
  extra: 'tensorfield.extra',
} as const;

export interface CheckpointState {
  model: Module;
  ema?: EMA;
  optimizer?: Optimizer;
  /** The training step the checkpoint was taken at (a non-negative integer). */
  step: number;
  /** Anything JSON-serialisable (config, data-loader position, ...); returned by loadCheckpoint. */
  extra?: unknown;
}

export interface LoadCheckpointTargets {
  model: Module;
  /** Required when given: the checkpoint must then hold EMA state (likewise the optimizer). */
  ema?: EMA;
  optimizer?: Optimizer;
  /** Restore the random generator to its state at save time (default true). */
  restoreRng?: boolean;
}

export interface LoadedCheckpoint {
  step: number;
  extra: unknown;
  rng: RngState;
  metadata: Metadata;
  /** Whether the data matched the file's SHA-256 ('unverified': a file without one, e.g. written by another tool). */
  integrity: 'verified' | 'unverified';
  /** Set when unverified: a sentence to show the user. */
  note?: string;
}

function err(file: string, msg: string, code = 'TF_CHECKPOINT'): TensorfieldError {
  return new TensorfieldError(code, `checkpoint '${file}': ${msg}`);
}

function checkCount(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0)
    throw new TensorfieldError('TF_INVALID_ARGUMENT', `saveCheckpoint: ${what} must be a non-negative integer, got ${v}`);
  return v as number;
}

function contents(state: CheckpointState): { tensors: Map<string, Tensor>; metadata: Metadata } {
  if (!state || !state.model) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'saveCheckpoint: a model is required');
  const step = checkCount(state.step, 'step');
  const tensors = new Map<string, Tensor>();
  const parts = ['model'];
  for (const [k, t] of state.model.stateDict()) tensors.set(`model.${k}`, t);
  const rng = getRngState();
  const metadata: Metadata = {
    [K.format]: 'checkpoint',
    [K.version]: String(CHECKPOINT_FORMAT_VERSION),
    [K.step]: String(step),
    [K.rng]: JSON.stringify({ generator: RNG_GENERATOR, seed: rng.seed, calls: rng.calls }),
  };
  if (state.ema) {
    parts.push('ema');
    for (const [k, t] of state.ema.shadow) tensors.set(`ema.${k}`, t);
    metadata[K.emaSteps] = String(checkCount(state.ema.steps, 'ema.steps'));
    metadata[K.emaOptions] = JSON.stringify(state.ema.opts ?? {});
  }
  if (state.optimizer) {
    parts.push('optim');
    const sd = state.optimizer.stateDict();
    for (const [k, t] of sd.tensors) tensors.set(`optim.${k}`, t);
    metadata[K.optimClass] = state.optimizer.constructor.name;
    metadata[K.optimStepCount] = String(checkCount(sd.stepCount, 'optimizer.stepCount'));
    metadata[K.optimGroups] = JSON.stringify(state.optimizer.groups.map(({ params, ...hyper }) => ({ ...hyper, numParams: params.length })));
  }
  metadata[K.parts] = JSON.stringify(parts);
  if (state.extra !== undefined) {
    const json = JSON.stringify(state.extra);
    if (json === undefined) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'saveCheckpoint: extra is not JSON-serialisable');
    metadata[K.extra] = json;
  }
  return { tensors, metadata };
}

// A checkpoint is what a run falls back to, so it must never hold a NaN or an infinity: a diverged step would
// otherwise replace the last good state with a poisoned one. One isfinite pass and one reduction per tensor.
function checkFinite(file: string, tensors: Map<string, Tensor>): void {
  const bad: string[] = [];
  noGrad(() => tidy(() => {
    for (const [k, t] of tensors)
      if ((t.dtype === 'float32' || t.dtype === 'float64') && t.numel() > 0 && t.isfinite().amin().item() === 0) bad.push(k);
  }));
  if (bad.length > 0)
    throw new TensorfieldError('TF_NON_FINITE', `saveCheckpoint: refusing to write '${file}': ${bad.length} tensor(s) hold ` +
      `NaN or infinite values (${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}); any earlier checkpoint there is intact`);
}

/**
 * Writes the checkpoint atomically (a crash never leaves a partial file at `file`). Refuses (TF_NON_FINITE) a state
 * whose parameters, EMA or optimizer slots hold a NaN or an infinity, leaving any earlier file untouched.
 */
export function saveCheckpoint(file: string, state: CheckpointState): void {
  const { tensors, metadata } = contents(state);
  checkFinite(file, tensors);
  saveSafetensors(file, tensors, metadata);
}

/** Async form; the state is snapshotted before the returned promise is created, so training may go on. */
export async function saveCheckpointAsync(file: string, state: CheckpointState): Promise<void> {
  const { tensors, metadata } = contents(state);
  checkFinite(file, tensors);
  await saveSafetensorsAsync(file, tensors, metadata);
}

function parseJson(file: string, md: Metadata, key: string): unknown {
  if (md[key] === undefined) throw err(file, `metadata '${key}' is missing`);
  try {
    return JSON.parse(md[key]);
  } catch {
    throw err(file, `metadata '${key}' is not valid JSON`);
  }
}

function parseCount(file: string, md: Metadata, key: string): number {
  const s = md[key];
  if (s === undefined) throw err(file, `metadata '${key}' is missing`);
  const v = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(v)) throw err(file, `metadata '${key}' is ${JSON.stringify(s)}, not a non-negative integer`);
  return v;
}

/** Compares a group of checkpoint tensors with the live ones: names, shapes, dtypes; all problems at once. */
function matchTensors(file: string, what: string, saved: Map<string, Tensor>, live: Map<string, Tensor>): void {
  const missing = [...live.keys()].filter((k) => !saved.has(k));
  const unexpected = [...saved.keys()].filter((k) => !live.has(k));
  const wrong: string[] = [];
  for (const [k, t] of live) {
    const s = saved.get(k);
    if (!s) continue;
    if (String(s.shape) !== String(t.shape)) wrong.push(`${k}: checkpoint has shape [${s.shape}], ${what} [${t.shape}]`);
    else if (s.dtype !== t.dtype) wrong.push(`${k}: checkpoint has dtype ${s.dtype}, ${what} ${t.dtype}`);
  }
  if (missing.length || unexpected.length || wrong.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing from the checkpoint: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`not in the ${what}: ${unexpected.join(', ')}`);
    if (wrong.length) parts.push(wrong.join('; '));
    throw err(file, `${what} state does not match: ${parts.join(' | ')}`, 'TF_STATE_DICT');
  }
}

function withPrefix(all: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, t] of all) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  return out;
}

function apply(file: string, loaded: SafetensorsContents, targets: LoadCheckpointTargets): LoadedCheckpoint {
  const md = loaded.metadata;
  if (md[K.format] !== 'checkpoint')
    throw err(file, `not a tensorfield checkpoint (metadata '${K.format}' is ${JSON.stringify(md[K.format] ?? null)}); ` +
      'a plain safetensors file loads with io.loadSafetensors');
  const version = parseCount(file, md, K.version);
  if (version > CHECKPOINT_FORMAT_VERSION)
    throw err(file, `format version ${version} was written by a newer tensorfield (this one reads up to ${CHECKPOINT_FORMAT_VERSION})`);
  if (version < 1) throw err(file, `format version ${version} is invalid`);
  const step = parseCount(file, md, K.step);
  const partsJson = parseJson(file, md, K.parts);
  if (!Array.isArray(partsJson) || !partsJson.every((p) => typeof p === 'string')) throw err(file, `metadata '${K.parts}' is not a list of names`);
  const parts = new Set(partsJson as string[]);
  const rngJson = parseJson(file, md, K.rng) as Record<string, unknown> | null;
  const hex = /^[0-9a-f]{1,16}$/;
  if (!rngJson || rngJson.generator !== RNG_GENERATOR || typeof rngJson.seed !== 'string' || typeof rngJson.calls !== 'string' ||
      !hex.test(rngJson.seed) || !hex.test(rngJson.calls))
    throw err(file, `metadata '${K.rng}' is not a ${RNG_GENERATOR} generator state: ${md[K.rng]}`);
  const rng: RngState = { seed: rngJson.seed, calls: rngJson.calls };
  const known = ['model.', 'ema.', 'optim.'];
  const stray = [...loaded.tensors.keys()].filter((k) => !known.some((p) => k.startsWith(p)));
  if (stray.length) throw err(file, `tensors outside the model/ema/optim sections: ${stray.join(', ')}`);
  const partNames: Record<string, string> = { model: 'model', ema: 'EMA', optim: 'optimizer' };
  const listParts = () => [...parts].map((p) => partNames[p] ?? p).join(', ') || 'none';
  for (const [prefix, part] of [['model.', 'model'], ['ema.', 'ema'], ['optim.', 'optim']])
    if (!parts.has(part) && [...loaded.tensors.keys()].some((k) => k.startsWith(prefix)))
      throw err(file, `holds ${prefix}* tensors but '${K.parts}' does not list '${part}'`);

  // ---- check everything first ----
  if (!targets || !targets.model) throw new TensorfieldError('TF_INVALID_ARGUMENT', 'loadCheckpoint: a model to load into is required');
  if (!parts.has('model')) throw err(file, `has no model state (it holds: ${listParts()})`);
  const modelState = withPrefix(loaded.tensors, 'model.');
  matchTensors(file, 'model', modelState, targets.model.stateDict());

  let emaState: Map<string, Tensor> | null = null, emaSteps = 0;
  if (targets.ema) {
    if (!parts.has('ema')) throw err(file, `has no EMA state (it holds: ${listParts()}); load it without the ema target`);
    emaState = withPrefix(loaded.tensors, 'ema.');
    matchTensors(file, 'EMA', emaState, targets.ema.shadow);
    emaSteps = parseCount(file, md, K.emaSteps);
  }

  let optimState: Map<string, Tensor> | null = null, optimSteps = 0;
  const opt = targets.optimizer;
  if (opt) {
    if (!parts.has('optim')) throw err(file, `has no optimizer state (it holds: ${listParts()}); load it without the optimizer target`);
    const cls = md[K.optimClass];
    if (cls !== opt.constructor.name)
      throw err(file, `optimizer state is for ${cls ?? 'an unknown optimizer'}, not ${opt.constructor.name}`, 'TF_STATE_DICT');
    optimSteps = parseCount(file, md, K.optimStepCount);
    const groups = parseJson(file, md, K.optimGroups);
    if (!Array.isArray(groups)) throw err(file, `metadata '${K.optimGroups}' is not a list`);
    const savedCounts = groups.map((g) => (g as { numParams?: unknown })?.numParams);
    const liveCounts = opt.groups.map((g) => g.params.length);
    if (String(savedCounts) !== String(liveCounts))
      throw err(file, `optimizer has ${liveCounts.length} parameter group(s) of sizes [${liveCounts}], the checkpoint ` +
        `${savedCounts.length} of sizes [${savedCounts}]`, 'TF_STATE_DICT');
    optimState = withPrefix(loaded.tensors, 'optim.');
    const problems: string[] = [];
    for (const [k, t] of optimState) {
      const m = /^(\d+)\.(\d+)\.([^.]+)$/.exec(k);
      const p = m ? opt.groups[Number(m[1])]?.params[Number(m[2])] : undefined;
      if (!p) problems.push(`optim.${k} matches no parameter`);
      else if (String(p.shape) !== String(t.shape)) problems.push(`optim.${k} has shape [${t.shape}], its parameter [${p.shape}]`);
      else if (p.dtype !== t.dtype) problems.push(`optim.${k} has dtype ${t.dtype}, its parameter ${p.dtype}`);
    }
    if (problems.length) throw err(file, `optimizer state does not match: ${problems.join('; ')}`, 'TF_STATE_DICT');
  }

  const extra = md[K.extra] === undefined ? undefined : parseJson(file, md, K.extra);

  // ---- then change things ----
  targets.model.loadStateDict(modelState);
  if (targets.ema && emaState) {
    const ema = targets.ema;
    noGrad(() => { for (const [k, t] of ema.shadow) t.copy_(emaState!.get(k)!); });
    ema.steps = emaSteps;
  }
  if (opt && optimState) opt.loadStateDict({ tensors: optimState, stepCount: optimSteps });
  if (targets.restoreRng !== false) setRngState(rng);
  return { step, extra, rng, metadata: md, integrity: loaded.integrity, ...(loaded.note ? { note: loaded.note } : {}) };
}

/**
 * Loads a checkpoint into the model (and EMA and optimizer, when given), restores the random generator and
 * returns the step and `extra`. Errors: TF_BAD_FILE (not a readable safetensors file), TF_CHECKPOINT (not a
 * tensorfield checkpoint, unsupported version, a requested part missing), TF_STATE_DICT (names, shapes or dtypes
 * that do not match the targets).
 */
export function loadCheckpoint(file: string, targets: LoadCheckpointTargets): LoadedCheckpoint {
  const loaded = loadSafetensors(file);
  try { return apply(file, loaded, targets); } finally { for (const t of loaded.tensors.values()) t.dispose(); }
}

export async function loadCheckpointAsync(file: string, targets: LoadCheckpointTargets): Promise<LoadedCheckpoint> {
  const loaded = await loadSafetensorsAsync(file);
  try { return apply(file, loaded, targets); } finally { for (const t of loaded.tensors.values()) t.dispose(); }
}
