// A run's output folder: config.json (what made it), checkpoint.safetensors (resumable), samples.png,
// loss.svg and metrics.json. Everything is written atomically, so an interrupted run never leaves a torn file.
import * as fs from 'fs';
import * as path from 'path';
import { TensorfieldError } from '../tensor';
import { writeFileAtomicSync } from '../io/atomic';

export interface RunConfig {
  method: string;
  data: string;
  options: Record<string, number | string | boolean>;
  train: Record<string, number | string | boolean>;
  version: string;
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
  fs.mkdirSync(path.dirname(file), { recursive: true });
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
  if (!cfg || typeof cfg.method !== 'string' || typeof cfg.data !== 'string' || typeof cfg.options !== 'object') {
    throw new TensorfieldError('TF_BAD_FILE', `run folder '${dir}': config.json lacks method, data or options`);
  }
  return cfg;
}

export function version(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
