// sCM / TrigFlow (lib/models/scm) against independent oracles: float64 central differences for the JVP
// through the whole network, closed forms for Gaussian data, and the exact Gaussian-mixture teacher.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { GaussianMixture } from '../lib/data/gmm';
import { meanLogLikelihood } from '../lib/metrics/likelihood';
import * as scm from '../lib/models/scm';
import { Module } from '../lib/nn/module';
import { arr, expectClose, expectCode, jvpcheck } from './helpers';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { trainCommand, TRAIN_FLAGS } from '../lib/cli/train';
import { evalCommand } from '../lib/cli/commands';

const SD = 0.5;
const col = (v: number, n: number, dtype: 'float32' | 'float64' = 'float64') => tf.full([n], v, { dtype });

describe('network and JVP', () => {
  test('native JVP through the whole F (positional embedding + adaptive double norm) equals float64 central differences', () => {
    tf.manualSeed(1);
    const net = new scm.ScmMLP({ dim: 3, hidden: 16, blocks: 2, embDim: 8, dtype: 'float64' });
    const x = tf.randn([5, 3], { dtype: 'float64' });
    const t = tf.rand([5], { dtype: 'float64' }).mul(1.5).add(0.03);
    // eps = 1e-6: truncation O(eps²·F''') ~ 1e-12, rounding O(1e-16/eps) ~ 1e-10, so 1e-7 (relative to the
    // output scale) is three orders above the noise of the difference quotient yet far below any wrong rule.
    // jvpcheck also compares against reverse-over-reverse (double VJP) to 1e-9.
    jvpcheck((a, b) => net.forward(a, b), [x, t], { eps: 1e-6, atol: 1e-7, rtol: 1e-7, label: 'ScmMLP' });
    net.dispose();
  });

  test('the image network (U-Net, c_noise = t, adaptive double GroupNorm): native JVP equals float64 central differences', () => {
    tf.manualSeed(2);
    const { UNet } = require('../lib/nn/models/unet') as typeof import('../lib/nn/models/unet');
    const net = new UNet({ inChannels: 1, imageSize: 4, baseChannels: 8, channelMult: [1, 2], numResBlocks: 1, groups: 4,
      noiseScale: 1, maxPeriod: 10, doubleNorm: true }).toDtype('float64');
    expect(net.parameters().every((p) => p.dtype === 'float64')).toBe(true);
    const x = tf.randn([2, 1, 4, 4], { dtype: 'float64' });
    const t = tf.tensor([0.2, 1.3], { dtype: 'float64' });
    // Same tolerances and reasoning as above: every op of the U-Net (conv, GroupNorm, attention, upsampling,
    // concatenation, pnorm of the modulation) is on the tangent path.
    jvpcheck((a, b) => net.forward(a, b), [x, t], { eps: 1e-6, atol: 1e-7, rtol: 1e-7, label: 'UNet doubleNorm' });
    net.dispose();
  });

  test('rearranged tangents: jvp(F, (x/sd, t), (cs·dx/dt, cs·sd)) = sd·cs·dF/dt', () => {
    tf.manualSeed(2);
    const net = new scm.ScmMLP({ dim: 2, hidden: 16, blocks: 2, embDim: 8, dtype: 'float64' });
    const B = 6;
    const x = tf.randn([B, 2], { dtype: 'float64' });
    const xdot = tf.randn([B, 2], { dtype: 'float64' });
    const tv = [0.02, 0.3, 0.7, 1.1, 1.5, 1.5707];
    const t = tf.tensor(Float64Array.from(tv));
    const cs = t.cos().mul(t.sin());
    const [, [jv]] = tf.func.jvp((a: Tensor, b: Tensor) => net.forward(a, b), [x.div(SD), t], [xdot.mul(cs.reshape(B, 1)), cs.mul(SD)]);
    // dF/dt along the path (x + eps·xdot, t + eps), by float64 central differences.
    const eps = 1e-6;
    const Fat = (e: number) => tf.noGrad(() => net.forward(x.add(xdot.mul(e)).div(SD), t.add(e)));
    const dFdt = Fat(eps).sub(Fat(-eps)).div(2 * eps);
    const ref = dFdt.mul(cs.reshape(B, 1)).mul(SD);
    const scale = Math.max(1, ...arr(ref).map(Math.abs));
    expectClose(arr(jv), arr(ref), 1e-7 * scale, 1e-7, 'rearranged');
    net.dispose();
  });

  test('f(x, 0) = x exactly (float32), and f is the one-step DDIM jump elsewhere', () => {
    tf.manualSeed(3);
    const net = new scm.ScmMLP({ dim: 2, hidden: 8, blocks: 1, embDim: 8 });
    const x = tf.randn([7, 2]);
    const f0 = scm.consistencyFunction(net.asNet(), x, col(0, 7, 'float32'), SD);
    expect(Array.from(f0.dataSync())).toEqual(Array.from(x.dataSync()));
    const t = 0.9;
    const tt = col(t, 7, 'float32');
    const f = scm.consistencyFunction(net.asNet(), x, tt, SD);
    const step = tf.noGrad(() => tf.samplers.trigflowStep(x, net.forward(x.div(SD), tt), t, 0, SD));
    expectClose(arr(f), arr(step), 1e-6, 1e-6, 'f vs fused step');
    net.dispose();
  });

  test('the logvar head starts at 0 and pnorm has unit RMS', () => {
    const h = new scm.LogvarHead(16);
    expect(arr(h.forward(tf.tensor([0.1, 1.2])))).toEqual([0, 0]);
    const p = scm.pnorm(tf.tensor([[3, 4], [0.1, 0]], { dtype: 'float64' }));
    // mean(p²) = m/(m + 1e-8) for mean square m: 1 - 2e-6 for the second row (m = 0.005).
    expectClose(arr(p.square().mean(-1)), [12.5 / (12.5 + 1e-8), 0.005 / (0.005 + 1e-8)], 1e-12, 0, 'pnorm');
  });
});

/** F(xIn, t) = a(t)·xIn with a a small MLP of the positional embedding of t: the exact model class for Gaussian data. */
class SlopeModel extends Module {
  emb: scm.TimeEmbedding; l1: scm.Dense; l2: scm.Dense;
  constructor() {
    super();
    this.emb = this.module('emb', new scm.TimeEmbedding(16));
    this.l1 = this.module('l1', new scm.Dense(16, 32, 'float64'));
    this.l2 = this.module('l2', new scm.Dense(32, 1, 'float64'));
  }
  slope(t: Tensor): Tensor { return this.l2.forward(this.l1.forward(this.emb.forward(t)).silu()); }
  forward(xIn: Tensor, t: Tensor): Tensor { return this.slope(t).mul(xIn); }
}

describe('analytic Gaussian case: x0 ~ N(0, s² I)', () => {
  const S = 0.8, D = 2;
  const grid = Array.from({ length: 30 }, (_, i) => 0.05 + (i * (1.5 - 0.05)) / 29);
  // Two errors: of the slope a(t) itself, and of the consistency map it implies, f = g(t)·x with gain
  // g = cos t - sin t·a(t) against s/sqrt(v_t). The objective constrains a(t) only through f, i.e. weighted
  // by sin t, so the slope is loosest at small t while the map (what sampling uses) is uniformly tight.
  const errors = (m: SlopeModel, ema?: tf.optim.EMA) => {
    const copy = new SlopeModel();
    if (ema) ema.copyTo(copy); else copy.loadStateDict(m.stateDict());
    const a = arr(tf.noGrad(() => copy.slope(tf.tensor(Float64Array.from(grid)))));
    copy.dispose();
    const astar = grid.map((t) => scm.gaussianCase.consistencySlope(t, S, SD));
    const slope = Math.max(...grid.map((t, i) => Math.abs(a[i] - astar[i])));
    const gain = Math.max(...grid.map((t, i) => Math.abs(Math.cos(t) - Math.sin(t) * a[i] - S / Math.sqrt(scm.gaussianCase.variance(t, S, SD)))));
    return { slope, gain };
  };
  const teacher = (xIn: Tensor, t: Tensor) =>
    xIn.mul(tf.tensor(Float64Array.from(arr(t), (v) => scm.gaussianCase.teacherSlope(v, S, SD))).reshape(-1, 1));

  function train(mode: 'scd' | 'sct', steps: number, batch: number, lr: number) {
    tf.manualSeed(Number(process.env.SCM_SEED ?? (mode === 'scd' ? 11 : 12)));
    const m = new SlopeModel();
    const lv = new scm.LogvarHead(16, 'float64');
    const tr = new scm.ConsistencyTrainer(m, { sigmaD: SD, mode, teacher, warmupSteps: 100, optim: { lr }, emaDecay: 0.99, logvar: lv, pMean: -1.0, pStd: 1.4 });
    const before = errors(m);
    const t0 = Date.now();
    for (let i = 0; i < steps; i++) {
      // Cosine learning-rate decay to 10%: the normalised tangent gives steps of constant size, so a constant
      // rate leaves Adam jittering at a floor set by the rate rather than converging.
      tr.opt.groups[0].lr = lr * (0.1 + 0.45 * (1 + Math.cos((Math.PI * i) / steps)));
      tf.tidy(() => tr.trainStep(tf.randn([batch, D], { dtype: 'float64' }).mul(S)));
    }
    const after = errors(m), ema = errors(m, tr.ema);
    const f = (e: { slope: number; gain: number }) => `slope ${e.slope.toFixed(4)}, map gain ${e.gain.toFixed(4)}`;
    console.log(`${mode}, max error over t in [0.05, 1.5]: init ${f(before)}; trained ${f(after)}; EMA ${f(ema)} (${steps} steps, ${Date.now() - t0} ms)`);
    m.dispose(); lv.dispose();
    return { before, after, ema };
  }

  test('the sCD tangent vanishes at the exact consistency model and not elsewhere', () => {
    tf.manualSeed(13);
    // a*(t) written with tensor ops so the JVP differentiates it in t: g = cos t·df/dt must be 0 up to rounding.
    const aStar = (t: Tensor) => {
      const c = t.cos(), sn = t.sin();
      const v = c.square().mul(S * S).add(sn.square().mul(SD * SD));
      return c.sub(v.sqrt().reciprocal().mul(S)).div(sn);
    };
    const Fexact = (xIn: Tensor, t: Tensor) => xIn.mul(aStar(t).reshape(-1, 1));
    const x0 = tf.randn([64, D], { dtype: 'float64' }).mul(S);
    const t = tf.rand([64], { dtype: 'float64' }).mul(1.5).add(0.03);
    const at = scm.scmLoss(Fexact, x0, t, { sigmaD: SD, mode: 'scd', teacher, tangentC: 0 });
    const off = scm.scmLoss(teacher, x0, t, { sigmaD: SD, mode: 'scd', teacher, tangentC: 0 });
    console.log(`mean ||g||²/D: exact consistency model ${at.tangentMeanSq.toExponential(2)}, diffusion teacher as F ${off.tangentMeanSq.toExponential(2)}`);
    // Every term of g is O(1) here, so float64 cancellation leaves ~1e-32 in the mean square.
    expect(at.tangentMeanSq).toBeLessThan(1e-24);
    expect(off.tangentMeanSq).toBeGreaterThan(1e-3);
  });

  test('sCD with the exact teacher converges to a*(t)', () => {
    const r = train('scd', 800, 128, 3e-3);
    // The gain s/sqrt(v_t) runs from 1 to 1.6; the untrained model's is ~1.5.
    expect(r.ema.gain).toBeLessThan(0.02);
    expect(r.ema.slope).toBeLessThan(0.05);
  });

  test('sCT from data alone converges too (looser)', () => {
    const r = train('sct', 800, 128, 3e-3);
    // sCT's tangent uses one sample of (x0, z) instead of E[v | x_t]: a noisier gradient of the same fixed point.
    expect(r.ema.gain).toBeLessThan(0.04);
    expect(r.ema.slope).toBeLessThan(0.1);
  });
});

describe('exact Gaussian-mixture TrigFlow teacher (oracle)', () => {
  // Per-dimension std of this mixture is about 0.5 around a spread-out mean: a sigmaD = 0.5 setting.
  const gmm = new GaussianMixture({ means: [[-0.8, 0], [0.8, 0.3], [0, -0.9]], weights: [0.5, 0.3, 0.2], std: [0.15, 0.25, 0.2] });

  test('the exact teacher for one Gaussian component is the closed form, and its ODE map is x·s/sqrt(v_t)', () => {
    tf.manualSeed(30);
    const s = 0.8;
    const g1 = new GaussianMixture({ means: [[0, 0]], std: s });
    const F = scm.exactTeacher(g1, SD);
    const x = tf.randn([6, 2], { dtype: 'float64' });
    const tv = [0.1, 0.4, 0.8, 1.2, 1.5, Math.PI / 2];
    const got = F(x.div(SD), tf.tensor(Float64Array.from(tv)));
    const ref = x.div(SD).mul(tf.tensor(Float64Array.from(tv, (t) => scm.gaussianCase.teacherSlope(t, s, SD))).reshape(-1, 1));
    expectClose(arr(got), arr(ref), 1e-12, 1e-12, 'teacher');
    // trig-DDIM is first order: the plain 128- and 256-step maps err by O(h) and halve; their Richardson
    // extrapolation (exactConsistencyMap) is second order, so it must beat both by a wide margin.
    const t = 1.2;
    const gain = s / Math.sqrt(scm.gaussianCase.variance(t, s, SD));
    const maxErr = (y: Tensor) => Math.max(...arr(y.sub(x.mul(gain))).map(Math.abs));
    const e128 = maxErr(scm.integrateOde(F, x, t, 0, SD, 128)), e256 = maxErr(scm.integrateOde(F, x, t, 0, SD, 256));
    const eR = maxErr(scm.exactConsistencyMap(g1, SD, x, t, 128));
    console.log(`ODE map vs closed form at t = 1.2: DDIM-128 ${e128.toExponential(2)}, DDIM-256 ${e256.toExponential(2)}, extrapolated ${eR.toExponential(2)}`);
    expect(e128 / e256).toBeGreaterThan(1.8);
    expect(e128 / e256).toBeLessThan(2.2);
    expect(eR).toBeLessThan(e256 / 20);
  });

  test('trig-DDIM at high NFE reproduces the mixture; 2-step DDIM does not; a perfect consistency model does in 1 and 2 steps', () => {
    tf.manualSeed(31);
    const n = 2000;
    const F = scm.exactTeacher(gmm, SD);
    const ref = meanLogLikelihood(gmm.sample(n).to('float64'), gmm);
    const ll = (x: Tensor) => meanLogLikelihood(x, gmm).mean;
    const z = scm.priorNoise([n, 2], SD, 'float64');
    const ode64 = scm.trigflowOdeSample(F, z, { sigmaD: SD, nfe: 64 });
    const ode2 = ll(scm.trigflowOdeSample(F, z, { sigmaD: SD, nfe: 2 }));
    // The perfect consistency model: F from the exact ODE map, so one f-evaluation lands on the ODE's endpoint.
    const Fcm = (xIn: Tensor, t: Tensor) => scm.exactConsistencyF(gmm, SD, xIn.mul(SD), arr(t)[0], 32);
    const cm1 = scm.consistencySample(Fcm, z, { sigmaD: SD, steps: 1 });
    const cm2 = ll(scm.consistencySample(Fcm, z, { sigmaD: SD, steps: 2 }));
    const cm1vsOde = Math.sqrt(cm1.sub(ode64).square().sum(1).mean().item());
    console.log(`E[log p]: data ${ref.mean.toFixed(3)} ± ${ref.stdError.toFixed(3)}, DDIM-64 ${ll(ode64).toFixed(3)}, DDIM-2 ${ode2.toFixed(3)}, ` +
      `perfect CM 1-step ${ll(cm1).toFixed(3)}, 2-step ${cm2.toFixed(3)}; RMS |CM 1-step - DDIM-64| ${cm1vsOde.toExponential(2)}`);
    // Two independent n = 2000 estimates differ by ~sqrt(2)·stdError ≈ 0.04 at one sigma: 0.12 is 3 sigma.
    expect(Math.abs(ll(ode64) - ref.mean)).toBeLessThan(0.12);
    expect(Math.abs(ll(cm1) - ref.mean)).toBeLessThan(0.12);
    expect(Math.abs(cm2 - ref.mean)).toBeLessThan(0.12);
    // Same noise, same ODE: the 1-step map and DDIM-64 differ only by DDIM-64's O(h) error (h = 1.56/64).
    expect(cm1vsOde).toBeLessThan(0.02);
    // DDIM with 2 steps pulls samples toward the mean between the modes.
    expect(ref.mean - ode2).toBeGreaterThan(0.5);
  });

  test('the ODE sampler frees each step: live tensors under an enclosing tidy do not grow with the NFE', () => {
    tf.manualSeed(33);
    const net = new scm.ScmMLP({ dim: 2, hidden: 16, blocks: 2, embDim: 8 });
    const z = scm.priorNoise([32, 2], SD);
    // Tensors alive at the end of the sampler, still inside the caller's scope: with every step's network
    // intermediates kept (~70 per step here) the 32-step count would exceed the 4-step one by ~2000.
    const liveAfter = (nfe: number) => tf.tidy(() => {
      const before = tf.memory().tensors;
      scm.trigflowOdeSample(net.asNet(), z, { sigmaD: SD, nfe });
      return tf.memory().tensors - before;
    });
    const a = liveAfter(4), b = liveAfter(32);
    expect(b - a).toBeLessThanOrEqual(0);
    expect(b).toBeLessThan(10);
    net.dispose();
  });

  test('the exact map is consistent along a trajectory: f(x_t1, t1) = f(x_t2, t2)', () => {
    tf.manualSeed(32);
    const F = scm.exactTeacher(gmm, SD);
    const x1 = scm.priorNoise([200, 2], SD, 'float64').add(gmm.sample(200).to('float64').mul(Math.cos(1.3)));
    const f1 = scm.exactConsistencyMap(gmm, SD, x1, 1.3, 64);
    const f2 = scm.exactConsistencyMap(gmm, SD, scm.integrateOde(F, x1, 1.3, 0.6, SD, 64).mul(2).sub(scm.integrateOde(F, x1, 1.3, 0.6, SD, 32)), 0.6, 64);
    const err = Math.sqrt(f1.sub(f2).square().sum(1).mean().item());
    const worst = Math.max(...arr(f1.sub(f2)).map(Math.abs));
    console.log(`consistency of the exact map between t = 1.3 and 0.6: RMS ${err.toExponential(2)}, max ${worst.toExponential(2)}`);
    // Different grids (1.3 -> 0.6 -> 0 vs 1.3 -> 0), both Richardson-extrapolated: O(h²) errors, h ~ 0.02;
    // the sharp components (std 0.15) make the field stiff between modes, hence the looser bound on the worst point.
    expect(err).toBeLessThan(3e-4);
    expect(worst).toBeLessThan(3e-3);
  });
});

describe('bad input', () => {
  test('errors carry stable codes', () => {
    const net = new scm.ScmMLP({ dim: 2, hidden: 8, blocks: 1, embDim: 8 });
    const x = tf.randn([4, 2]);
    const t = tf.full([4], 0.5);
    expectCode(() => scm.sampleTime(0, SD), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.sampleTime(4, -1), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.scmLoss(net.asNet(), x, t, { sigmaD: SD, mode: 'scd' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.scmLoss(net.asNet(), x, t, { sigmaD: SD, mode: 'bad' as 'sct' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.scmLoss(net.asNet(), x, tf.full([4], 0), { sigmaD: SD, mode: 'sct' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.scmLoss(net.asNet(), x, tf.full([3], 0.5), { sigmaD: SD, mode: 'sct' }), 'TF_SHAPE_MISMATCH');
    expectCode(() => scm.scmLoss(net.asNet(), x, t, { sigmaD: SD, mode: 'sct', warmup: 2 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => net.forward(tf.randn([4, 3]), t), 'TF_SHAPE_MISMATCH');
    expectCode(() => new scm.ScmMLP({ dim: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.consistencySample(net.asNet(), x, { sigmaD: SD, times: [1.1, 1.5] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.consistencySample(net.asNet(), x, { sigmaD: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.trigflowOdeSample(net.asNet(), x, { sigmaD: SD, nfe: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => scm.tMaxOf(-1, SD), 'TF_INVALID_ARGUMENT');
    expectCode(() => new scm.ConsistencyTrainer(net, { sigmaD: SD, mode: 'scd' }), 'TF_INVALID_ARGUMENT');
    net.dispose();
  });

  test('teacher, sCT and sCD steps on the float32 MLP stay finite; t_max matches the paper', () => {
    expect(scm.tMaxOf(80, 0.5)).toBeCloseTo(1.56455, 5);
    tf.manualSeed(41);
    const data = tf.data.eightGaussians({ radius: 1, std: 0.1 });
    const teacher = new scm.ScmMLP({ dim: 2, hidden: 32, blocks: 2, embDim: 16 });
    const tt = new scm.TrigFlowTrainer(teacher, { sigmaD: SD, optim: { lr: 1e-3 }, logvar: new scm.LogvarHead(16) });
    const l0 = tt.trainStep(data.sample(64));
    for (let i = 0; i < 4; i++) tt.trainStep(data.sample(64));
    const student = new scm.ScmMLP({ dim: 2, hidden: 32, blocks: 2, embDim: 16 });
    student.loadStateDict(teacher.stateDict());
    for (const mode of ['sct', 'scd'] as const) {
      const ct = new scm.ConsistencyTrainer(student, { sigmaD: SD, mode, teacher: teacher.asNet(), warmupSteps: 2, logvar: new scm.LogvarHead(16) });
      for (let i = 0; i < 4; i++) expect(Number.isFinite(ct.trainStep(data.sample(64)))).toBe(true);
      expect(Number.isFinite(ct.lastTangentMeanSq)).toBe(true);
    }
    const x = scm.consistencySample(student.asNet(), scm.priorNoise([16, 2], SD), { sigmaD: SD });
    expect(arr(x).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(l0)).toBe(true);
    teacher.dispose(); student.dispose();
  });
});

describe('CLI methods', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-scm-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const quiet = () => undefined;
  const small = ['--data', 'eight-gaussians', '--batch', '64', '--hidden', '32', '--blocks', '1', '--samples', '200', '--steps', '20', '--ckpt-every', '20'];

  test('no sCM option shadows a train flag', () => {
    for (const m of [scm.trigflowMethod, scm.scdMethod, scm.sctMethod]) {
      for (const k of Object.keys(m.options)) expect([m.name, k, k in TRAIN_FLAGS]).toEqual([m.name, k, false]);
    }
  });

  test('trigflow teacher, then sCD from its checkpoint and sCT, train and evaluate', async () => {
    const teacherDir = path.join(tmp, 'teacher');
    await trainCommand(['--method', 'trigflow', ...small, '--out', teacherDir, '--sampleSteps', '8'], quiet);
    const ck = path.join(teacherDir, 'checkpoint.safetensors');
    expect(fs.existsSync(ck)).toBe(true);
    for (const m of ['scd', 'sct']) {
      const dir = path.join(tmp, m);
      const r = await trainCommand(['--method', m, ...small, '--out', dir, '--teacher', ck, '--warmup', '10'], quiet);
      expect(r.steps).toBe(20);
      const e = await evalCommand(['--run', dir, '--n', '100', '--steps', '1'], quiet);
      expect(Object.values(e).every((v) => typeof v !== 'number' || !Number.isNaN(v))).toBe(true);
    }
    await expect(trainCommand(['--method', 'scd', ...small, '--out', path.join(tmp, 'bad')], quiet)).rejects.toThrow(/teacher/);
  });

  test('images: trigflow teacher and sCD on Fashion-MNIST 14x14 with the double-normalised U-Net', async () => {
    const img = ['--data', 'fashion14', '--fashion-source', 'embedded', '--channels', '8', '--batch', '4', '--steps', '3',
      '--ckpt-every', '3', '--samples', '8', '--threads', '1'];
    const teacherDir = path.join(tmp, 'img-teacher');
    await trainCommand(['--method', 'trigflow', ...img, '--out', teacherDir, '--sampleSteps', '4'], quiet);
    const r = await trainCommand(['--method', 'scd', ...img, '--out', path.join(tmp, 'img-scd'), '--teacher',
      path.join(teacherDir, 'checkpoint.safetensors'), '--warmup', '2'], quiet);
    expect(r.steps).toBe(3);
    expect(Number.isFinite(r.lossLast)).toBe(true);
    expect(Number.isFinite(r.metrics!.fdCls)).toBe(true);
  });
});

describe('issue 17 options: dropout, tangent clipping, power-function EMA, inverse-sqrt lr', () => {
  const { UNet } = require('../lib/nn/models/unet') as typeof import('../lib/nn/models/unet');
  const { jvp } = require('../lib/func') as typeof import('../lib/func');
  const smallUNet = (dropout: number) => new UNet({ inChannels: 1, imageSize: 4, baseChannels: 8, channelMult: [1, 2], numResBlocks: 1,
    groups: 4, noiseScale: 1, maxPeriod: 10, doubleNorm: true, dropout }).toDtype('float64');
  const maxAbs = (a: Tensor, b: Tensor) => Math.max(...arr(a.sub(b).abs()));

  test('dropout in the U-Net: the JVP carries the primal pass\'s mask (= float64 central differences with the mask held fixed); off in eval', () => {
    tf.manualSeed(3);
    const net = smallUNet(0.3);
    const x = tf.randn([2, 1, 4, 4], { dtype: 'float64' }), vx = tf.randn([2, 1, 4, 4], { dtype: 'float64' });
    const t = tf.tensor([0.2, 1.3], { dtype: 'float64' }), vt = tf.tensor([0.7, -0.4], { dtype: 'float64' });
    const S = 77, eps = 1e-6;
    const at = (seed: number, s: number) => { tf.manualSeed(seed); return tf.noGrad(() => net.forward(x.add(vx.mul(s)), t.add(vt.mul(s)))); };
    tf.manualSeed(S);
    const [[P], [T]] = jvp((a: Tensor, b: Tensor) => net.forward(a, b), [x, t], [vx, vt]);
    // the JVP's primal is the plain forward under the same seed, to the bit
    expect(maxAbs(P, at(S, 0))).toBe(0);
    // central differences, every evaluation reseeded so the mask is the same: tolerances as in the U-Net test above
    // (truncation ~1e-12, rounding ~1e-10 relative; a tangent that missed or rescaled the mask errs by O(1))
    const fd = at(S, eps).sub(at(S, -eps)).div(2 * eps);
    expectClose(arr(T), arr(fd), 1e-7, 1e-7, 'UNet dropout JVP');
    // the controls that make the above non-trivial: another seed draws another mask, which changes the output
    // and the tangent by O(0.1) (so dropout is active and the tangent depends on the mask)
    expect(maxAbs(P, at(S + 1, 0))).toBeGreaterThan(1e-2);
    tf.manualSeed(S + 1);
    const [, [T2]] = jvp((a: Tensor, b: Tensor) => net.forward(a, b), [x, t], [vx, vt]);
    expect(maxAbs(T, T2)).toBeGreaterThan(1e-2);
    // eval mode: no dropout, the output does not depend on the generator
    net.eval();
    expect(maxAbs(at(1, 0), at(2, 0))).toBe(0);
    net.dispose();
  });

  test('sCT with dropout: the JVP pass and the gradient pass see the same masks, so F_theta - F⁻ is 0 and the loss is exactly mean ||g||²/D', () => {
    tf.manualSeed(4);
    const net = smallUNet(0.3);
    const x0 = tf.randn([3, 1, 4, 4], { dtype: 'float64' }).mul(SD);
    const t = tf.tensor([0.3, 0.8, 1.2], { dtype: 'float64' });
    const o = { sigmaD: SD, mode: 'sct' as const, tangentC: 0, priorWeight: false };
    // tangentC 0 keeps g raw, weight 1 and no logvar: loss = mean_b ||F_theta - F⁻ - g||²/D = mean_b ||g||²/D iff the masks match
    const res = scm.scmLoss((a, b) => net.forward(a, b), x0, t, o);
    expect(Math.abs(res.loss.item() - res.tangentMeanSq) / res.tangentMeanSq).toBeLessThan(1e-12);
    // control: a network whose second call draws a different mask gives a loss far from mean ||g||²/D
    let calls = 0;
    const other = (a: Tensor, b: Tensor) => { if (++calls === 2) tf.manualSeed(999); return net.forward(a, b); };
    tf.manualSeed(5);
    const bad = scm.scmLoss(other, x0, t, o);
    expect(Math.abs(bad.loss.item() - bad.tangentMeanSq) / bad.tangentMeanSq).toBeGreaterThan(1e-2);
    net.dispose();
  });

  test('tangent clipping: the target is F⁻ + clip(g, -1, 1) with the raw g of the same draw', () => {
    tf.manualSeed(6);
    const net = new scm.ScmMLP({ dim: 4, hidden: 16, blocks: 2, embDim: 8, dtype: 'float64' });
    const B = 64;
    const x0 = tf.randn([B, 4], { dtype: 'float64' }).mul(3);
    const z = tf.randn([B, 4], { dtype: 'float64' }).mul(SD);
    const t = tf.rand([B], { dtype: 'float64' }).mul(1.4).add(0.05);
    const o = { sigmaD: SD, mode: 'sct' as const };
    const raw = scm.scmLoss(net.asNet(), x0, t, { ...o, tangentC: 0 }, z);
    const clip = scm.scmLoss(net.asNet(), x0, t, { ...o, tangent: 'clip', tangentC: 5 }, z);  // tangentC is unused with clip
    const Fm = tf.noGrad(() => net.forward(scm.interpolate(x0, z, t).xt.div(SD), t));
    const g = raw.target.sub(Fm);
    const frac = arr(g.abs()).filter((v) => v > 1).length / (B * 4);
    expect(frac).toBeGreaterThan(0.05);  // clipping is active on part of the batch ...
    expect(frac).toBeLessThan(0.95);     // ... and not on all of it
    // float64: the only difference is rounding in F⁻ + g - F⁻
    expectClose(arr(clip.target.sub(Fm)), arr(g.clamp(-1, 1)), 1e-12, 0, 'clip');
    expectCode(() => scm.scmLoss(net.asNet(), x0, t, { ...o, tangent: 'bad' as 'clip' }), 'TF_INVALID_ARGUMENT');
    net.dispose();
  });

  test('trainer wiring: inverse-sqrt lr by step, the power-function EMA from sigma_rel, bad settings rejected', () => {
    tf.manualSeed(7);
    const net = new scm.ScmMLP({ dim: 2, hidden: 16, blocks: 1, embDim: 8 });
    const tr = new scm.ConsistencyTrainer(net, { sigmaD: SD, mode: 'sct', optim: { lr: 1e-3 }, lrSchedule: 'inverse-sqrt', lrRefSteps: 2,
      emaSigmaRel: 0.05, tangent: 'clip', warmupSteps: 2 });
    const data = tf.data.eightGaussians({ radius: 1, std: 0.1 });
    const lrs: number[] = [];
    for (let i = 0; i < 6; i++) { tr.trainStep(data.sample(32)); lrs.push(tr.opt.groups[0].lr); }
    // step s (0-based) runs at 1e-3 / sqrt(max(s / 2, 1))
    expectClose(lrs, [0, 1, 2, 3, 4, 5].map((s) => 1e-3 / Math.sqrt(Math.max(s / 2, 1))), 1e-15, 1e-12, 'lr');
    const gamma = tf.optim.gammaOfSigmaRel(0.05);
    expect(tr.ema.opts.gamma).toBe(gamma);
    expect(tr.ema.decay()).toBeCloseTo(Math.pow(1 - 1 / 6, gamma + 1), 15);
    expectCode(() => new scm.ConsistencyTrainer(net, { sigmaD: SD, mode: 'sct', lrSchedule: 'inverse-sqrt' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new scm.ConsistencyTrainer(net, { sigmaD: SD, mode: 'sct', lrSchedule: 'cosine' as 'constant' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new scm.ConsistencyTrainer(net, { sigmaD: SD, mode: 'sct', emaSigmaRel: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new scm.ConsistencyTrainer(net, { sigmaD: SD, mode: 'sct', tangent: 'none' as 'clip' }), 'TF_INVALID_ARGUMENT');
    net.dispose();
  });

  test('CLI: the options reach the run (kebab-case spellings too), bad values are TF_INVALID_ARGUMENT naming the valid range', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-scm17-'));
    const quiet = () => undefined;
    try {
      const img = ['--data', 'fashion14', '--fashion-source', 'embedded', '--channels', '8', '--batch', '4', '--steps', '3',
        '--ckpt-every', '3', '--samples', '8', '--threads', '1'];
      const dir = path.join(tmp, 'sct');
      const r = await trainCommand(['--method', 'sct', ...img, '--out', dir, '--dropout', '0.2', '--ema-sigma-rel', '0.05',
        '--lr-schedule', 'inverse-sqrt', '--lr-ref-steps', '2', '--tangent', 'clip', '--warmup', '2'], quiet);
      expect(r.steps).toBe(3);
      expect(Number.isFinite(r.lossLast)).toBe(true);
      const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
      expect(cfg.options).toMatchObject({ dropout: 0.2, emaSigmaRel: '0.05', lrSchedule: 'inverse-sqrt', lrRefSteps: 2, tangent: 'clip' });
      const pts = ['--data', 'eight-gaussians', '--batch', '16', '--hidden', '16', '--blocks', '1', '--steps', '1', '--samples', '16'];
      const cases: [string[], RegExp][] = [
        [['--method', 'sct', ...img, '--dropout', '-0.1'], /dropout must be in \[0, 1\)/],
        [['--method', 'sct', ...img, '--dropout', '1'], /dropout must be in \[0, 1\)/],
        [['--method', 'trigflow', ...img, '--dropout', '1.5'], /dropout must be in \[0, 1\)/],
        [['--method', 'sct', ...pts, '--dropout', '0.2'], /image U-Net only/],
        [['--method', 'sct', ...pts, '--ema-sigma-rel', '0'], /sigma_rel\) must be a number in \(0, 0\.2887\]/],
        [['--method', 'scd', ...pts, '--emaSigmaRel', '-0.05', '--teacher', 'x'], /sigma_rel\) must be a number in \(0, 0\.2887\]/],
        [['--method', 'trigflow', ...pts, '--ema-sigma-rel', 'abc'], /sigma_rel\) must be a number/],
        [['--method', 'sct', ...pts, '--lr-schedule', 'cosine'], /lrSchedule' must be one of constant, inverse-sqrt/],
        [['--method', 'sct', ...pts, '--lr-ref-steps', '0'], /lrRefSteps must be a positive integer/],
        [['--method', 'sct', ...pts, '--tangent', 'tanh'], /tangent' must be one of normalize, clip/],
      ];
      // --resume: the trainer's step follows the loop's, so the tangent warm-up and the lr schedule continue where
      // they stopped; 20 + 20 steps give the same checkpoint, byte for byte, as 40 (before the fix, the resumed
      // half restarted the warm-up at r = 0 and the schedule at lr_ref, and the files differed).
      const a = ['--method', 'sct', ...pts.filter((v, i, all) => v !== '--steps' && all[i - 1] !== '--steps'), '--warmup', '30',
        '--lr-schedule', 'inverse-sqrt', '--lr-ref-steps', '5', '--ema-sigma-rel', '0.05', '--ckpt-every', '10'];
      await trainCommand([...a, '--steps', '40', '--out', path.join(tmp, 'whole')], quiet);
      await trainCommand([...a, '--steps', '20', '--out', path.join(tmp, 'halves')], quiet);
      await trainCommand(['--steps', '40', '--resume', '--out', path.join(tmp, 'halves')], quiet);
      const ck = (d: string) => fs.readFileSync(path.join(tmp, d, 'checkpoint.safetensors'));
      expect(ck('halves').equals(ck('whole'))).toBe(true);

      for (const [argv, msg] of cases) {
        const p = trainCommand([...argv, '--out', path.join(tmp, 'bad')], quiet);
        await expect(p).rejects.toMatchObject({ code: 'TF_INVALID_ARGUMENT' });
        await expect(trainCommand([...argv, '--out', path.join(tmp, 'bad')], quiet)).rejects.toThrow(msg);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
