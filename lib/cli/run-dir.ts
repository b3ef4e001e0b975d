// A run's output folder: config.json (what made it), checkpoint.safetensors (resumable), samples.png,
// loss.svg and metrics.json. Everything is written atomically, so an interrupted run never leaves a torn file.
import * as fs from 'fs';
import * as path from 'path';
import { TensorfieldError } from '../tensor';
import { writeFileAtomicSync } from '../io/atomic';
import { makeDirs } from '../io/dirs';
import type { ResumeChange } from './resume';
import type { GitState } from './record';

export interface RunConfig {
  method: string;
  data: string;
  options: Record<string, number | string | boolean>;
  train: Record<string, number | string | boolean>;
  version: string;
  /** The package checkout the run was started from (null outside a git checkout; absent in older runs). */
  git?: GitState | null;
  /** What each --resume changed (options that do not change the model, training flags), oldest first. */
  history?: ResumeChange[];
}

export const files = (dir: string) => ({
  config: path.join(dir, 'config.json'),
  checkpoint: path.join(dir, 'checkpoint.safetensors'),
  samples: path.join(dir, 'samples.png'),
  loss: path.join(dir, 'loss.svg'),
  metrics: path.join(dir, 'metrics.json'),
  lossLog: path.join(dir, 'loss.json'),
});

export function writeJson(file: string, value: unknown): void {
  makeDirs(path.dirname(file));
  writeFileAtomicSync(file, [Buffer.from(JSON.stringify(value, null, 2) + '\n')]);
}

export function readRunConfig(dir: string): RunConfig {
  const f = files(dir).config;
  let cfg: RunConfig;
  try {
    cfg = JSON.parse(fs.readFileSync(f, 'utf8')) as RunConfig;
  } catch (e) {
    throw new TensorfieldError('TF_BAD_FILE', `run folder '${dir}': cannot read ${path.basename(f)} (${(e as Error).message}); ` +
      `pass the --out folder of a 'tensorfield train' run`);
  }
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(cfg) || typeof cfg.method !== 'string' || typeof cfg.data !== 'string' || !isObject(cfg.options)) {
    throw new TensorfieldError('TF_BAD_FILE', `run folder '${dir}': ${f} lacks method, data or options`);
  }
  if (!isObject(cfg.train)) {
    throw new TensorfieldError('TF_BAD_FILE', `run folder '${dir}': ${f} has no "train" section (the training flags the run was made ` +
      'with); it was not written by tensorfield train, or was edited');
  }
  if (cfg.history !== undefined && !Array.isArray(cfg.history)) throw new TensorfieldError('TF_BAD_FILE', `run folder '${dir}': ${f}: "history" is not a list`);
  return cfg;
}

/** The checkpoint of a run folder; TF_BAD_FILE naming the folder when it has none (sample, eval, --resume). */
export function requireCheckpoint(dir: string, why: string): string {
  const f = files(dir).checkpoint;
  if (!fs.existsSync(f)) {
    throw new TensorfieldError('TF_BAD_FILE', `${why}: run folder '${dir}' has no checkpoint (${f} does not exist: the run ` +
      'stopped before its first checkpoint, or the file was removed)');
  }
  return f;
}

export function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
