// `tensorfield train`: the training loop every method shares. One step = one batch from the data source and the
// method's trainStep, under tidy (constant native memory). Checkpoints every --ckpt-every steps and at the end;
// Ctrl-C finishes the current step, saves a checkpoint and exits with 130; --resume continues bit-identically
// (the checkpoint holds model, EMA, optimizer, step and generator state) and may change what does not change the
// model (lib/cli/resume.ts). The run folder is locked while training writes to it (lib/cli/lock.ts). At the end:
// samples.png, loss.svg and metrics.json in the run folder.
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../index';
import { getMethod, resolveOptions, listMethods, type Method, type MethodRun, type DataSpec, type SampleOptions } from '../registry';
import { openDataSource, DATA_SOURCES, type DataSource } from '../data/sources';
import { saveCheckpoint, loadCheckpoint } from '../io/checkpoint';
import { removeStaleTemps, writeFileAtomicSync } from '../io/atomic';
import { makeDirs } from '../io/dirs';
import { saveImageGrid } from '../io/png';
import { saveScatterPNG, saveLinePlot } from '../io/plot';
import { parseFlags, usageError, type FlagSpec } from './args';
import { ProgressBar } from './progress';
import { evaluateSamples, type Metrics } from './evaluate';
import { files, writeJson, readRunConfig, requireCheckpoint, version, type RunConfig } from './run-dir';
import { gitState, runRecord, type GitState } from './record';
import { lockRunDir } from './lock';
import { resumeChanges, same } from './resume';
import { sampleChecked, type SampleContext } from './sampling';
import { conditionalOptions, scoreToFile } from './conditional';

export const TRAIN_FLAGS: Record<string, FlagSpec> = {
  method: { type: 'string', default: 'edm', help: 'method (tensorfield info lists them)' },
  data: { type: 'string', default: 'eight-gaussians', help: 'training data', choices: DATA_SOURCES },
  steps: { type: 'number', default: 2000, help: 'optimisation steps' },
  batch: { type: 'number', default: 256, help: 'batch size' },
  seed: { type: 'number', default: 0, help: 'seed of the engine generator' },
  out: { type: 'string', help: 'run folder (default runs/<method>-<data>)' },
  'ckpt-every': { type: 'number', default: 500, help: 'checkpoint period in steps' },
  resume: { type: 'boolean', default: false, help: 'continue from the run folder\'s checkpoint' },
  samples: { type: 'number', default: 0, help: 'samples drawn for the picture and metrics (0: 2000 points / 256 images / 1000 count items / 50 text samples; conditional methods: samples per validation forecast, 0: 20)' },
  threads: { type: 'number', default: 0, help: 'engine threads (0: all cores)' },
  'fashion-source': { type: 'string', default: 'auto', help: 'Fashion-MNIST files: auto, full, embedded or a folder' },
  flip: { type: 'boolean', default: false, help: 'random horizontal flips of training images' },
  config: { type: 'string', help: 'JSON file with any of these keys (flags override) and "options" for the method' },
};

export interface TrainResult {
  dir: string;
  steps: number;
  interrupted: boolean;
  metrics: Metrics | null;
  lossFirst: number;
  lossLast: number;
}

function checkPositiveInt(name: string, v: number, zeroOk = false): void {
  if (!Number.isInteger(v) || v < (zeroOk ? 0 : 1)) throw usageError(`--${name} must be a ${zeroOk ? 'non-negative' : 'positive'} integer, got ${v}`);
}

/**
 * Method options are camelCase (--emaSigmaRel); the kebab-case spelling (--ema-sigma-rel) names the same option
 * when the method has no option of that literal name. Given both ways, the later one wins (as for a repeated flag;
 * on --resume the saved options come first, so a flag given again overrides them).
 */
export function camelOptions(extra: Record<string, unknown>, method: Method): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(extra)) {
    const camel = k.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const key = !(k in method.options) && camel in method.options ? camel : k;
    out[key] = v;
  }
  return out;
}

/** What a method sees of a data source. */
export function dataSpecOf(src: DataSource): DataSpec {
  return { name: src.name, kind: src.kind, itemShape: src.itemShape, maxCount: src.maxCount, draw: (n) => src.batch(n), dated: src.dated,
    text: src.text, classes: src.classes, drawLabeled: src.labeledBatch };
}

function methodFor(name: string, src: DataSource): Method {
  const m = getMethod(name);
  if (!m.kinds.includes(src.kind)) {
    const ok = listMethods().filter((x) => x.kinds.includes(src.kind)).map((x) => x.name);
    throw usageError(`method '${name}' does not train on ${src.kind} (data '${src.name}'); methods for ${src.kind}: ${ok.join(', ')}`);
  }
  return m;
}

/** Recreates a run's method and data from its folder and loads the checkpoint (for sample / eval). */
export function openRun(dir: string, log: (s: string) => void = (s) => console.error(s)): { cfg: RunConfig; src: DataSource; run: MethodRun; step: number; ctx: SampleContext } {
  const cfg = readRunConfig(dir);
  const ckpt = requireCheckpoint(dir, 'cannot load the trained model');
  const src = openDataSource(cfg.data, { fashionSource: String(cfg.train['fashion-source'] ?? 'auto') });
  const method = methodFor(cfg.method, src);
  const options = resolveOptions(method, cfg.options);
  const run = method.create(dataSpecOf(src), options);
  const ck = loadCheckpoint(ckpt, { model: run.model, ema: run.ema, optimizer: run.optimizer });
  if (ck.note) log(`note: ${ck.note}`);
  return { cfg, src, run, step: ck.step, ctx: { method: method.name, options, step: ck.step } };
}

/** Says at the start which data a command uses, and plainly when Fashion-MNIST fell back to the shipped subset. */
export function logDataset(src: DataSource, log: (s: string) => void): void {
  if (src.text) log(`data: ${src.text().description}`);
  if (!src.dataset) return;
  log(`data: ${src.dataset.description}`);
  if (src.dataset.fellBack) {
    log('NOTE: the full Fashion-MNIST is not installed, so this uses the 3,000-image subset in assets/ instead ' +
      "(results are not comparable with full-data ones; 'apt-get install dataset-fashion-mnist' for the full set, " +
      '--fashion-source full to require it)');
  }
}

/** Where samples of `src` go for a picture path: text samples are written as text, beside it (.png -> .txt). */
export function samplesPath(src: DataSource, file: string): string {
  return src.kind === 'text' && !/\.txt$/i.test(file) ? file.replace(/\.png$/i, '') + '.txt' : file;
}

/**
 * Text samples [n, L] (ids continuing a newline) as a text file: a header line, then each sample after a line
 * `--- i ---`. Written atomically.
 */
export function saveTextSamples(src: DataSource, x: tf.Tensor, file: string): void {
  const t = src.text!();
  const [n, L] = x.shape;
  const ids = x.dataSync() as Int32Array;
  const parts = [`# ${n} samples of ${L} characters (${src.name}), each the continuation of a newline\n`];
  for (let i = 0; i < n; i++) parts.push(`--- ${i} ---\n${t.vocab.decode(ids.subarray(i * L, (i + 1) * L))}\n`);
  makeDirs(path.dirname(file));
  writeFileAtomicSync(file, [Buffer.from(parts.join(''), 'utf8')]);
}

/** Writes samples as a PNG: a scatter plot of 2-D points, or a grid of the first 64 images (other points: nothing); text as text (samplesPath). */
/** Returns whether a picture (or text file) was written (points in other than 2-D and vectors of counts have none). */
export function saveSamples(src: DataSource, x: tf.Tensor, file: string): boolean {
  if (src.kind === 'dated') return false;  // conditional methods draw fan charts of forecasts instead (lib/cli/conditional.ts)
  if (src.kind === 'text') {
    saveTextSamples(src, x, samplesPath(src, file));
    return true;
  }
  if (src.kind === 'points') {
    if (src.itemShape[0] !== 2) return false;
    saveScatterPNG(x, file);
  } else if (src.kind === 'counts') {
    if (src.itemShape.length !== 3) return false;  // vectors of counts (documents): no picture
    const grid = tf.tidy(() => x.slice(0, 0, Math.min(64, x.shape[0])).to('float32').mul(2 / src.maxCount!).sub(1));
    saveImageGrid(grid, file, { nrow: 8, scale: src.itemShape[1] <= 14 ? 4 : 2 });
    grid.dispose();
  } else {
    const grid = tf.tidy(() => x.slice(0, 0, Math.min(64, x.shape[0])).clamp(-1, 1));
    saveImageGrid(grid, file, { nrow: 8, scale: src.itemShape[1] <= 14 ? 4 : 2 });
    grid.dispose();
  }
  return true;
}

/** Draws samples (refusing NaN or infinite ones: TF_NON_FINITE) and writes them as a PNG; returns them (the caller disposes). */
export function drawSamples(src: DataSource, run: MethodRun, n: number, file: string, opts: SampleOptions, ctx: SampleContext): { x: tf.Tensor; nfe: number; wrote: boolean } {
  const r = sampleChecked(run, n, opts, ctx);
  return { ...r, wrote: saveSamples(src, r.x, file) };
}

/** Samples train draws at its end unless --samples says otherwise (text: 50 of the method's length, ~5,000 characters). */
export function defaultSampleCount(src: DataSource): number {
  return src.kind === 'images' ? 256 : src.kind === 'counts' ? 1000 : src.kind === 'text' ? 50 : 2000;
}

/**
 * A progress bar for sampling that takes long per sample (text: character by character), as SampleOptions.onProgress;
 * undefined for data whose sampling reports no progress.
 */
export function sampleProgress(src: DataSource): ((done: number, total: number) => void) | undefined {
  if (src.kind !== 'text') return undefined;
  let bar: ProgressBar | null = null;
  return (done, total) => {
    bar ??= new ProgressBar({ total, label: 'sample', unit: 'char' });
    bar.update(done);
    if (done >= total) { bar.finish(); bar = null; }
  };
}

/** The advice after a divergence: a command that resumes from the last good checkpoint with a lower lr. */
function divergenceAdvice(dir: string, method: Method, options: Record<string, unknown>, savedStep: number | null): string {
  const lr = typeof options.lr === 'number' && method.options.lr?.resumable ? options.lr : null;
  const lower = lr === null ? '' : ` --lr ${Number((lr / 10).toPrecision(3))}`;
  if (savedStep === null) return `no checkpoint was written before it; start again with a lower learning rate (${lower.trim() || 'see --help'})`;
  return `the last good checkpoint (step ${savedStep}) is in ${dir}; continue from it with a lower learning rate: ` +
    `tensorfield train --resume --out ${dir}${lower}${'clip' in method.options ? ' (a smaller --clip helps too)' : ''}`;
}

export async function trainCommand(argv: string[], log: (s: string) => void = (s) => console.log(s)): Promise<TrainResult> {
  const parsed = parseFlags(argv, TRAIN_FLAGS, true);
  const { flags, given } = parsed;
  let extra: Record<string, unknown> = parsed.extra;
  // --resume continues the run in --out with its saved method, data, options and training flags (so `--resume`
  // alone finishes an interrupted run, and `--steps N --resume` extends it); what is given again overrides, and
  // must then not change the model (lib/cli/resume.ts).
  if (flags.resume && typeof flags.out === 'string' && fs.existsSync(files(flags.out).config)) {
    const prev = readRunConfig(flags.out);
    // said first: the saved options of another method would otherwise read as unknown flags
    for (const k of ['method', 'data'] as const) {
      if (given.has(k) && flags[k] !== prev[k]) {
        throw usageError(`--resume: '${flags.out}' was trained with ${k} ${prev[k]} (not ${String(flags[k])}), and its checkpoint holds that ` +
          'model; resume with the same, or train into another --out');
      }
    }
    if (!given.has('method')) flags.method = prev.method;
    if (!given.has('data')) flags.data = prev.data;
    for (const [k, v] of Object.entries(prev.train)) if (k in TRAIN_FLAGS && !given.has(k)) flags[k] = v;
    extra = { ...prev.options, ...extra };
  }
  const steps = flags.steps as number, batch = flags.batch as number;
  checkPositiveInt('steps', steps);
  checkPositiveInt('batch', batch);
  checkPositiveInt('ckpt-every', flags['ckpt-every'] as number);
  checkPositiveInt('samples', flags.samples as number, true);
  checkPositiveInt('threads', flags.threads as number, true);
  if (!Number.isInteger(flags.seed)) throw usageError(`--seed must be an integer, got ${flags.seed}`);
  if ((flags.threads as number) > 0) tf.setNumThreads(flags.threads as number);

  const src = openDataSource(flags.data as string, { fashionSource: flags['fashion-source'] as string, flip: flags.flip as boolean });
  const method = methodFor(flags.method as string, src);
  extra = camelOptions(extra, method);
  for (const key of Object.keys(extra)) {
    if (!(key in method.options)) {
      throw usageError(`unknown flag --${key}: not a train flag (${Object.keys(TRAIN_FLAGS).map((k) => '--' + k).join(', ')}) ` +
        `nor an option of method '${method.name}' (${Object.keys(method.options).map((k) => '--' + k).join(', ')})`);
    }
  }
  const options = resolveOptions(method, extra);
  const dir = (flags.out as string | undefined) ?? `runs/${method.name}-${src.name}`;
  const { config: _c, out: _o, resume: _r, ...trainFlags } = flags;
  const cfg: RunConfig = { method: method.name, data: src.name, options, train: trainFlags, version: version(), git: gitState() };
  if (flags.resume) {
    requireCheckpoint(dir, '--resume');
    const prev = readRunConfig(dir);
    resumeChanges(dir, method, prev, cfg);  // refuses model changes before anything is built or locked
  }
  makeDirs(dir);
  const release = lockRunDir(dir, (s) => console.error(s));
  try {
    return await trainLocked(argv, log, { flags, src, method, options, dir, cfg });
  } finally {
    release();
  }
}

interface Prepared {
  flags: Record<string, number | string | boolean>;
  src: DataSource;
  method: Method;
  options: Record<string, import('../registry').OptionValue>;
  dir: string;
  cfg: RunConfig;
}

/** The run itself, while this process holds the folder's lock. */
async function trainLocked(argv: string[], log: (s: string) => void, p: Prepared): Promise<TrainResult> {
  const { flags, src, method, options, dir, cfg } = p;
  const steps = flags.steps as number, batch = flags.batch as number;
  const f = files(dir);
  for (const q of removeStaleTemps(dir)) console.error(`removed ${q} (left by a writer that was killed mid-save)`);

  tf.manualSeed(flags.seed as number);
  const spec: DataSpec = dataSpecOf(src);
  const run = method.create(spec, options);
  let start = 0;
  let losses: [number, number][] = [];
  let savedStep: number | null = null;
  if (flags.resume) {
    // read again under the lock: the folder is ours now
    const prev = readRunConfig(dir);
    const changed = resumeChanges(dir, method, prev, cfg);
    const ck = loadCheckpoint(requireCheckpoint(dir, '--resume'), { model: run.model, ema: run.ema, optimizer: run.optimizer });
    if (ck.note) log(`note: ${ck.note}`);
    start = savedStep = ck.step;
    losses = ((ck.extra as { losses?: [number, number][] })?.losses ?? []).slice();
    cfg.history = [...(prev.history ?? [])];
    // the run's commit stays the one it was started from; a resume from other code says so in its history entry
    const startGit = prev.git, nowGit = cfg.git ?? null;
    cfg.git = startGit;
    const codeChanged = startGit !== undefined && !same(startGit, nowGit);
    if (Object.keys(changed).length || codeChanged) {
      cfg.history.push({ step: start, date: new Date().toISOString(), changed, ...(codeChanged ? { git: nowGit } : {}) });
      const parts = Object.entries(changed).map(([k, v]) => `--${k} ${JSON.stringify(v.from)} -> ${JSON.stringify(v.to)}`);
      const code = (g: GitState | null | undefined) => (g ? g.commit.slice(0, 7) + (g.dirty ? ' (dirty)' : '') : 'outside git');
      if (codeChanged) parts.push(`code ${code(startGit)} -> ${code(nowGit)}`);
      log(`resume changes ${parts.join(', ')} (recorded in ${f.config})`);
    }
    log(`resumed ${dir} at step ${start}`);
  }
  writeJson(f.config, cfg);
  logDataset(src, log);
  const info = tf.info();
  // text items are window positions (one uniform each), not data: say the vocabulary instead
  const what = src.text ? `text, ${src.text().vocab.size} characters` : `${src.kind} ${src.itemShape.join('x')}`;
  log(`tensorfield ${cfg.version} | ${method.name} on ${src.name} (${what}, ${src.origin}) | ` +
    `${run.model.parameters().reduce((a, q) => a + q.numel(), 0)} parameters | ISA ${info.isa} | ${info.threads} threads | out ${dir}`);

  const save = (step: number) => {
    saveCheckpoint(f.checkpoint, { model: run.model, ema: run.ema, optimizer: run.optimizer, step, extra: { losses } });
    savedStep = step;
  };
  const diverged = (step: number, cause: string) => new tf.TensorfieldError('TF_NON_FINITE',
    `training diverged at step ${step}: ${cause}; ${divergenceAdvice(dir, method, options, savedStep)}`);
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);  // a second Ctrl-C does not wait
    stop = true;
    process.stderr.write('\ninterrupt: finishing the current step and saving a checkpoint (Ctrl-C again to quit now)\n');
  };
  process.on('SIGINT', onSigint);
  const unit = src.kind === 'images' ? 'img' : src.kind === 'dated' || src.kind === 'text' ? 'win' : 'pts';
  const bar = new ProgressBar({ total: steps, label: 'train', unit, unitsPerTick: batch });
  let smooth = NaN, window = 0, windowSum = 0, first = NaN, step = start;
  const recordEvery = Math.max(1, Math.floor(steps / 500));  // a loss curve of at most ~500 points
  try {
    bar.update(step);
    while (step < steps && !stop) {
      let loss: number;
      try {
        loss = tf.tidy(() => {
          const b = src.batch(batch);
          return run.trainStep(b, step);
        });
      } catch (e) {
        // the optimizer's or clipGradNorm's refusal of NaN/Inf gradients: the same divergence as a NaN loss
        const code = (e as { code?: string }).code;
        if (code === 'TF_NON_FINITE' || code === 'TF_NONFINITE') {
          throw diverged(step + 1, `the gradients became NaN or infinite (${(e as Error).message.split(/[;(]/)[0].trim()})`);
        }
        throw e;
      }
      step++;
      if (!Number.isFinite(loss)) throw diverged(step, `the loss became ${loss}`);
      if (Number.isNaN(first)) first = loss;
      smooth = Number.isNaN(smooth) ? loss : 0.98 * smooth + 0.02 * loss;
      windowSum += loss;
      if (++window === recordEvery) { losses.push([step, windowSum / window]); window = windowSum = 0; }
      bar.update(step, { loss: smooth });
      if (step % (flags['ckpt-every'] as number) === 0 && step < steps) save(step);
      await new Promise((r) => setImmediate(r));  // lets Ctrl-C and I/O through between steps
    }
    bar.finish({ loss: smooth });
    save(step);
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (stop) {
    log(`interrupted at step ${step}: checkpoint saved to ${f.checkpoint}; continue with --resume --out ${dir}`);
    process.exitCode = 130;
    return { dir, steps: step, interrupted: true, metrics: null, lossFirst: first, lossLast: smooth };
  }
  writeJson(f.lossLog, losses);
  saveLinePlot(f.loss, { title: `${method.name} on ${src.name}: training loss`, xLabel: 'step', yLabel: 'loss', logY: losses.every((p) => p[1] > 0),
    series: [{ name: 'loss', x: losses.map((p) => p[0]), y: losses.map((p) => p[1]) }] });
  if (run.conditional) {
    // a conditional method's closing score: forecasts of the validation windows (the test split is eval's)
    const m = (flags.samples as number) || 20;
    log(`predicting the validation windows (train's closing score), ${m} samples per target...`);
    const o = conditionalOptions({ split: 'val', every: 1, seed: flags.seed }, m);
    const metrics = scoreToFile(run.conditional, o, src, f.metrics, { method: method.name, step, trainSeed: flags.seed as number, call: `train ${argv.join(' ')}`, extra: run.trainReport?.() }, log);
    log(`wrote ${f.loss}, ${f.metrics}, ${f.checkpoint}`);
    return { dir, steps: step, interrupted: false, metrics, lossFirst: first, lossLast: smooth };
  }
  const n = (flags.samples as number) || defaultSampleCount(src);
  log(`sampling ${n} ${src.kind === 'text' ? 'text samples' : src.kind}...`);
  const t0 = Date.now();
  const progress = sampleProgress(src);
  const r = drawSamples(src, run, n, f.samples, progress ? { onProgress: progress } : {}, { method: method.name, options, step });
  const sampleSecs = (Date.now() - t0) / 1000;
  const metrics: Metrics = { step, nfe: r.nfe, samplesPerSecond: n / sampleSecs, ...(run.trainReport?.() ?? {}), ...(await evaluateSamples(src, r.x, log)),
    ...(run.heldOutMetrics?.() ?? {}) };
  r.x.dispose();
  writeJson(f.metrics, { ...metrics, record: runRecord(src, { n, seeds: { train: flags.seed as number, floor: 0 }, call: `train ${argv.join(' ')}` }) });
  log(`metrics: ${Object.entries(metrics).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toPrecision(4)}`).join(', ')}`);
  log(`wrote ${r.wrote ? `${samplesPath(src, f.samples)}, ` : ''}${f.loss}, ${f.metrics}, ${f.checkpoint}`);
  return { dir, steps: step, interrupted: false, metrics, lossFirst: first, lossLast: smooth };
}
