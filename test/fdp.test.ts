// FDP (lib/models/fdp) against independent oracles, without training: the forward process's per-mode marginals
// against an Euler-Maruyama simulation of the SDE, the R-preconditioned score against autograd of the Gaussian
// log-density, the spectral loss against an explicit DFT sum, float64 finite differences of the Gabor INR and of
// the second-order inner loop (3 SGD steps, plain and meta-SGD), the batched per-sample forward against a loop,
// the first-order ablation's gradient, the sampler's shapes, the CLI method, and TF_ errors on bad input.
import * as tf from '../lib';
import { Tensor } from '../lib';
import * as fdp from '../lib/models/fdp';
import { getMethod, resolveOptions } from '../lib/registry';
import '../lib/models';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { trainCommand, TRAIN_FLAGS } from '../lib/cli/train';
import { expectClose, expectCode, gradcheck } from './helpers';

beforeAll(() => tf.setNumThreads(1));
const f64 = 'float64';

describe('forward process', () => {
  test('Euler-Maruyama paths (1000 steps, 10k paths) match k_t X0 and (r/b)(1 - k_t^2) per frequency within 3 %', () => {
    tf.manualSeed(3);
    const P = 16, N = 10000, steps = 1000, dt = 1 / steps;
    const sde = new fdp.HeatSDE({ grid: [P] });
    const row = Array.from({ length: P }, (_, j) => Math.sin(2 * Math.PI * j / P) + 0.5 * Math.cos(6 * Math.PI * j / P + 0.3) + 0.2);
    const X0 = tf.fft.rfft(tf.tensor(row, { dtype: f64 }), { norm: 'ortho' }).dataSync();
    const { b } = sde.tables(f64);
    let x = tf.tensor(row, { dtype: f64 }).reshape([1, 1, P]).expand([N, 1, P]).contiguous();
    const checks: Record<number, number> = { 100: 0.1, 500: 0.5, 1000: 1 };
    for (let i = 1; i <= steps; i++) {
      const beta = sde.beta((i - 1) * dt);
      const nx = tf.tidy(() => x.add(sde.unspec(sde.spec(x).mul(b)).mul(-beta * dt)).add(sde.noiseR(x.shape, f64).mul(Math.sqrt(2 * beta * dt))));
      x.dispose(); x = nx;
      const t = checks[i];
      if (t === undefined) continue;
      tf.tidy(() => {
        const X = sde.spec(x).reshape([N, P / 2 + 1, 2]);
        const mean = X.mean(0), dev = X.sub(mean).square().sum(-1);  // complex variance E|X - EX|^2 per frequency
        const m = mean.dataSync(), v = dev.sum(0).div(N - 1).dataSync();
        for (let q = 0; q <= P / 2; q++) {
          const k = Math.exp(-sde.modes.b[q] * sde.integral(t)), s2 = (sde.modes.r[q] / sde.modes.b[q]) * (1 - k * k);
          const dm = Math.hypot(m[2 * q] - k * X0[2 * q], m[2 * q + 1] - k * X0[2 * q + 1]);
          expect(dm / Math.sqrt(s2)).toBeLessThan(0.03);
          expect(Math.abs(v[q] / s2 - 1)).toBeLessThan(0.03);
        }
      });
    }
    x.dispose();
  });

  test('marginal() and transition(): exact per-mode variances, and marginal(s) then transition(s, t) is marginal(t)', () => {
    tf.manualSeed(4);
    const P = 8, N = 40000, sde = new fdp.HeatSDE({ grid: [P], energyNorm: 3 });
    const x0 = tf.zeros([N, 1, P], { dtype: f64 });
    const check = (y: Tensor, t: number) => {
      const v = sde.spec(y).square().sum(-1).mean(0).reshape([P / 2 + 1]).dataSync();
      for (let q = 0; q <= P / 2; q++) {
        const k = Math.exp(-sde.modes.b[q] * sde.integral(t));
        expect(Math.abs(v[q] / ((sde.modes.r[q] / sde.modes.b[q]) * (1 - k * k)) - 1)).toBeLessThan(0.04);
      }
    };
    tf.tidy(() => {
      check(sde.marginal(x0, new Float64Array(N).fill(0.3)), 0.3);
      check(sde.transition(sde.marginal(x0, new Float64Array(N).fill(0.2)), 0.2, 0.7), 0.7);
      check(sde.prior([N, 1, P], f64), 1);
    });
  });

  test('score() is r times the autograd gradient of the Gaussian log-density of Y_t given x0', () => {
    const P = 12, sde = new fdp.HeatSDE({ grid: [P] }), t = 0.4;
    const y = tf.randn([2, 1, P], { dtype: f64 }).requiresGrad_(), x0 = tf.randn([2, 1, P], { dtype: f64 });
    const { b, r, mult } = sde.tables(f64);
    const k = b.mul(-sde.integral(t)).exp(), s2 = r.div(b).mul(k.square().neg().add(1));
    // log p = -1/2 sum over the full spectrum |Y - k X0|^2 / sigma^2 (+ const); the ortho DFT is unitary
    const logp = sde.spec(y).sub(sde.spec(x0).mul(k)).square().mul(mult).div(s2).sum().mul(-0.5);
    const [g] = tf.autograd.grad(logp, [y]);
    const want = sde.unspec(sde.spec(g!).mul(r));
    expectClose(sde.score(y.detach(), x0, t).dataSync(), want.dataSync(), 1e-9, 1e-9, 'score');
  });

  test('the code-weighted spectral loss equals an explicit full-DFT sum of (b/r)|X - X0|^2; 2-D bins too', () => {
    for (const grid of [[10], [4, 6]]) {
      const sde = new fdp.HeatSDE({ grid, xNorm: 7 });
      const a = tf.randn([3, 2, ...grid], { dtype: f64 }), c = tf.randn([3, 2, ...grid], { dtype: f64 });
      const got = fdp.spectralSquaredError(a, c, sde, null).dataSync();
      const d = a.sub(c).dataSync(), H = grid.length === 2 ? grid[0] : 1, W = grid[grid.length - 1], n = H * W, fs = 7 / W;
      for (let s = 0; s < 3; s++) {
        let acc = 0;
        for (let ch = 0; ch < 2; ch++) {
          for (let u = 0; u < H; u++) for (let v = 0; v < W; v++) {
            let re = 0, im = 0;
            for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) {
              const w = 2 * Math.PI * ((u * i) / H + (v * j) / W), val = d[((s * 2 + ch) * H + i) * W + j];
              re += val * Math.cos(w); im -= val * Math.sin(w);
            }
            const fy = Math.min(u, H - u) * fs, fx = Math.min(v, W - v) * fs, w2 = fx * fx + fy * fy;
            acc += (fdp.bOf(w2) / fdp.rOf(w2)) * (re * re + im * im) / n;
          }
        }
        expect(Math.abs(got[s] - acc / 2) / acc).toBeLessThan(1e-10);
      }
    }
  });
});

describe('Gabor INR and the inner loop', () => {
  const small = (o: Partial<fdp.FdpDenoiserOptions> = {}) => {
    tf.manualSeed(5);
    const sde = new fdp.HeatSDE({ grid: [8] });
    const net = new fdp.FdpDenoiser({ grid: [8], channels: 1, hidden: 5, layers: 2, innerLr: 0.5, innerClip: 0, ...o }, sde);
    net.toDtype(f64);
    return net;
  };

  test('gabor and GaborINR.forwardWith with per-sample parameters: float64 gradcheck', () => {
    tf.manualSeed(6);
    const inr = new tf.nn.GaborINR({ inDim: 2, outDim: 1, hidden: 3, layers: 2, freq: 3, expConst: 1 });
    inr.toDtype(f64);
    const x = tf.rand([2, 4, 2], { dtype: f64 }).mul(2).sub(1);
    const ps = inr.flatParams().map((p) => (p.ndim === 1 ? p.detach().reshape([1, 1, p.shape[0]]).expand([2, 1, p.shape[0]]) : p.detach().unsqueeze(0).expand([2, ...p.shape])).contiguous());
    gradcheck((...a: Tensor[]) => inr.forwardWith(a.slice(1), a[0]), [x, ...ps], { label: 'GaborINR' });
    gradcheck((h: Tensor) => tf.nn.gabor(h, 30, 10), [tf.randn([7], { dtype: f64 }).mul(0.2)], { label: 'gabor' });
  });

  test('the batched per-sample forward equals a loop over samples with their own weights', () => {
    tf.manualSeed(7);
    const inr = new tf.nn.GaborINR({ inDim: 3, outDim: 2, hidden: 6, layers: 3 });
    const x = tf.rand([4, 9, 3]);
    const ps = inr.flatParams().map((p) => tf.randn([4, ...(p.ndim === 1 ? [1, p.shape[0]] : p.shape)]).mul(0.3));
    const batched = inr.forwardWith(ps, x).dataSync();
    for (let s = 0; s < 4; s++) {
      const one = inr.forwardWith(ps.map((p) => { const q = p.select(0, s); return q.ndim === 2 && q.shape[0] === 1 ? q.reshape([q.shape[1]]) : q; }), x.select(0, s)).dataSync();
      expectClose(batched.slice(s * 18, (s + 1) * 18), one, 1e-5, 1e-5, `sample ${s}`);
    }
  });

  test('second order: the outer gradient through 3 inner SGD steps matches float64 central differences', () => {
    const net = small();
    const y = tf.randn([2, 1, 8], { dtype: f64 }), x0 = tf.randn([2, 1, 8], { dtype: f64 }), t = [0.3, 0.8];
    const params = net.parameters();
    const loss = () => fdp.fdpLoss(net.predict(y, t, 'second'), x0, net.sde, 'code', t);
    const analytic = tf.autograd.grad(loss(), params);
    let checked = 0;
    params.forEach((p, i) => {
      const data = p.dataSync() as Float64Array;
      for (const j of [0, Math.floor(data.length / 2), data.length - 1]) {
        const h = 1e-6, keep = data[j];
        const at = (v: number) => { tf.noGrad(() => { const d = p.dataSync() as Float64Array; d[j] = v; p.copy_(tf.tensor(d, { shape: p.shape, dtype: f64 })); }); return tf.tidy(() => loss().item()); };
        const num = (at(keep + h) - at(keep - h)) / (2 * h);
        at(keep);
        const a = analytic[i]!.dataSync()[j];
        expect(Math.abs(a - num)).toBeLessThan(1e-6 + 1e-5 * Math.abs(num));
        checked++;
      }
    });
    expect(checked).toBe(18);
  });

  test('meta-SGD: the gradient with respect to the learned inner rates matches central differences', () => {
    const net = small({ metaSgd: true });
    const y = tf.randn([2, 1, 8], { dtype: f64 }), x0 = tf.randn([2, 1, 8], { dtype: f64 }), t = [0.5, 0.1];
    const rates = net.innerRates();
    const [g] = tf.autograd.grad(fdp.fdpLoss(net.predict(y, t, 'second'), x0, net.sde, 'code', t), [rates[0]]);
    const base = rates[0].detach().clone();
    const num = new Float64Array(base.numel());
    for (let j = 0; j < num.length; j++) {
      const d = base.dataSync() as Float64Array;
      const at = (v: number) => { const e = Float64Array.from(d); e[j] = v; tf.noGrad(() => rates[0].copy_(tf.tensor(e, { shape: base.shape, dtype: f64 }))); return tf.tidy(() => fdp.fdpLoss(net.predict(y, t, 'second'), x0, net.sde, 'code', t).item()); };
      num[j] = (at(d[j] + 1e-6) - at(d[j] - 1e-6)) / 2e-6;
      tf.noGrad(() => rates[0].copy_(base));
    }
    expectClose(g!.dataSync(), num, 1e-6, 1e-5, 'meta-SGD rates');
  });

  test('first order: the gradient is the sum over samples of the outer gradient at the adapted parameters, and differs from second order', () => {
    const net = small();
    const y = tf.randn([3, 1, 8], { dtype: f64 }), x0 = tf.randn([3, 1, 8], { dtype: f64 }), t = [0.2, 0.5, 0.9];
    const params = net.inr.flatParams();
    const first = tf.autograd.grad(fdp.fdpLoss(net.predict(y, t, 'first'), x0, net.sde, 'code', t), params);
    const phi = net.adapt(y, t, 'first').map((p) => p.detach().requiresGrad_());
    const atPhi = tf.autograd.grad(fdp.fdpLoss(net.readWith(phi, t, [8]), x0, net.sde, 'code', t), phi);
    first.forEach((g, i) => expectClose(g!.dataSync(), atPhi[i]!.sum(0).reshape(params[i].shape).dataSync(), 1e-10, 1e-8, `param ${i}`));
    const second = tf.autograd.grad(fdp.fdpLoss(net.predict(y, t, 'second'), x0, net.sde, 'code', t), params);
    const diff = second.reduce((s, g, i) => s + g!.sub(first[i]!).abs().sum().item(), 0);
    expect(diff).toBeGreaterThan(1e-6);
  });

  test('the inner steps lower the inner loss of each sample (gradient descent on the noisy observation)', () => {
    const net = small({ innerClip: 1, innerLr: 0.05 });
    const y = tf.randn([2, 1, 8], { dtype: f64 }), t = [0.4, 0.4];
    const before = fdp.spectralSquaredError(net.readWith(net.inr.flatParams(), t, [8]), y, net.sde, null).dataSync();
    const after = fdp.spectralSquaredError(net.predict(y, t, 'first'), y, net.sde, null).dataSync();
    for (let s = 0; s < 2; s++) expect(after[s]).toBeLessThan(before[s]);
  });

  test("'inference' adapts to the same parameters as 'first', holds no graph to the shared weights, and peaks lower", () => {
    // plain and meta-SGD: the same arithmetic, so the adapted parameters agree to the bit
    for (const metaSgd of [false, true]) {
      const net = small({ metaSgd });
      const y = tf.randn([3, 1, 8], { dtype: f64 }), t = [0.1, 0.5, 0.9];
      const a = net.adapt(y, t, 'first'), b = net.adapt(y, t, 'inference');
      a.forEach((p, i) => expect(Array.from(b[i].dataSync())).toEqual(Array.from(p.dataSync())));
      expect(b.every((p) => !p.requiresGrad)).toBe(true);
    }
    // the sampler's case at a size where the saved activations dominate: the peak of one adaptation
    tf.manualSeed(3);
    const sde = new fdp.HeatSDE({ grid: [16, 16] });
    const big = new fdp.FdpDenoiser({ grid: [16, 16], channels: 1, hidden: 32, layers: 4 }, sde);
    const y = tf.randn([16, 1, 16, 16]), t = new Array(16).fill(0.3);
    const peakOf = (order: fdp.InnerOrder) => {
      tf.resetPeakMemory();
      const base = tf.memory().bytes;
      tf.tidy(() => { big.predict(y, t, order).sum().item(); });
      return tf.memory().peakBytes - base;
    };
    const first = peakOf('first'), inference = peakOf('inference');
    // 'first' keeps all 3 steps' forward graphs until the read-out is done; 'inference' about one step's
    expect(inference).toBeLessThan(0.6 * first);
  });
});

describe('sampler, read-out grids and the CLI method', () => {
  test('sampleFdp returns finite functions on the grid and the read-out grid; the first point of the 4x grid is the grid read-out', () => {
    tf.manualSeed(8);
    const sde = new fdp.HeatSDE({ grid: [16] });
    const net = new fdp.FdpDenoiser({ grid: [16], channels: 1, hidden: 8, layers: 2 }, sde);
    const r = fdp.sampleFdp(net, 3, { steps: 3, factor: 1, readGrid: [64] });
    expect(r.x.shape).toEqual([3, 1, 16]);
    expect(r.readOut!.shape).toEqual([3, 1, 64]);
    expect(r.nfe).toBe(3 * 3 + 1);
    const x = r.x.dataSync(), f = r.readOut!.dataSync();
    expect(Array.from(x).every(Number.isFinite)).toBe(true);
    for (let s = 0; s < 3; s++) for (let j = 0; j < 16; j++) expect(Math.abs(f[s * 64 + 4 * j] - x[s * 16 + j])).toBeLessThan(1e-5);
  });

  test("CLI method 'fdp' trains a few steps on points and on images and samples the item shape", () => {
    tf.manualSeed(9);
    const m = getMethod('fdp');
    for (const spec of [{ name: 'p', kind: 'points' as const, itemShape: [16] }, { name: 'i', kind: 'images' as const, itemShape: [1, 6, 6] }]) {
      const run = m.create(spec, resolveOptions(m, { hidden: 8, layers: 2, sampleSteps: 2 }));
      for (let s = 0; s < 2; s++) expect(Number.isFinite(run.trainStep(tf.randn([4, ...spec.itemShape]), s))).toBe(true);
      const { x } = run.sample(2);
      expect(x.shape).toEqual([2, ...spec.itemShape]);
    }
    expectCode(() => m.create({ name: 'c', kind: 'counts', itemShape: [4], maxCount: 3 }, resolveOptions(m, {})), 'TF_INVALID_ARGUMENT');
  });

  test('tensorfield train --method fdp --data bandlimited64: trains, checkpoints, samples, resumes; no option shadows a train flag', async () => {
    for (const k of Object.keys(fdp.fdpMethod.options)) expect([k, k in TRAIN_FLAGS]).toEqual([k, false]);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-fdp-'));
    try {
      const quiet = () => undefined;
      const opts = ['--method', 'fdp', '--data', 'bandlimited64', '--batch', '8', '--hidden', '8', '--layers', '1', '--samples', '4', '--sampleSteps', '2', '--ckpt-every', '2', '--out', tmp];
      expect((await trainCommand([...opts, '--steps', '3'], quiet)).steps).toBe(3);
      expect(fs.existsSync(path.join(tmp, 'checkpoint.safetensors'))).toBe(true);
      expect((await trainCommand([...opts, '--steps', '5', '--resume'], quiet)).steps).toBe(5);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('bad input is a TF_ error', () => {
    expectCode(() => new fdp.HeatSDE({ grid: [1] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new fdp.HeatSDE({ grid: [4, 4, 4] }), 'TF_INVALID_ARGUMENT');
    expectCode(() => new fdp.HeatSDE({ grid: [8], betaMin: 6 }), 'TF_INVALID_ARGUMENT');
    const sde = new fdp.HeatSDE({ grid: [8] });
    expectCode(() => sde.marginal(tf.zeros([2, 1, 9]), [0.1, 0.2]), 'TF_SHAPE_MISMATCH');
    expectCode(() => sde.marginal(tf.zeros([2, 1, 8]), [0.1]), 'TF_SHAPE_MISMATCH');
    expectCode(() => sde.marginal(tf.zeros([1, 1, 8]), [1.5]), 'TF_INVALID_ARGUMENT');
    expectCode(() => sde.transition(tf.zeros([1, 1, 8]), 0.5, 0.2), 'TF_INVALID_ARGUMENT');
    expectCode(() => new fdp.FdpDenoiser({ grid: [9], channels: 1, hidden: 4, layers: 1 }, sde), 'TF_INVALID_ARGUMENT');
    expectCode(() => new fdp.FdpDenoiser({ grid: [8], channels: 0, hidden: 4, layers: 1 }, sde), 'TF_INVALID_ARGUMENT');
    const net = new fdp.FdpDenoiser({ grid: [8], channels: 1, hidden: 4, layers: 1 }, sde);
    expectCode(() => new fdp.FdpTrainer(net, { lr: 1e-3, warmup: 0, decaySteps: 10, order: 'inference' }), 'TF_INVALID_ARGUMENT');
    expectCode(() => fdp.sampleFdp(net, 0), 'TF_INVALID_ARGUMENT');
    expectCode(() => fdp.sampleFdp(net, 1, { steps: 0 }), 'TF_INVALID_ARGUMENT');
    expectCode(() => net.readWith(net.inr.flatParams(), [0.5], [4, 4]), 'TF_INVALID_ARGUMENT');
    const yin = new fdp.FdpDenoiser({ grid: [8], channels: 1, hidden: 4, layers: 1, yInput: true }, sde);
    expectCode(() => yin.predict(tf.zeros([1, 1, 8]), [0.5], 'first', [32]), 'TF_INVALID_ARGUMENT');
    expectCode(() => fdp.fdpLoss(tf.zeros([1, 1, 8]), tf.zeros([1, 1, 8]), sde, 'bogus' as fdp.FdpWeighting, [0.5]), 'TF_INVALID_ARGUMENT');
    expectCode(() => new tf.nn.GaborINR({ inDim: 0, outDim: 1, hidden: 2, layers: 1 }), 'TF_INVALID_ARGUMENT');
  });
});
