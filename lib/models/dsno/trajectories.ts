// The trajectory generator the official code does not ship (its users ask for it, digest A §4.8): runs the
// teacher's trig-DDIM from noise with many steps and keeps the state at the grid's times, in safetensors shards
// under one folder with a manifest. Each shard is written atomically and its noise comes from (seed, shard
// index) alone, so an interrupted run resumes where it stopped and gives the same files as an uninterrupted one.
import * as fs from 'fs';
import * as path from 'path';
import { Tensor, TensorfieldError, full } from '../../tensor';
import { cat, stack } from '../../ops';
import { manualSeed, randn } from '../../random';
import { tidy, keep } from '../../scope';
import { noGrad } from '../../autograd';
import { trigflowDdimStep } from '../../samplers/steps';
import { saveSafetensors, loadSafetensors } from '../../io/safetensors';
import { writeFileAtomicSync } from '../../io/atomic';
import { ProgressBar } from '../../cli/progress';
import type { TrigFlowNet } from '../scm/trigflow';
import { tauOf, type LogSnrRange, DEFAULT_RANGE } from './schedule';

export interface TrajectoryOptions {
  /** the teacher in F units: F(x / sigmaD, tau) for tau [B] */
  teacher: TrigFlowNet;
  sigmaD: number;
  /** the shape of one sample, e.g. [2] or [1, 14, 14] */
  sampleShape: number[];
  /** the stored DSNO times, the first being the input noise's (schedule.timeGrid) */
  grid: number[];
  /** trajectories in all */
  n: number;
  /** teacher steps from grid[0] to grid[last], uniform in u; every grid time must fall on a step */
  steps: number;
  shardSize?: number;
  /** samples run through the teacher at once within a shard (default 512); the shard's noise and files do not
   *  depend on it. One U-Net call at batch 4096 cost ~5x more per image than at 128-1024 on the 2-core machine. */
  chunk?: number;
  seed?: number;
  range?: LogSnrRange;
  progress?: boolean;
}

export interface TrajectoryManifest {
  format: 'tensorfield-dsno-trajectories/1';
  sampleShape: number[];
  grid: number[];
  taus: number[];
  sigmaD: number;
  n: number;
  steps: number;
  shardSize: number;
  seed: number;
  shards: string[];
}

const shardName = (k: number) => `shard-${String(k).padStart(5, '0')}.safetensors`;

function checkOptions(o: TrajectoryOptions): { shardSize: number; seed: number; stops: number[] } {
  const fn = 'generateTrajectories';
  const posInt = (v: number, what: string) => {
    if (!Number.isInteger(v) || v < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: ${what} must be a positive integer, got ${v}`);
  };
  posInt(o.n, 'n'); posInt(o.steps, 'steps');
  const shardSize = o.shardSize ?? 4096;
  posInt(shardSize, 'shardSize');
  if (o.grid.length < 2) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: the grid needs the input time and at least one target time`);
  for (let i = 1; i < o.grid.length; i++)
    if (!(o.grid[i] < o.grid[i - 1])) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: grid times must decrease, got ${o.grid}`);
  // the teacher's step index of each grid time (steps uniform in u from grid[0] to grid[last])
  const u0 = o.grid[0], u1 = o.grid[o.grid.length - 1];
  const stops = o.grid.map((u) => {
    const s = ((u0 - u) / (u0 - u1)) * o.steps;
    if (Math.abs(s - Math.round(s)) > 1e-9) throw new TensorfieldError('TF_INVALID_ARGUMENT', `${fn}: grid time ${u} falls between teacher steps (steps ${o.steps}); choose steps so every grid time is a step`);
    return Math.round(s);
  });
  return { shardSize, seed: o.seed ?? 0, stops };
}

/** Runs one shard: [b, ...] noise at grid[0] and the states at every later grid time, [b, M, ...]. */
export function teacherTrajectories(o: TrajectoryOptions, z: Tensor): { xT: Tensor; traj: Tensor } {
  const { stops } = checkOptions(o);
  const r = o.range ?? DEFAULT_RANGE;
  const u0 = o.grid[0], u1 = o.grid[o.grid.length - 1];
  const B = z.shape[0];
  return noGrad(() => {
    const kept: Tensor[] = [];
    let x = z;
    let next = 1;
    for (let i = 0; i < o.steps; i++) {
      const ta = tauOf(u0 + ((u1 - u0) * i) / o.steps, r), tb = tauOf(u0 + ((u1 - u0) * (i + 1)) / o.steps, r);
      const prev = x;
      x = tidy(() => trigflowDdimStep(prev, o.teacher(prev.div(o.sigmaD), full([B], ta, { dtype: prev.dtype })), ta, tb, o.sigmaD));
      if (prev !== z) prev.dispose();
      if (i + 1 === stops[next]) { kept.push(keep(x.clone())); next++; }
    }
    if (x !== z) x.dispose();
    const traj = stack(kept, 1);
    for (const k of kept) k.dispose();
    return { xT: z, traj };
  });
}

/**
 * Writes (or completes) the trajectory folder `dir`: manifest.json and shards of `shardSize` trajectories, each
 * holding xT [b, ...sampleShape] and traj [b, M, ...sampleShape] float32. A folder from other options is
 * refused (TF_INVALID_ARGUMENT); a shard that exists and loads is kept (resume).
 */
export function generateTrajectories(dir: string, o: TrajectoryOptions): TrajectoryManifest {
  const { shardSize, seed } = checkOptions(o);
  const chunk = o.chunk ?? 512;
  if (!Number.isInteger(chunk) || chunk < 1) throw new TensorfieldError('TF_INVALID_ARGUMENT', `generateTrajectories: chunk must be a positive integer, got ${chunk}`);
  const r = o.range ?? DEFAULT_RANGE;
  const count = Math.ceil(o.n / shardSize);
  const manifest: TrajectoryManifest = {
    format: 'tensorfield-dsno-trajectories/1', sampleShape: o.sampleShape, grid: o.grid, taus: o.grid.map((u) => tauOf(u, r)),
    sigmaD: o.sigmaD, n: o.n, steps: o.steps, shardSize, seed, shards: Array.from({ length: count }, (_, k) => shardName(k)),
  };
  fs.mkdirSync(dir, { recursive: true });
  const mf = path.join(dir, 'manifest.json');
  if (fs.existsSync(mf)) {
    const old = JSON.parse(fs.readFileSync(mf, 'utf8'));
    if (JSON.stringify(old) !== JSON.stringify(manifest))
      throw new TensorfieldError('TF_INVALID_ARGUMENT', `generateTrajectories: ${dir} holds trajectories made with other options; use another folder`);
  } else writeFileAtomicSync(mf, [Buffer.from(JSON.stringify(manifest, null, 1))]);
  const bar = o.progress === false ? null : new ProgressBar({ total: o.n, label: 'trajectories', unit: 'traj' });
  let done = 0;
  for (let k = 0; k < count; k++) {
    const b = Math.min(shardSize, o.n - k * shardSize);
    const file = path.join(dir, manifest.shards[k]);
    if (fs.existsSync(file)) {
      try { loadSafetensors(file); done += b; bar?.update(done, { shard: k, resumed: 'yes' }); continue; } catch { /* damaged: remake it */ }
    }
    tidy(() => {
      manualSeed(seed * 1_000_003 + k + 1);  // this shard's noise from (seed, k) alone
      const z = randn([b, ...o.sampleShape]).mul(o.sigmaD);
      const parts: Tensor[] = [];
      for (let i = 0; i < b; i += chunk) parts.push(teacherTrajectories(o, z.narrow(0, i, Math.min(chunk, b - i)).contiguous()).traj);
      const traj = parts.length === 1 ? parts[0] : cat(parts, 0);
      saveSafetensors(file, { xT: z.to('float32'), traj: traj.to('float32') }, { shard: String(k) });
    });
    done += b;
    bar?.update(done, { shard: k });
  }
  bar?.finish();
  return manifest;
}

/** Loads a trajectory folder: xT [n, ...] and traj [n, M, ...] (float32), with its manifest. */
export function loadTrajectories(dir: string): { manifest: TrajectoryManifest; xT: Tensor; traj: Tensor } {
  const mf = path.join(dir, 'manifest.json');
  if (!fs.existsSync(mf)) throw new TensorfieldError('TF_BAD_FILE', `loadTrajectories: ${dir} has no manifest.json (not a trajectory folder)`);
  let manifest: TrajectoryManifest;
  try { manifest = JSON.parse(fs.readFileSync(mf, 'utf8')); } catch (e) { throw new TensorfieldError('TF_BAD_FILE', `loadTrajectories: ${mf} is not JSON: ${(e as Error).message}`); }
  if (manifest.format !== 'tensorfield-dsno-trajectories/1') throw new TensorfieldError('TF_BAD_FILE', `loadTrajectories: ${mf} is not a DSNO trajectory manifest`);
  const xs: Tensor[] = [], ts: Tensor[] = [];
  for (const s of manifest.shards) {
    const file = path.join(dir, s);
    if (!fs.existsSync(file)) throw new TensorfieldError('TF_BAD_FILE', `loadTrajectories: ${file} is missing (the generator did not finish; run it again to resume)`);
    const { tensors } = loadSafetensors(file);
    const xT = tensors.get('xT'), traj = tensors.get('traj');
    if (!xT || !traj) throw new TensorfieldError('TF_BAD_FILE', `loadTrajectories: ${file} lacks xT or traj`);
    xs.push(xT); ts.push(traj);
  }
  const join = (parts: Tensor[]) => {
    if (parts.length === 1) return parts[0];
    const all = cat(parts, 0);
    for (const p of parts) p.dispose();
    return all;
  };
  const xT = join(xs), traj = join(ts);
  if (xT.shape[0] !== manifest.n || traj.shape[1] !== manifest.grid.length - 1)
    throw new TensorfieldError('TF_BAD_FILE', `loadTrajectories: ${dir} holds ${xT.shape[0]} trajectories of ${traj.shape[1]} slices, the manifest says ${manifest.n} of ${manifest.grid.length - 1}`);
  return { manifest, xT, traj };
}
