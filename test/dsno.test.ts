// DSNO (lib/models/dsno): the schedule against the digest's checked values, the trajectory generator against the
// exact Gaussian-mixture teacher and a closed form, resume, the operator's identities, the loss.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../lib';
import * as dsno from '../lib/models/dsno';
import { exactTeacher, gaussianCase } from '../lib/models/scm/exact';
import { eightGaussians } from '../lib/data';
import { expectClose, expectCode } from './helpers';
import { trainCommand, TRAIN_FLAGS } from '../lib/cli/train';
import { evalCommand } from '../lib/cli/commands';
import '../lib/models';

beforeAll(() => tf.manualSeed(3));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dsno-'));

test('schedule: the quad grid, its log-SNRs and loss weights as the digest checked them', () => {
  const u = dsno.timeGrid('quad');
  expect(u).toEqual([1, 0.5625, 0.25, 0.0625, 0]);
  expect(dsno.timeGrid('uniform')).toEqual([1, 0.75, 0.5, 0.25, 0]);
  const ls = u.map((v) => dsno.logsnrOf(v));
  expectClose(ls, [-20, -0.395, 1.763, 4.635, 20], 1e-3, 0, 'logsnr');  // digest A §4.2 [checked], 3 decimals
  expectClose(dsno.sliceWeights(u.slice(1)), [1, 2.414, 10.15, 1e4], 5e-3, 0, 'weights');  // §4.4 [checked]
  expectCode(() => dsno.timeGrid('log' as never), 'TF_INVALID_ARGUMENT');
  expectCode(() => dsno.tauOf(1.5), 'TF_INVALID_ARGUMENT');
});

test('trajectories: the stored states equal the teacher ODE run; Gaussian data: the exact PF-ODE map', () => {
  // x0 ~ N(0, s^2): along the PF-ODE x(tau) = x(tau0) sqrt(v(tau) / v(tau0)), v = cos^2 s^2 + sin^2 sigmaD^2
  const s = 0.7, sd = 0.5;
  const F = (xIn: tf.Tensor, t: tf.Tensor) => xIn.mul(gaussianCase.teacherSlope(t.dataSync()[0] as number, s, sd));  // one t per call here
  const grid = dsno.timeGrid('quad');
  const dir = tmp();
  const m = dsno.generateTrajectories(dir, { teacher: F, sigmaD: sd, sampleShape: [3], grid, n: 50, steps: 1024, shardSize: 20, seed: 4, progress: false });
  expect(m.shards.length).toBe(3);
  const { xT, traj } = dsno.loadTrajectories(dir);
  expect(xT.shape).toEqual([50, 3]);
  expect(traj.shape).toEqual([50, 4, 3]);
  const v = (tau: number) => Math.cos(tau) ** 2 * s * s + Math.sin(tau) ** 2 * sd * sd;
  const t0 = dsno.tauOf(1);
  for (let k = 1; k < grid.length; k++) {
    const want = xT.mul(Math.sqrt(v(dsno.tauOf(grid[k])) / v(t0)));
    // trig-DDIM is first order: 1024 steps over tau in [0, pi/2] leave O(1e-3) relative error
    expectClose(traj.select(1, k - 1).dataSync(), want.dataSync(), 3e-3, 0, `slice ${k}`);
  }
});

test('trajectories resume: an interrupted folder completes to the same bytes; other options are refused', () => {
  const gmm = eightGaussians({ radius: Math.SQRT1_2, std: 0.05 });
  const o = { teacher: exactTeacher(gmm, 0.5), sigmaD: 0.5, sampleShape: [2], grid: dsno.timeGrid('quad'), n: 30, steps: 16, shardSize: 10, seed: 1, progress: false };
  const a = tmp(), b = tmp();
  dsno.generateTrajectories(a, o);
  dsno.generateTrajectories(b, o);
  fs.unlinkSync(path.join(b, 'shard-00001.safetensors'));              // lost
  fs.writeFileSync(path.join(b, 'shard-00002.safetensors'), 'garbage');  // torn
  dsno.generateTrajectories(b, o);
  for (const f of fs.readdirSync(a)) expect(fs.readFileSync(path.join(b, f)).equals(fs.readFileSync(path.join(a, f)))).toBe(true);
  expectCode(() => dsno.generateTrajectories(b, { ...o, steps: 32 }), 'TF_INVALID_ARGUMENT');
  expectCode(() => dsno.generateTrajectories(tmp(), { ...o, steps: 10 }), 'TF_INVALID_ARGUMENT');  // 0.5625 between steps
  expectCode(() => dsno.loadTrajectories(tmp()), 'TF_BAD_FILE');
  // a shard run through the teacher in chunks: the same noise and (the exact teacher is per-sample) the same states
  const c = tmp();
  dsno.generateTrajectories(c, { ...o, chunk: 3 });
  const A = dsno.loadTrajectories(a), C = dsno.loadTrajectories(c);
  expect(Array.from(C.xT.dataSync())).toEqual(Array.from(A.xT.dataSync()));
  expectClose(C.traj.dataSync(), A.traj.dataSync(), 1e-6, 1e-7, 'chunked');
  expectCode(() => dsno.generateTrajectories(tmp(), { ...o, chunk: 0 }), 'TF_INVALID_ARGUMENT');
});

test('operator: one call returns every slice; zero temporal weights = the per-slice network', () => {
  const times = dsno.timeGrid('quad').slice(1);
  const op = new dsno.DsnoMLP({ dim: 2, times, width: 16, blocks: 2, embDim: 8, modes: 2, spectralInit: 'zeros' });
  const x = tf.randn([5, 2]);
  const y = op.forward(x);
  expect(y.shape).toEqual([5, 4, 2]);
  // the same weights without temporal layers, slice by slice
  const flat = new dsno.DsnoMLP({ dim: 2, times, width: 16, blocks: 2, embDim: 8, modes: 0 });
  flat.loadStateDict(op.stateDict(), { strict: false });
  expectClose(flat.forward(x).dataSync(), y.dataSync(), 1e-6, 0, 'reduces');
  // with nonzero temporal weights the slices interact: changing the time of slice 0 moves slice 3
  const mixed = new dsno.DsnoMLP({ dim: 2, times, width: 16, blocks: 2, embDim: 8, modes: 2 });
  const other = new dsno.DsnoMLP({ dim: 2, times: [0.9, ...times.slice(1)], width: 16, blocks: 2, embDim: 8, modes: 2 });
  other.loadStateDict(mixed.stateDict());
  const d3 = mixed.forward(x).select(1, 3).sub(other.forward(x).select(1, 3)).abs().max().item();
  expect(d3).toBeGreaterThan(0);
  const f0 = flat.forward(x).select(1, 3);
  const flat2 = new dsno.DsnoMLP({ dim: 2, times: [0.9, ...times.slice(1)], width: 16, blocks: 2, embDim: 8, modes: 0 });
  flat2.loadStateDict(flat.stateDict());
  expect(flat2.forward(x).select(1, 3).sub(f0).abs().max().item()).toBe(0);
  expectCode(() => op.forward(tf.randn([5, 3])), 'TF_SHAPE_MISMATCH');
  expectCode(() => new dsno.DsnoMLP({ dim: 2, times: [] }), 'TF_INVALID_ARGUMENT');
});

test('image operator: zero temporal weights = the teacher U-Net on each slice; fno weights mix the slices', () => {
  const unet = { inChannels: 1, imageSize: 8, baseChannels: 4, channelMult: [1, 2], numResBlocks: 1, groups: 2, maxPeriod: 10 };
  const taus = [1.2, 0.8, 0.3, 0.05];
  const op = new dsno.DsnoUNet({ unet, sliceTimes: taus, modes: 2, spectralInit: 'zeros' });
  expect(op.timeConvs.length).toBe(7);  // 1 + 1 down blocks, the middle, 2 + 2 up blocks (numResBlocks + 1 per up level)
  const x = tf.randn([3, 1, 8, 8]);
  const y = tf.noGrad(() => op.forward(x));
  expect(y.shape).toEqual([3, 4, 1, 8, 8]);
  for (let m = 0; m < 4; m++) {
    const want = tf.noGrad(() => op.unet.forward(x, tf.full([3], taus[m])));
    expectClose(y.select(1, m).contiguous().dataSync(), want.dataSync(), 1e-5, 0, `slice ${m}`);
  }
  const mixed = new dsno.DsnoUNet({ unet, sliceTimes: taus, modes: 2 });
  mixed.unet.loadStateDict(op.unet.stateDict());
  const d = tf.noGrad(() => mixed.forward(x).sub(op.forward(x)).abs().max().item());
  expect(d).toBeGreaterThan(0);
  expectCode(() => op.forward(tf.randn([3, 1, 6, 6])), 'TF_SHAPE_MISMATCH');
});

test('loss: per-slice L1/L2 with the weights; training lowers it on a fixed batch', () => {
  const p = tf.tensor(new Float32Array([1, 2, 3, 4]), { shape: [1, 2, 2] });
  const t = tf.zeros([1, 2, 2]);
  const { loss, perSlice } = dsno.dsnoLoss(p, t, [1, 10], 'l1');
  expectClose(perSlice.dataSync(), [1.5, 3.5], 1e-6);
  expect(loss.item()).toBeCloseTo((1.5 + 35) / 2, 5);
  expect(dsno.dsnoLoss(p, t, [1, 1], 'l2').loss.item()).toBeCloseTo((2.5 + 12.5) / 2, 5);
  expectCode(() => dsno.dsnoLoss(p, t, [1], 'l1'), 'TF_SHAPE_MISMATCH');
  const times = dsno.timeGrid('quad').slice(1);
  const op = new dsno.DsnoMLP({ dim: 2, times, width: 32, blocks: 2, embDim: 16 });
  const tr = new dsno.DsnoTrainer(op, { weights: dsno.sliceWeights(times), sigmaD: 0.5, lr: 1e-3 });
  // a learnable map: each slice a fixed scaling of the noise
  const xT = tf.randn([64, 2]).mul(0.5), traj = xT.unsqueeze(1).mul(tf.tensor(new Float32Array([0.9, 0.6, 0.3, 0.1]), { shape: [1, 4, 1] }));
  const first = tr.step(xT, traj);
  let last = first;
  for (let i = 0; i < 100; i++) last = tr.step(xT, traj);
  expect(last).toBeLessThan(0.2 * first);
});

describe('CLI method dsno', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-dsno-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const quiet = () => undefined;
  const small = ['--data', 'eight-gaussians', '--batch', '64', '--hidden', '32', '--blocks', '1', '--samples', '200', '--ckpt-every', '10'];

  test('no dsno option shadows a train flag', () => {
    for (const k of Object.keys(dsno.dsnoMethod.options)) expect([k, k in TRAIN_FLAGS]).toEqual([k, false]);
  });

  test('distils a trigflow checkpoint: trajectories beside it, training, one-call sampling, resume reuses them', async () => {
    const teacherDir = path.join(tmp, 'teacher');
    await trainCommand(['--method', 'trigflow', ...small, '--steps', '10', '--out', teacherDir, '--sampleSteps', '8'], quiet);
    const ck = path.join(teacherDir, 'checkpoint.safetensors');
    const dir = path.join(tmp, 'dsno');
    const opts = ['--method', 'dsno', ...small, '--teacher', ck, '--nTraj', '300', '--teacherSteps', '16', '--width', '32', '--opBlocks', '1'];
    const r = await trainCommand([...opts, '--steps', '10', '--out', dir], quiet);
    expect(r.steps).toBe(10);
    const trajDir = path.join(teacherDir, 'dsno-trajectories-300-16-quad4');
    expect(fs.existsSync(path.join(trajDir, 'manifest.json'))).toBe(true);
    const stamp = fs.statSync(path.join(trajDir, 'shard-00000.safetensors')).mtimeMs;
    const e = await evalCommand(['--run', dir, '--n', '100'], quiet);
    expect(Object.values(e).every((v) => typeof v !== 'number' || Number.isFinite(v))).toBe(true);
    const r2 = await trainCommand([...opts, '--steps', '20', '--out', dir, '--resume'], quiet);
    expect(r2.steps).toBe(20);
    expect(fs.statSync(path.join(trajDir, 'shard-00000.safetensors')).mtimeMs).toBe(stamp);  // reused, not remade
    await expect(trainCommand(['--method', 'dsno', ...small, '--steps', '2', '--out', path.join(tmp, 'bad')], quiet)).rejects.toThrow(/teacher/);
    // the feature distance reads Fashion images: refused on points before any trajectory is generated
    await expect(trainCommand([...opts, '--distance', 'feature', '--steps', '2', '--out', path.join(tmp, 'bad2')], quiet)).rejects.toThrow(/--distance feature needs/);
  });

  test('images: a trigflow U-Net teacher distilled into the time-batched U-Net operator (feature-distance loss)', async () => {
    const img = ['--data', 'fashion14', '--fashion-source', 'embedded', '--channels', '8', '--batch', '4', '--ckpt-every', '2',
      '--samples', '8', '--threads', '1'];
    const teacherDir = path.join(tmp, 'img-teacher');
    await trainCommand(['--method', 'trigflow', ...img, '--steps', '2', '--out', teacherDir, '--sampleSteps', '4'], quiet);
    const r = await trainCommand(['--method', 'dsno', ...img, '--steps', '2', '--out', path.join(tmp, 'img-dsno'), '--teacher',
      path.join(teacherDir, 'checkpoint.safetensors'), '--nTraj', '8', '--teacherSteps', '16', '--distance', 'feature'], quiet);
    expect(r.steps).toBe(2);
    expect(Number.isFinite(r.lossLast)).toBe(true);
    expect(Number.isFinite(r.metrics!.fdCls)).toBe(true);
  });
});
