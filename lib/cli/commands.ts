// The small commands: sample, eval, info, bench, quantize.
import * as path from 'path';
import * as tf from '../index';
import { listMethods, getMethod } from '../registry';
import { DATA_SOURCES } from '../data/sources';
import * as steps from '../samplers/steps';
import { parseFlags, usageError, positiveInt, highSteps, type FlagSpec } from './args';
import { evaluateSamples } from './evaluate';
import { files, writeJson, version, readRunConfig } from './run-dir';
import { openRun, saveSamples, logDataset, samplesPath, sampleProgress, defaultSampleCount } from './train';
import { runRecord } from './record';
import { sampleChecked, sampleBatched, DEFAULT_SAMPLE_BATCH } from './sampling';
import { openPrecision, quantizeWithRecipe, type PrecisionMode, type PrecisionRun } from './int8';
import { conditionalOptions, predictChecked, scoreToFile, writeForecasts } from './conditional';
import { benchInt8 } from './bench-int8';
import { timeIt } from './timing';
import { makeDirs } from '../io/dirs';

/** The precision flags of sample / eval / bench: --int8 alone means int8. */
function precisionOf(flags: Record<string, unknown>): { mode: PrecisionMode; file: string | undefined; k: number } {
  let mode = flags.precision as PrecisionMode;
  const file = flags.int8 as string | undefined;
  if (file !== undefined && mode === 'float32') mode = 'int8';
  return { mode, file, k: highSteps(flags['high-steps']) };
}

function openWith(dir: string, flags: Record<string, unknown>, log: (s: string) => void): { pr: PrecisionRun; p: ReturnType<typeof precisionOf> } {
  const p = precisionOf(flags);
  const pr = openPrecision(dir, p.mode, p.file, p.k, log);
  if (p.mode !== 'float32') log(`precision: ${p.mode}${p.mode.startsWith('mixed') ? ` (${p.mode === 'mixed' ? 'float32' : 'bf16'} at the first and last ${p.k} noise levels)` : ''} from ${p.file}`);
  return { pr, p };
}

export const SAMPLE_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'run folder of a tensorfield train' },
  n: { type: 'number', default: 64, help: 'how many samples (conditional methods: per forecast, default 100)' },
  steps: { type: 'number', help: 'sampler steps (default: the method\'s)' },
  solver: { type: 'string', help: 'sampler (default: the method\'s)' },
  seed: { type: 'number', default: 1, help: 'seed of the sampling noise' },
  out: { type: 'string', help: 'PNG file (default <run>/samples-<steps>.png); conditional methods: the folder for forecasts-<split>.json and the fan charts (default <run>)' },
  split: { type: 'string', default: 'test', choices: ['val', 'test', 'gaps'], help: "conditional methods (spd-forecast, spd-impute): which held-out windows to forecast; gaps (spd-impute): the series' real missing weeks, no truth" },
  every: { type: 'number', default: 1, help: 'conditional methods: every k-th window of the split (1: all)' },
  fans: { type: 'number', default: 4, help: 'conditional methods: fan charts of this many windows spread over the split' },
  precision: { type: 'string', default: 'float32', choices: ['float32', 'int8', 'mixed', 'mixed-bf16'], help: 'network precision: the training checkpoint, the int8 checkpoint --int8, or mixed (float32 at the first and last --high-steps noise levels, int8 between; mixed-bf16: those levels at the matmul precision bf16, where the CPU has bf16 instructions)' },
  int8: { type: 'string', help: 'int8 checkpoint (tensorfield quantize --method ...); implies --precision int8 unless mixed is asked' },
  'high-steps': { type: 'number', default: 5, help: 'mixed precision: float32 noise levels at each end of the sampler' },
  batch: { type: 'number', default: DEFAULT_SAMPLE_BATCH, help: 'samples per sampler call: peak memory follows it, not --n (more samples are drawn in several calls, the noise stream running on: --n up to --batch gives the samples of one call)' },
};

export const EVAL_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'run folder of a tensorfield train' },
  n: { type: 'number', default: 1000, help: 'samples to evaluate (conditional methods: per forecast, default 100)' },
  steps: { type: 'number', help: 'sampler steps (default: the method\'s)' },
  solver: { type: 'string', help: 'sampler (default: the method\'s)' },
  seed: { type: 'number', default: 2, help: 'seed of the sampling noise' },
  precision: { type: 'string', default: 'float32', choices: ['float32', 'int8', 'mixed', 'mixed-bf16'], help: 'network precision: the training checkpoint, the int8 checkpoint --int8, or mixed (float32 at the first and last --high-steps noise levels, int8 between; mixed-bf16: those levels at the matmul precision bf16, where the CPU has bf16 instructions)' },
  int8: { type: 'string', help: 'int8 checkpoint (tensorfield quantize --method ...); implies --precision int8 unless mixed is asked' },
  'high-steps': { type: 'number', default: 5, help: 'mixed precision: float32 noise levels at each end of the sampler' },
  split: { type: 'string', default: 'test', choices: ['val', 'test'], help: 'conditional methods (spd-forecast, spd-impute): which held-out windows to forecast and score' },
  every: { type: 'number', default: 1, help: 'conditional methods: every k-th window of the split (1: all)' },
  'floor-draws': { type: 'number', default: 3, help: 'images: disjoint real samples (train images, not in the reference) for the FD_cls floor, >= 2 (mean, sd, range); 0 skips it' },
  batch: { type: 'number', default: DEFAULT_SAMPLE_BATCH, help: 'samples per sampler call: peak memory follows it, not --n (more samples are drawn in several calls, the noise stream running on: --n up to --batch gives the samples of one call)' },
};

function requireRun(flags: Record<string, unknown>): string {
  if (typeof flags.run !== 'string') throw usageError('--run <folder> is required (the --out folder of a tensorfield train)');
  return flags.run;
}

/**
 * A run of a conditional method (data kind 'dated'), opened in float32, or null for every other run. Its sample
 * and eval forecast held-out windows (lib/cli/conditional.ts), so the int8 and solver flags do not apply.
 */
function openConditional(dir: string, flags: Record<string, unknown>, log: (s: string) => void): ReturnType<typeof openRun> | null {
  const cfg = readRunConfig(dir);
  if (!getMethod(cfg.method).kinds.includes('dated')) return null;
  if (flags.precision !== 'float32' || flags.int8 !== undefined) throw usageError(`method '${cfg.method}' forecasts held-out windows in float32; --precision / --int8 do not apply`);
  if (flags.solver !== undefined) throw usageError(`method '${cfg.method}' has one sampler (DSPD); --solver does not apply`);
  const r = openRun(dir, log);
  if (!r.run.conditional) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `method '${cfg.method}' trains on dated series but gives no forecasts (MethodRun.conditional)`);
  return r;
}

/** Samples per forecast of a conditional run: --n when given, else 100 (the unconditional defaults are counts of items). */
const perForecast = (flags: Record<string, unknown>, given: Set<string>) => (given.has('n') ? positiveInt('n', flags.n) : 100);

function count(name: string, v: unknown): number | undefined {
  return v === undefined ? undefined : positiveInt(name, v);
}

export function sampleCommand(argv: string[], log = (s: string) => console.log(s)): string {
  const { flags, given } = parseFlags(argv, SAMPLE_FLAGS);
  const dir = requireRun(flags);
  const cond = openConditional(dir, flags, log);
  if (cond) {
    const o = conditionalOptions({ ...flags, steps: count('steps', flags.steps) }, perForecast(flags, given), { method: cond.cfg.method, what: cond.run.conditional!.gaps });
    const fans = flags.fans as number;
    if (!Number.isInteger(fans) || fans < 0) throw usageError(`--fans must be a non-negative integer, got ${fans}`);
    const outDir = (flags.out as string | undefined) ?? dir;
    makeDirs(outDir);
    logDataset(cond.src, log);
    tf.manualSeed(o.seed);
    const t0 = Date.now();
    const f = predictChecked(cond.run.conditional!, o, cond.cfg.method, cond.step);
    const wrote = writeForecasts(outDir, f, cond.src, { fans, seed: o.seed, step: cond.step, method: cond.cfg.method });
    log(`${f.windows.length} ${o.split} windows x ${o.samples} samples from ${dir} (step ${cond.step}) in ${((Date.now() - t0) / 1000).toFixed(2)} s -> ${wrote.join(', ')}`);
    return wrote[0];
  }
  const n = count('n', flags.n)!, st = count('steps', flags.steps);
  const { pr, p } = openWith(dir, flags, log);
  const { src, step, ctx } = pr;
  tf.manualSeed(flags.seed as number);
  const out = samplesPath(src, (flags.out as string | undefined) ?? path.join(dir, `samples-${st ?? 'default'}${p.mode === 'float32' ? '' : `-${p.mode}`}.png`));
  if (src.kind === 'text') logDataset(src, log);
  const t0 = Date.now();
  const so = { steps: st, solver: flags.solver as string | undefined, onProgress: sampleProgress(src) };
  const r = sampleBatched((m) => pr.sample(m, so), n, count('batch', flags.batch)!, ctx, so, log);
  const wrote = saveSamples(src, r.x, out);
  log(`${n} samples from ${dir} (step ${step}) in ${((Date.now() - t0) / 1000).toFixed(2)} s, ${r.nfe} NFE ${wrote ? `-> ${out}` : `(no picture for ${src.name}: ${src.itemShape.join('x')} items)`}`);
  r.x.dispose();
  pr.dispose();
  return out;
}

export async function evalCommand(argv: string[], log = (s: string) => console.log(s)): Promise<Record<string, number>> {
  const { flags, given } = parseFlags(argv, EVAL_FLAGS);
  const dir = requireRun(flags);
  const cond = openConditional(dir, flags, log);
  if (cond) {
    const st = count('steps', flags.steps);
    const o = conditionalOptions({ ...flags, steps: st }, perForecast(flags, given));
    logDataset(cond.src, log);
    tf.manualSeed(o.seed);
    const file = path.join(dir, `metrics-${o.split}${st ? `-${st}` : ''}.json`);
    const trainSeed = Number(cond.cfg.train.seed ?? 0);
    const m = scoreToFile(cond.run.conditional!, o, cond.src, file, { method: cond.cfg.method, step: cond.step, trainSeed: Number.isInteger(trainSeed) ? trainSeed : 0, call: `eval ${argv.join(' ')}` }, log);
    log(`wrote ${file}`);
    return m;
  }
  const st = count('steps', flags.steps);
  const floorDraws = flags['floor-draws'] as number;
  if (!Number.isInteger(floorDraws) || floorDraws < 0 || floorDraws === 1) throw usageError(`--floor-draws must be 0 (no floor) or an integer >= 2, got ${floorDraws}`);
  if (!Number.isInteger(flags.seed)) throw usageError(`--seed must be an integer, got ${String(flags.seed)}`);
  const { pr, p } = openWith(dir, flags, log);
  const { src, step, ctx } = pr;
  // text: 50 samples unless --n says (each of the method's length: ~5,000 characters), not a count of items
  const n = src.kind === 'text' && !given.has('n') ? defaultSampleCount(src) : count('n', flags.n)!;
  const cfg = readRunConfig(dir);
  logDataset(src, log);
  tf.manualSeed(flags.seed as number);
  const so = { steps: st, solver: flags.solver as string | undefined, onProgress: sampleProgress(src) };
  const batch = count('batch', flags.batch)!;
  const r = sampleBatched((m) => pr.sample(m, so), n, batch, ctx, so, log);
  const own = pr.run.heldOutMetrics?.() ?? {};
  pr.dispose();
  const m = { step, nfe: r.nfe, ...(r.calls ? { float32Calls: r.calls.float32, bf16Calls: r.calls.bf16 ?? 0, int8Calls: r.calls.int8 } : {}), ...(await evaluateSamples(src, r.x, log, { floorDraws })), ...own };
  r.x.dispose();
  const tag = p.mode === 'float32' ? '' : `-${p.mode}${p.mode.startsWith('mixed') ? p.k : ''}-${path.basename(p.file!).replace(/\.safetensors$/, '')}`;
  const file = st || tag ? path.join(dir, `metrics${st ? `-${st}` : ''}${tag}.json`) : files(dir).metrics;
  const trainSeed = Number(cfg.train.seed ?? 0);
  writeJson(file, { ...m, batch: Math.min(batch, n), record: runRecord(src, { n, seeds: { train: Number.isInteger(trainSeed) ? trainSeed : 0, sample: flags.seed as number, floor: 0 } }) });
  log(JSON.stringify(m, null, 2));
  log(`wrote ${file}`);
  return m;
}

export function infoCommand(argv: string[], log = (s: string) => console.log(s)): void {
  parseFlags(argv, {});
  const i = tf.info();
  const cuda = tf.cuda.isAvailable();
  log(`tensorfield ${version()} (node ${process.version}, ${process.platform}-${process.arch})`);
  log(`cpu:      ${i.cpu}`);
  log(`isa:      ${i.isa} (supported: ${i.supportedIsas.join(', ')}; force one with TENSORFIELD_ISA)`);
  log(`kernels:  int8 ${i.int8Kernel}; matmul precision ${i.matmulPrecision} (bf16 kernel: ${i.bf16Matmul}; TENSORFIELD_MATMUL_PRECISION=bf16)`);
  log(`threads:  ${i.threads} (TENSORFIELD_NUM_THREADS or --threads)`);
  const cs = tf.cuda.status();
  log(`cuda:     ${cuda ? 'available' : 'not available'} — ${cs.reason} (${cs.built ? 'CUDA build' : 'CPU build'}, ${cs.devices} device(s))`);
  log(`methods:  ${listMethods().map((m) => `${m.name} [${m.kinds.join('/')}] (${m.source})`).join('; ')}`);
  log(`data:     ${DATA_SOURCES.join(', ')}`);
}


export const BENCH_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'a trained run: time its sampling step in float32, and int8 / mixed with --int8 (medians)' },
  int8: { type: 'string', help: 'int8 checkpoint of the run (tensorfield quantize --method ...); `bench --int8` alone: the int8 engine\'s paths on this CPU, GOP/s and % of the core\'s measured peak' },
  'high-steps': { type: 'number', default: 5, help: 'mixed precision: float32 noise levels at each end' },
  n: { type: 'number', default: 16, help: '--run: items per sampling batch' },
  steps: { type: 'number', help: '--run: sampler steps (default: the method\'s)' },
  solver: { type: 'string', help: '--run: sampler (default: the method\'s)' },
  reps: { type: 'number', default: 5, help: '--run: timed sampling runs per precision (after one warm-up)' },
};

/**
 * bench --run: the median wall time of one sampling step (a whole sampling run of n items, divided by its NFE)
 * for float32, int8 and mixed, each over `reps` runs after a warm-up, on the same seeds, the precisions alternating
 * run by run. Writes <run>/bench-int8.json.
 */
function benchRun(flags: Record<string, unknown>, log: (s: string) => void): Record<string, number> {
  const dir = flags.run as string;
  const n = count('n', flags.n)!, reps = count('reps', flags.reps)!, st = count('steps', flags.steps);
  const k = highSteps(flags['high-steps']);
  // mixed-bf16 only where the CPU has bf16 matmul instructions (elsewhere it would time mixed again)
  const bf16 = tf.info().bf16Matmul !== 'none (fp32)';
  const modes: PrecisionMode[] = flags.int8 ? ['float32', 'int8', 'mixed', ...(bf16 ? ['mixed-bf16' as const] : [])] : ['float32'];
  const so = { steps: st, solver: flags.solver as string | undefined };
  const out: Record<string, number> = {};
  const runs = modes.map((m) => [m, openPrecision(dir, m, flags.int8 as string | undefined, k, () => {})] as const);
  try {
    // the precisions alternate rep by rep (float32, int8, mixed, float32, ...): one after another, a machine's
    // slow minutes fell on one of them (a mixed step measured 64 ms where its float32/int8 mix predicts 50)
    const times = new Map<PrecisionMode, number[]>(modes.map((m) => [m, []]));
    const nfes = new Map<PrecisionMode, number>();
    for (let r = 0; r <= reps; ++r) {
      for (const [m, pr] of runs) {
        tf.manualSeed(7 + r);
        const t0 = process.hrtime.bigint();
        const s = pr.sample(n, so);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        nfes.set(m, s.nfe);
        s.x.dispose();
        if (r > 0) times.get(m)!.push(ms / s.nfe);
      }
    }
    for (const m of modes) {
      const t = times.get(m)!.sort((a, b) => a - b);
      out[`${m}_ms_per_nfe`] = t[t.length >> 1];
      out[`${m}_nfe`] = nfes.get(m)!;
      log(`${m}: ${out[`${m}_ms_per_nfe`].toFixed(2)} ms per network evaluation (median of ${reps}, batch ${n}, ${nfes.get(m)} NFE per run)`);
    }
  } finally { for (const [, pr] of runs) pr.dispose(); }
  for (const m of modes.slice(1)) out[`${m}_speedup`] = out.float32_ms_per_nfe / out[`${m}_ms_per_nfe`];
  if (flags.int8) log(`speed-up over float32: ${modes.slice(1).map((m) => `${m} ${out[`${m}_speedup`].toFixed(2)}x`).join(', ')} (threads ${tf.info().threads}, ISA ${tf.info().isa}, int8 kernel ${tf.quant.int8Kernel()}, bf16 matmul ${tf.info().bf16Matmul})`);
  writeJson(path.join(dir, 'bench-int8.json'), { ...out, batch: n, reps, highSteps: k, int8: flags.int8 ?? null, threads: tf.info().threads, isa: tf.info().isa, cpu: tf.info().cpu, int8Kernel: tf.quant.int8Kernel(), bf16Matmul: tf.info().bf16Matmul, date: new Date().toISOString() });
  return out;
}

/** Quick figures on this machine (medians): GEMM, a tiny op's overhead, a fused step against its composition. */
export function benchCommand(argv: string[], log = (s: string) => console.log(s)): Record<string, number> {
  // `bench --int8` alone (no checkpoint, no run): the int8 engine's paths against the core's measured peak
  const i = argv.indexOf('--int8');
  if (i >= 0 && (i + 1 >= argv.length || argv[i + 1].startsWith('--')) && !argv.some((a) => a === '--run' || a.startsWith('--run='))) {
    if (argv.length > 1) throw usageError('bench --int8 (the int8 engine on this CPU) takes no other flag; TENSORFIELD_NUM_THREADS sets the threads');
    const r = benchInt8(log);
    const out: Record<string, number> = { int8_peak_gops: r.peakGops, threads: r.threads };
    r.rows.forEach((row, j) => { out[`row${j}_gops`] = row.gops; });
    return out;
  }
  const { flags } = parseFlags(argv, BENCH_FLAGS);
  if (flags.run !== undefined) return benchRun(flags, log);
  if (flags.int8 !== undefined) throw usageError('--int8 with a checkpoint needs --run <folder> (bench --int8 alone times the int8 engine)');
  const out: Record<string, number> = {};
  tf.tidy(() => {
    for (const n of [256, 512, 1024]) {
      const a = tf.randn([n, n]), b = tf.randn([n, n]);
      const ms = timeIt(() => tf.tidy(() => { a.matmul(b); }));
      out[`gemm${n}_gflops`] = (2 * n ** 3) / (ms * 1e6);
      log(`fp32 GEMM ${n}x${n}x${n}: ${out[`gemm${n}_gflops`].toFixed(1)} GFLOP/s (${ms.toFixed(3)} ms)`);
    }
    const x = tf.randn([4]), y = tf.randn([4]);
    const reps = 10000;
    const ms = timeIt(() => { for (let i = 0; i < reps; i++) x.add(y).dispose(); });
    out.tiny_add_us = (ms * 1000) / reps;
    log(`add of two 4-element tensors: ${out.tiny_add_us.toFixed(2)} µs per op (JS call, allocation, dispose)`);
    const s = tf.randn([256, 1, 28, 28]), d = tf.randn([256, 1, 28, 28]), p = tf.randn([256, 1, 28, 28]);
    const fused = timeIt(() => tf.tidy(() => { steps.heunStep(s, d, p, d, 1.5, 1); }));
    const composed = timeIt(() => tf.tidy(() => { s.add(s.sub(d).div(1.5).add(p.sub(d).div(1)).mul(-0.25)); }));
    out.heun_fused_ms = fused;
    out.heun_composed_ms = composed;
    log(`Heun correction, 256x1x28x28: fused ${fused.toFixed(3)} ms, composed from ops ${composed.toFixed(3)} ms (${(composed / fused).toFixed(1)}x)`);
  });
  log('full benchmarks against PyTorch and onnxruntime: see bench/ and bench/RESULTS.md');
  return out;
}

export const QUANTIZE_FLAGS: Record<string, FlagSpec> = {
  run: { type: 'string', help: 'run folder of a tensorfield train' },
  calib: { type: 'number', default: 256, help: 'samples drawn through the sampler to calibrate (every noise level it visits)' },
  observer: { type: 'string', default: 'minmax', choices: ['minmax', 'moving', 'percentile', 'mse'], help: 'activation range observer' },
  weights: { type: 'string', default: 'minmax', choices: ['minmax', 'mse'], help: 'weight scales: max |w| per channel or MSE-optimal clip' },
  'keep-first': { type: 'boolean', default: false, help: 'keep the first Linear/Conv2d in float32' },
  'keep-last': { type: 'boolean', default: false, help: 'keep the last Linear/Conv2d in float32' },
  'quantize-outputs': { type: 'boolean', default: false, help: 'code each layer\'s output to uint8 too (two roundings per layer)' },
  n: { type: 'number', default: 1000, help: 'samples to evaluate, float32 and int8 (same noise)' },
  steps: { type: 'number', help: 'sampler steps (default: the method\'s)' },
  solver: { type: 'string', help: 'sampler (default: the method\'s)' },
  seed: { type: 'number', default: 2, help: 'seed of the sampling noise (with --method: of calibration and training)' },
  method: { type: 'string', help: 'ptq or qat-kd: the paper\'s scheme (arXiv 2311.16133), written as an int8 checkpoint <run>/int8-<method>.safetensors that sample/eval/bench load with --int8 (without it: in-memory PTQ through the sampler, compared with float32)' },
  'calib-batches': { type: 'number', default: 32, help: '--method: calibration batches (noise levels mixed uniformly over the sampler\'s; per bucket with --act-buckets)' },
  'act-buckets': { type: 'number', default: 1, help: '--method ptq: activation scales per noise-level bucket: the sampler\'s levels split into this many contiguous parts, each calibrated apart and chosen by the level at run time (the per-timestep ablation; 1: one scale for all levels; file int8-ptq-b<N>)' },
  batch: { type: 'number', default: 64, help: '--method: items per calibration / training batch' },
  'qat-steps': { type: 'number', default: 300, help: '--method qat-kd: training steps' },
  lr: { type: 'number', default: 1e-5, help: '--method qat-kd: AdamW learning rate (the recipe\'s 1e-5)' },
  observers: { type: 'string', default: 'moving', choices: ['moving', 'frozen'], help: '--method qat-kd: activation observers during training: moving (the official code) or frozen at the calibrated scales' },
  'task-weight': { type: 'number', default: 1, help: '--method qat-kd: weight of the method\'s own loss beside the distillation term (the recipe: 1; 0: pure distillation)' },
  'eval-items': { type: 'number', default: 512, help: '--method: held-out items for the relative error of the predictions per noise level' },
  out: { type: 'string', help: '--method: int8 checkpoint file (default <run>/int8-<method>.safetensors)' },
};

/** tensorfield quantize --method ptq|qat-kd: an int8 checkpoint from a registered recipe (lib/cli/int8.ts). */
export function quantizeRecipeCommand(argv: string[], log = (s: string) => console.log(s)): ReturnType<typeof quantizeWithRecipe> {
  const { flags } = parseFlags(argv, QUANTIZE_FLAGS);
  if (flags.method === undefined) throw usageError('--method ptq|qat-kd is required here');
  return quantizeWithRecipe(requireRun(flags), flags, log);
}

export interface QuantizeResult { report: tf.quant.LayerReport[]; float32: Record<string, number>; int8: Record<string, number> }

/**
 * Post-training int8 quantization of a trained run's evaluation network: calibrate on the sampler's own inputs,
 * convert every Linear/Conv2d, then sample both networks from the same noise and compare their metrics and speed.
 * Writes <run>/int8.json (report, metrics, timings) and <run>/samples-int8.png.
 */
export async function quantizeCommand(argv: string[], log = (s: string) => console.log(s)): Promise<QuantizeResult> {
  const { flags } = parseFlags(argv, QUANTIZE_FLAGS);
  const dir = requireRun(flags);
  if (flags.method !== undefined) throw usageError('quantizeCommand is the in-memory PTQ; --method goes through quantizeRecipeCommand');
  const n = count('n', flags.n)!, calibN = count('calib', flags.calib)!, st = count('steps', flags.steps);
  const sopts = { steps: st, solver: flags.solver as string | undefined };
  const { src, run, step, cfg, ctx } = openRun(dir, log);
  if (!run.evalNetwork) throw new tf.TensorfieldError('TF_INVALID_ARGUMENT', `method '${cfg.method}' does not expose its evaluation network, so it cannot be quantized`);
  const timed = async (what: string, asIs: boolean) => {
    tf.manualSeed(flags.seed as number);
    const t0 = Date.now();
    const r = sampleChecked(run, n, { ...sopts, asIs }, ctx);
    const seconds = (Date.now() - t0) / 1000;
    log(`${what}: ${n} samples in ${seconds.toFixed(2)} s (${(n / seconds).toFixed(1)} samples/s, ${r.nfe} NFE)`);
    const m = { seconds, samplesPerSecond: n / seconds, nfe: r.nfe, ...(await evaluateSamples(src, r.x, log)) };
    return { m, x: r.x };
  };
  const f = await timed('float32', false);
  f.x.dispose();
  const net = run.evalNetwork();
  const qopts = {
    observer: { kind: flags.observer as tf.quant.ObserverKind }, weights: flags.weights as 'minmax' | 'mse',
    keepFirst: flags['keep-first'] as boolean, keepLast: flags['keep-last'] as boolean, quantizeOutputs: flags['quantize-outputs'] as boolean,
  };
  const { kept } = tf.quant.prepareQat(net, qopts);
  const t0 = Date.now();
  tf.quant.calibrate(net, () => {
    tf.manualSeed((flags.seed as number) + 1);
    for (let done = 0; done < calibN; done += 256) {
      const r = run.sample(Math.min(256, calibN - done), { ...sopts, asIs: true });
      r.x.dispose();
      log(`calibrating: ${Math.min(calibN, done + 256)}/${calibN} samples through the sampler`);
    }
  });
  const report = [...kept, ...tf.quant.convertQat(net, qopts)];
  log(`calibrated and converted in ${((Date.now() - t0) / 1000).toFixed(1)} s:\n${tf.quant.formatReport(report)}`);
  const q = await timed('int8', true);
  const png = path.join(dir, 'samples-int8.png');
  saveSamples(src, q.x, png);
  q.x.dispose();
  const out = { step, options: qopts, calibrationSamples: calibN, report, float32: f.m, int8: q.m, speedup: f.m.seconds / q.m.seconds };
  writeJson(path.join(dir, 'int8.json'), { ...out, record: runRecord(src, { n, seeds: { sample: flags.seed as number, calibration: (flags.seed as number) + 1, floor: 0 } }) });
  const keys = Object.keys(f.m).filter((k) => typeof (f.m as Record<string, unknown>)[k] === 'number' && k !== 'samples');
  log(['| metric | float32 | int8 |', '|---|---|---|',
    ...keys.map((k) => `| ${k} | ${(f.m as Record<string, number>)[k].toPrecision(4)} | ${(q.m as Record<string, number>)[k].toPrecision(4)} |`)].join('\n'));
  log(`int8 / float32 sampling speed: ${out.speedup.toFixed(2)}x; wrote ${path.join(dir, 'int8.json')} and ${png}`);
  return { report, float32: f.m, int8: q.m };
}
