// Int8 checkpoints from the command line:
//  quantize --method ptq|qat-kd   runs a registered quantization recipe on a run's evaluation network and writes
//                                 the int8 network (<run>/int8-<method>.safetensors, atomic), its per-layer report
//                                 and the relative error of its predictions per noise level (<run>/int8-<method>.json);
//  openPrecision                  what sample, eval and bench use to run a run in float32, int8 (from such a file)
//                                 or mixed (float32 at the first and last k noise levels of the sampler, int8 between).
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../index';
import { getQuantRecipe, type DenoiserLevels, type MethodRun, type QuantContext, type SampleOptions } from '../registry';
import { getRngState, setRngState } from '../random';
import type { Module } from '../nn/module';
import type { DataSource } from '../data/sources';
import { usageError, positiveInt } from './args';
import { openRun, logDataset } from './train';
import { writeJson } from './run-dir';
import { ProgressBar } from './progress';
import { runRecord } from './record';
import type { SampleContext } from './sampling';

/** A second copy of a run's evaluation network in float32 (the teacher / the high-precision network). */
function floatCopy(dir: string): Module {
  const rng = getRngState();  // opening a run restores its generator; the caller's draws must not notice
  try { return openRun(dir, () => {}).run.evalNetwork!(); } finally { setRngState(rng); }
}

export interface RecipeResult { file: string; report: tf.quant.LayerReport[]; relErr: tf.quant.LevelErrors }

export function quantizeWithRecipe(dir: string, flags: Record<string, unknown>, log: (s: string) => void): RecipeResult {
  const recipe = getQuantRecipe(flags.method as string);
  const opts = {
    calibBatches: positiveInt('calib-batches', flags['calib-batches']), batchSize: positiveInt('batch', flags.batch),
    steps: recipe.name === 'ptq' ? 0 : positiveInt('qat-steps', flags['qat-steps']), lr: flags.lr as number,
    taskWeight: flags['task-weight'] as number, observers: flags.observers as 'moving' | 'frozen',
    actBuckets: positiveInt('act-buckets', flags['act-buckets'] ?? 1),
  };
  if (!(opts.taskWeight >= 0)) throw usageError(`--task-weight must be >= 0, got ${String(flags['task-weight'])}`);
  if (!(opts.lr > 0)) throw usageError(`--lr must be a positive number, got ${String(flags.lr)}`);
  const evalItems = positiveInt('eval-items', flags['eval-items']);
  const sopts: SampleOptions = { steps: flags.steps as number | undefined, solver: flags.solver as string | undefined };
  const { src, run, step, cfg } = openRun(dir, log);
  if (!run.evalNetwork || !run.denoiserBatch)
    throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `method '${cfg.method}' gives no noisy training batches (denoiserBatch), which --method ${recipe.name} needs; quantize without --method calibrates through its sampler`);
  logDataset(src, log);
  const out = (flags.out as string | undefined) ?? path.join(dir, `int8-${recipe.name}${opts.actBuckets > 1 ? `-b${opts.actBuckets}` : ''}.safetensors`);
  tf.manualSeed(flags.seed as number);
  const net = run.evalNetwork();
  const owned: Module[] = [];
  const batch = (n: number, levels: DenoiserLevels) => {
    const x0 = src.batch(n);
    try { return run.denoiserBatch!(x0, levels, sopts); } finally { x0.dispose(); }
  };
  const ctx: QuantContext = {
    net, options: opts, log, batch,
    teacher: () => { const t = floatCopy(dir); owned.push(t); return t; },
    progress: (label, total) => { const b = new ProgressBar({ total, label }); return { update: (d, f) => b.update(d, f), finish: () => b.finish() }; },
  };
  const t0 = Date.now();
  const { report, info } = recipe.run(ctx);
  const seconds = (Date.now() - t0) / 1000;
  log(`${recipe.name}: ${seconds.toFixed(1)} s\n${tf.quant.formatReport(report)}`);
  // the prediction error against the float network on held-out items, at the sampler's levels
  const ref = floatCopy(dir);
  owned.push(ref);
  const errs = new tf.quant.RelErrorByLevel(net, ref);
  tf.manualSeed((flags.seed as number) + 1);
  const real = src.real(evalItems);
  try {
    for (let i = 0; i < evalItems; i += 256) tf.tidy(() => errs.add(run.denoiserBatch!(real.slice(0, i, Math.min(evalItems, i + 256)), 'sampler', sopts).inputs));
  } finally { real.dispose(); }
  const relErr = errs.result();
  log(`relative MSE of the int8 prediction vs float32 on ${evalItems} held-out items (mean over ${relErr.levels.length} levels): ${relErr.mean.toExponential(3)}`);
  tf.quant.saveInt8Checkpoint(out, net, { method: cfg.method, recipe: recipe.name, step, report });
  writeJson(out.replace(/\.safetensors$/, '') + '.json', {
    recipe: recipe.name, file: path.basename(out), step, seconds, options: opts, info, report, relErr,
    record: runRecord(src, { n: evalItems, seeds: { quantize: flags.seed as number, eval: (flags.seed as number) + 1 } }),
  });
  log(`wrote ${out}`);
  for (const m of owned) m.dispose();
  return { file: out, report, relErr };
}

export type PrecisionMode = 'float32' | 'int8' | 'mixed' | 'mixed-bf16';

/** A run ready to sample in one precision; sample() draws as run.sample would (the caller seeds). */
export interface PrecisionRun {
  src: DataSource; run: MethodRun; step: number; ctx: SampleContext;
  sample(n: number, so: SampleOptions): { x: tf.Tensor; nfe: number; calls?: Record<string, number> };
  dispose(): void;
}

/**
 * Opens a run for sampling in `mode`: float32 (the training checkpoint), int8 (the network of an int8 checkpoint
 * `file`), or mixed (that int8 network, with the calls at the first and last `k` noise levels the sampler visits
 * going to the float32 network; mixed-bf16: the same calls at the matmul precision 'bf16', on CPUs with bf16
 * instructions, float32 elsewhere with a note).
 */
export function openPrecision(dir: string, mode: PrecisionMode, file: string | undefined, k: number, log: (s: string) => void): PrecisionRun {
  const o = openRun(dir, log);
  if (mode === 'float32') return { ...o, sample: (n, so) => o.run.sample(n, so), dispose: () => {} };
  if (!file) throw usageError(`--precision ${mode} needs --int8 <file> (written by tensorfield quantize --method ptq|qat-kd)`);
  if (!fs.existsSync(file)) throw new tf.TensorfieldError('TF_BAD_FILE', `int8 checkpoint '${file}' does not exist (tensorfield quantize --run ${dir} --method qat-kd writes one)`);
  if (!o.run.evalNetwork) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `method '${o.ctx.method}' does not expose its evaluation network, so it cannot run int8`);
  const net = o.run.evalNetwork();
  const { floats } = tf.quant.loadInt8Checkpoint(file, net);
  for (const f of floats.values()) f.dispose();
  if (mode === 'int8') return { ...o, sample: (n, so) => o.run.sample(n, { ...so, asIs: true }), dispose: () => {} };
  const floatNet = floatCopy(dir);
  const high: tf.quant.HighPrecision = mode === 'mixed-bf16' ? 'bf16' : 'float32';
  if (high === 'bf16' && tf.info().bf16Matmul === 'none (fp32)') {
    log(`note: this CPU has no bf16 matmul instructions (info().bf16Matmul: ${tf.info().bf16Matmul}): the mixed-bf16 edge steps run in float32`);
  }
  // the levels a sampler visits, from a one-item probe that leaves the generator as it was; once per sampler
  // options (a probe on every call cost a bench rep about a tenth of its time)
  const probed = new Map<string, number[]>();
  const levelsOf = (so: SampleOptions): number[] => {
    const key = JSON.stringify([so.steps ?? null, so.solver ?? null]);
    let levels = probed.get(key);
    if (!levels) {
      const rng = getRngState();
      try { levels = tf.quant.recordLevels(net, () => o.run.sample(1, { ...so, asIs: true }).x.dispose()); } finally { setRngState(rng); }
      probed.set(key, levels);
    }
    return levels;
  };
  return {
    ...o,
    sample(n, so) {
      const r = tf.quant.withEdgeSteps(net, floatNet, levelsOf(so), k, () => o.run.sample(n, { ...so, asIs: true }), high);
      return { ...r.result, calls: r.calls };
    },
    dispose: () => floatNet.dispose(),
  };
}
