// `tensorfield demo`: the main job on a fresh machine. Trains two small EDM models on data that ships with the
// package — a 2-D density (eight Gaussians) and Fashion-MNIST at 14x14 (the Debian package when installed, else
// the embedded subset) — samples them, evaluates them against the real data and writes pictures and metrics.
// A few minutes on two cores.
import * as path from 'path';
import { parseFlags, type FlagSpec } from './args';
import { trainCommand, type TrainResult } from './train';

export const DEMO_FLAGS: Record<string, FlagSpec> = {
  out: { type: 'string', default: 'runs/demo', help: 'output folder' },
  'points-steps': { type: 'number', default: 1500, help: 'training steps of the 2-D model' },
  'image-steps': { type: 'number', default: 1000, help: 'training steps of the image model (0 skips it)' },
  seed: { type: 'number', default: 0, help: 'seed' },
};

export async function demoCommand(argv: string[], log = (s: string) => console.log(s)): Promise<TrainResult[]> {
  const { flags } = parseFlags(argv, DEMO_FLAGS);
  const out = flags.out as string, seed = String(flags.seed);
  const results: TrainResult[] = [];
  log('== 1/2: EDM on eight Gaussians (2-D, exact density known)');
  results.push(await trainCommand(['--method', 'edm', '--data', 'eight-gaussians', '--steps', String(flags['points-steps']),
    '--batch', '512', '--seed', seed, '--out', path.join(out, 'eight-gaussians'), '--ckpt-every', '500'], log));
  if (results[0].interrupted) return results;
  if ((flags['image-steps'] as number) > 0) {
    log('== 2/2: EDM U-Net on Fashion-MNIST 14x14');
    // 16 base channels at batch 32 (~0.15 s a step on two cores) keep the whole demo within a few minutes
    results.push(await trainCommand(['--method', 'edm', '--data', 'fashion14', '--steps', String(flags['image-steps']), '--batch', '32',
      '--seed', seed, '--out', path.join(out, 'fashion14'), '--ckpt-every', '250', '--flip', '--samples', '256', '--lr', '2e-3',
      '--channels', '16'], log));
  }
  log(`demo done: pictures and metrics under ${out}/`);
  return results;
}
