// CLI method 'spd' (lib/models/spd/method.ts): trains a few steps and samples the item shape for DSPD and CSPD and
// each noise process; the train command runs it on bandlimited64 with checkpoints and resume.
import * as tf from '../lib';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getMethod, resolveOptions } from '../lib/registry';
import '../lib/models';
import { trainCommand, TRAIN_FLAGS } from '../lib/cli/train';
import { spdMethod } from '../lib/models/spd';
import { expectCode } from './helpers';

test.each([['dspd', 'gp'], ['dspd', 'white'], ['cspd', 'ou']] as const)("method 'spd' (%s, %s noise) trains a few steps and samples the item shape", (diffusion, noise) => {
  tf.manualSeed(3);
  const m = getMethod('spd');
  const spec = { name: 'p', kind: 'points' as const, itemShape: [12] };
  const run = m.create(spec, resolveOptions(m, { diffusion, noise, hidden: 16, layers: 1, sampleSteps: 3, diffusionSteps: 25 }));
  for (let s = 0; s < 3; s++) expect(Number.isFinite(run.trainStep(tf.randn([8, 12]), s))).toBe(true);
  const { x } = run.sample(3);
  expect(x.shape).toEqual([3, 12]);
  expect(Array.from(x.dataSync() as Float32Array).every(Number.isFinite)).toBe(true);
});

test('bad data is a clear error; no option shadows a train flag', () => {
  const m = getMethod('spd');
  expectCode(() => m.create({ name: 'i', kind: 'images', itemShape: [1, 4, 4] }, resolveOptions(m, {})), 'TF_INVALID_ARGUMENT');
  for (const k of Object.keys(spdMethod.options)) expect([k, k in TRAIN_FLAGS]).toEqual([k, false]);
});

test('tensorfield train --method spd --data bandlimited64: trains, checkpoints, resumes', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-spd-'));
  try {
    const quiet = () => undefined;
    const opts = ['--method', 'spd', '--data', 'bandlimited64', '--batch', '8', '--hidden', '16', '--layers', '1', '--samples', '4', '--diffusionSteps', '25', '--ckpt-every', '2', '--out', tmp];
    expect((await trainCommand([...opts, '--steps', '3'], quiet)).steps).toBe(3);
    expect(fs.existsSync(path.join(tmp, 'checkpoint.safetensors'))).toBe(true);
    expect((await trainCommand([...opts, '--steps', '5', '--resume'], quiet)).steps).toBe(5);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
