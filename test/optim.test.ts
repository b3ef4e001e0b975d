// Optimizers against direct JS implementations of PyTorch's update rules, plus clipping, schedules, EMA.
import * as tf from '../lib';
import { Tensor, nn, optim } from '../lib';
import { arr, expectClose, expectCode } from './helpers';

function quadLoss(p: Tensor, target: number[]): Tensor { return p.sub(tf.tensor(target, { dtype: p.dtype })).square().sum(); }

describe('updates match the reference formulas', () => {
  const p0 = [0.5, -1.5, 2.0], target = [1, 2, -3];
  const grads = (p: number[]) => p.map((v, i) => 2 * (v - target[i]));

  test('SGD with momentum, dampening, weight decay and Nesterov', () => {
    for (const nesterov of [false, true]) {
      const p = tf.tensor(p0, { dtype: 'float64', requiresGrad: true });
      const opt = new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: nesterov ? 0 : 0.1, weightDecay: 0.01, nesterov });
      const ref = [...p0];
      let buf: number[] | null = null;
      for (let s = 0; s < 5; s++) {
        opt.zeroGrad();
        quadLoss(p, target).backward();
        opt.step();
        const d = grads(ref).map((g, i) => g + 0.01 * ref[i]);
        buf = buf === null ? d : buf.map((b, i) => 0.9 * b + (1 - (nesterov ? 0 : 0.1)) * d[i]);
        const upd = nesterov ? d.map((x, i) => x + 0.9 * buf![i]) : buf;
        for (let i = 0; i < 3; i++) ref[i] -= 0.1 * upd[i];
      }
      expectClose(arr(p), ref, 1e-14, 1e-12);
    }
  });

  test.each([['Adam', false], ['AdamW', true]] as const)('%s', (_name, decoupled) => {
    const p = tf.tensor(p0, { dtype: 'float64', requiresGrad: true });
    const opt = decoupled ? new optim.AdamW([p], { lr: 0.05, weightDecay: 0.1 }) : new optim.Adam([p], { lr: 0.05, weightDecay: 0.1 });
    const ref = [...p0], m = [0, 0, 0], v = [0, 0, 0];
    for (let t = 1; t <= 6; t++) {
      opt.zeroGrad();
      quadLoss(p, target).backward();
      opt.step();
      let g = grads(ref);
      if (decoupled) for (let i = 0; i < 3; i++) ref[i] -= 0.05 * 0.1 * ref[i];
      else g = g.map((x, i) => x + 0.1 * ref[i]);
      for (let i = 0; i < 3; i++) {
        m[i] = 0.9 * m[i] + 0.1 * g[i];
        v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
        const denom = Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8;
        ref[i] -= (0.05 / (1 - 0.9 ** t)) * m[i] / denom;
      }
    }
    expectClose(arr(p), ref, 1e-14, 1e-12);
  });

  test('float32 Adam drives a small regression to its optimum', () => {
    tf.manualSeed(3);
    const model = new nn.Linear(4, 1);
    const opt = new optim.Adam(model.parameters(), { lr: 0.05 });
    const w = tf.tensor([[1], [-2], [0.5], [3]]);
    let last = Infinity;
    for (let s = 0; s < 300; s++) {
      last = tf.tidy(() => {
        const x = tf.randn([64, 4]);
        const l = model.forward(x).sub(x.matmul(w).add(0.7)).square().mean();
        opt.zeroGrad();
        l.backward();
        opt.step();
        return l.item();
      });
    }
    expect(last).toBeLessThan(1e-4);
    expectClose(arr(model.bias!), [0.7], 1e-2);
  });

  test('parameters without gradients are skipped; bad state is an error', () => {
    const a = tf.zeros([2], { requiresGrad: true }), b = tf.zeros([2], { requiresGrad: true });
    const opt = new optim.Adam([a, b], { lr: 0.1 });
    a.mul(2).sum().backward();
    opt.step();
    expect(arr(b)).toEqual([0, 0]);
    expect(arr(a).every((v) => v < 0)).toBe(true);
    expectCode(() => new optim.SGD([tf.zeros([1])], { lr: 1 }), 'TF_INVALID_ARGUMENT');
  });
});

describe('training utilities', () => {
  test('clipGradNorm scales to the max norm and returns the original norm', () => {
    const a = tf.zeros([2], { requiresGrad: true }), b = tf.zeros([1], { requiresGrad: true });
    a.grad = tf.tensor([3, 0]);
    b.grad = tf.tensor([4]);
    expect(optim.clipGradNorm([a, b], 1)).toBeCloseTo(5, 10);
    expectClose([...arr(a.grad!), ...arr(b.grad!)], [0.6, 0, 0.8], 1e-6);
    expect(optim.clipGradNorm([a, b], 10)).toBeCloseTo(1, 5);
  });
  test('schedules', () => {
    expect(optim.warmup(10)(0)).toBeCloseTo(0.1);
    expect(optim.warmup(10)(20)).toBe(1);
    expect(optim.cosine(100)(0)).toBe(1);
    expect(optim.cosine(100)(50)).toBeCloseTo(0.5);
    expect(optim.cosine(100, 0.1)(100)).toBeCloseTo(0.1);
    expect(optim.stepDecay(10, 0.5)(25)).toBe(0.25);
    const p = tf.zeros([1], { requiresGrad: true });
    const s = new optim.LRScheduler(new optim.SGD([p], { lr: 2 }), optim.warmupCosine(5, 105));
    expect(s.lr).toBeCloseTo(0.4);
    s.apply(55);
    expect(s.lr).toBeCloseTo(1);
  });
  test('EMA: fixed decay and the power-function profile', () => {
    const m = new nn.Linear(1, 1, { bias: false });
    tf.noGrad(() => m.weight.fill_(0));
    const ema = new optim.EMA(m, { decay: 0.5 });
    tf.noGrad(() => m.weight.fill_(1));
    ema.update();
    expect(ema.shadow.get('weight')!.item()).toBeCloseTo(0.5);
    const pw = new optim.EMA(m, { gamma: 7 });
    pw.update();
    expect(pw.decay()).toBe(0);  // (1 - 1/1)^8: the first step copies the weights
    pw.update();
    expect(pw.decay()).toBeCloseTo(0.5 ** 8);
    const target = new nn.Linear(1, 1, { bias: false });
    ema.copyTo(target);
    expect(target.weight.item()).toBeCloseTo(0.5);
  });
  test('inverse-sqrt schedule: lr / sqrt(max(t / t_ref, 1)), through LRScheduler', () => {
    const s = new optim.LRScheduler(new optim.SGD([tf.tensor([0], { requiresGrad: true })], { lr: 0.3 }), optim.inverseSqrt(100));
    for (const t of [0, 1, 99, 100, 101, 150, 400, 10000, 123457]) {
      s.apply(t);
      // the formula written out: constant up to t_ref, then 0.3 * sqrt(100 / t)
      const want = t <= 100 ? 0.3 : 0.3 * Math.sqrt(100 / t);
      expect(Math.abs(s.lr - want)).toBeLessThanOrEqual(1e-15);
    }
    s.apply(400);
    expect(s.lr).toBe(0.15);  // sqrt(4) = 2 exactly
    for (const bad of [0, -5, NaN, Infinity]) expectCode(() => optim.inverseSqrt(bad), 'TF_INVALID_ARGUMENT');
  });

  test('power-function EMA: sigma_rel -> gamma matches EDM2, and the EMA is the closed-form weighted average', () => {
    // EDM2 (Karras et al. 2024, sec. 3.1) quotes gamma = 16.97 for sigma_rel = 0.05 and 6.94 for 0.10.
    expect(optim.gammaOfSigmaRel(0.05)).toBeCloseTo(16.97, 2);
    expect(optim.gammaOfSigmaRel(0.10)).toBeCloseTo(6.94, 2);
    for (const sr of [0.025, 0.075, 0.2]) expect(Math.abs(optim.sigmaRelOfGamma(optim.gammaOfSigmaRel(sr)) - sr)).toBeLessThan(1e-12);
    expect(optim.gammaOfSigmaRel(optim.MAX_SIGMA_REL)).toBeLessThan(1e-9);
    for (const bad of [0, -0.1, 0.3, NaN]) expectCode(() => optim.gammaOfSigmaRel(bad), 'TF_INVALID_ARGUMENT');

    // A parameter that takes the values theta_1..theta_T; after T updates the shadow must be
    // sum_i w_i theta_i with w_i = (i^(g+1) - (i-1)^(g+1)) / T^(g+1) (the product of the betas telescopes).
    const gamma = optim.gammaOfSigmaRel(0.05), T = 300;
    const m = new nn.Linear(1, 1, { bias: false }).toDtype('float64');
    const theta = (i: number) => Math.sin(0.05 * i) + 0.01 * i;
    tf.noGrad(() => m.weight.fill_(123));  // the initial value must get weight 0
    const ema = new optim.EMA(m, { gamma });
    let want = 0;
    for (let i = 1; i <= T; i++) {
      tf.noGrad(() => m.weight.fill_(theta(i)));
      ema.update();
      want += (Math.pow(i / T, gamma + 1) - Math.pow((i - 1) / T, gamma + 1)) * theta(i);
    }
    // float64 recursion of 300 steps: rounding ~1e-16 per step; 1e-12 leaves room and is far below the 1e-2
    // difference a wrong exponent (gamma vs gamma + 1) makes here.
    expect(Math.abs(ema.shadow.get('weight')!.item() - want)).toBeLessThan(1e-12);
    // the weights' spread over the run is sigma_rel * T (continuous profile; the discrete one is within 1 %)
    let mean = 0, sq = 0;
    for (let i = 1; i <= 10000; i++) { const w = Math.pow(i / 1e4, gamma + 1) - Math.pow((i - 1) / 1e4, gamma + 1); mean += w * i; sq += w * i * i; }
    expect(Math.abs(Math.sqrt(sq - mean * mean) / 1e4 - 0.05) / 0.05).toBeLessThan(0.01);
    m.dispose();
  });

  test('GroupedEMA: each group is the closed-form power average over its own updates; other groups stay put; apply() swaps and restores', () => {
    // Two float64 scalars in two groups; group 0 updates at every step, group 1 at every third (its count is
    // ceil(steps / 3)); each must equal sum_i w_i theta_i over ITS updates with the EDM2 weights of its own count.
    const gamma = 6.94, T = 90;
    class Two extends nn.Module {
      a = this.param('a', tf.tensor([5], { dtype: 'float64' }));
      b = this.param('b', tf.tensor([-7], { dtype: 'float64' }));
    }
    const m = new Two(), a = m.a, b = m.b;
    const ema = new optim.GroupedEMA(m, [['a'], ['b']], (g, steps) => (g === 0 ? steps : Math.ceil(steps / 3)), { gamma });
    const theta = (i: number) => Math.cos(0.1 * i) + 0.02 * i;
    const wts = (i: number, t: number) => Math.pow(i / t, gamma + 1) - Math.pow((i - 1) / t, gamma + 1);
    const tb: number[] = [];
    for (let s = 1; s <= T; s++) {
      tf.noGrad(() => { a.fill_(theta(s)); b.fill_(-theta(s)); });
      const both = s % 3 === 1;
      if (both) tb.push(-theta(s));
      ema.update(both ? [0, 1] : [0]);
      if (s === 1) expect(ema.shadow.get('b')!.item()).toBe(-theta(1));  // the first update copies
    }
    let wantA = 0, wantB = 0;
    for (let i = 1; i <= T; i++) wantA += wts(i, T) * theta(i);
    tb.forEach((v, k) => { wantB += wts(k + 1, tb.length) * v; });
    // float64 recursions of <= 90 steps (~1e-16 each); a count off by one moves these by > 1e-3
    expect(Math.abs(ema.shadow.get('a')!.item() - wantA)).toBeLessThan(1e-12);
    expect(Math.abs(ema.shadow.get('b')!.item() - wantB)).toBeLessThan(1e-12);
    expect(Math.abs(ema.decayAt(1))).toBe(0);
    // never-updated group: keeps the initial weights
    const fresh = new optim.GroupedEMA(m, [['a'], ['b']], (_g, steps) => steps, { gamma });
    fresh.update([0]);
    expect(fresh.shadow.get('b')!.item()).toBe(-theta(T));
    // apply(): the average inside, the trained weights back afterwards, also when the callback throws
    const inside = ema.apply(() => [a.item(), b.item()]);
    expect(inside).toEqual([ema.shadow.get('a')!.item(), ema.shadow.get('b')!.item()]);
    expect([a.item(), b.item()]).toEqual([theta(T), -theta(T)]);
    expect(() => ema.apply(() => { throw new Error('boom'); })).toThrow('boom');
    expect([a.item(), b.item()]).toEqual([theta(T), -theta(T)]);
    expectCode(() => ema.update([2]), 'TF_INVALID_ARGUMENT');
    expectCode(() => new optim.GroupedEMA(m, [['c']], (_g, s) => s, { gamma }), 'TF_INVALID_ARGUMENT');
  });

  test('gradient accumulation: k backward passes sum into .grad', () => {
    const p = tf.tensor([1, 2], { requiresGrad: true });
    for (let i = 0; i < 3; i++) p.mul(p).sum().div(3).backward();
    expectClose(arr(p.grad!), [2, 4], 1e-6);
  });
});

describe('non-finite gradients', () => {
  const make = () => {
    const a = tf.tensor([1, 2], { requiresGrad: true }), b = tf.tensor([3], { requiresGrad: true });
    return { a, b, params: [a, b] };
  };
  const snapshot = (opt: optim.Optimizer, ps: Tensor[]) => ({
    params: ps.map((p) => arr(p)),
    slots: [...opt.stateDict().tensors].map(([k, t]) => [k, arr(t)]),
    stepCount: opt.stepCount,
  });

  test('optimizer steps refuse non-finite gradients (TF_NON_FINITE) and change nothing', () => {
    for (const Opt of [optim.SGD, optim.Adam, optim.AdamW]) {
      const { a, b, params } = make();
      const opt = new Opt(params, { lr: 0.1, momentum: 0.9 } as never);
      a.grad = tf.tensor([0.5, 0.5]); b.grad = tf.tensor([1]);
      opt.step();  // slots exist now
      const before = snapshot(opt, params);
      for (const bad of [NaN, Infinity, -Infinity]) {
        a.grad = tf.tensor([0.5, bad]); b.grad = tf.tensor([1]);
        expect(() => opt.step()).toThrow(expect.objectContaining({ code: 'TF_NON_FINITE', message: expect.stringMatching(new RegExp(`${Opt.name}\\.step: 1 gradient\\(s\\) hold NaN or infinite .*skipNonFinite`)) }));
        expect(snapshot(opt, params)).toEqual(before);
      }
      expect(opt.skippedSteps).toBe(0);
    }
  });

  test('optimizer steps with { skipNonFinite: true } skip the step, leave parameters and state untouched, and count it', () => {
    for (const Opt of [optim.SGD, optim.Adam, optim.AdamW]) {
      const { a, b, params } = make();
      const opt = new Opt(params, { lr: 0.1, momentum: 0.9, skipNonFinite: true } as never);
      // a policy, not a hyperparameter: not in the groups (nor in checkpoint metadata)
      expect('skipNonFinite' in opt.groups[0]).toBe(false);
      a.grad = tf.tensor([0.5, 0.5]); b.grad = tf.tensor([1]);
      opt.step();
      const before = snapshot(opt, params);
      a.grad = tf.tensor([0.5, 0.5]); b.grad = tf.tensor([NaN]);
      opt.step();
      a.grad = tf.tensor([Infinity, 0.5]); b.grad = tf.tensor([1]);
      opt.step();
      expect(snapshot(opt, params)).toEqual(before);
      expect([opt.skippedSteps, opt.stepCount]).toEqual([2, 1]);
      // finite gradients step again; a sum that overflows float32 is not mistaken for a non-finite gradient
      a.grad = tf.tensor([3e38, 3e38]); b.grad = tf.tensor([3e38]);
      opt.step();
      expect([opt.skippedSteps, opt.stepCount]).toEqual([2, 2]);
    }
    expectCode(() => new optim.Adam(make().params, { skipNonFinite: 'yes' as never }), 'TF_INVALID_ARGUMENT');
  });

  test('clipGradNorm whose norm is NaN or infinite throws TF_NON_FINITE; finite gradients whose squares overflow get their true norm', () => {
    const { a, b, params } = make();
    a.grad = tf.tensor([3, NaN]); b.grad = tf.tensor([4]);
    expect(() => optim.clipGradNorm(params, 1)).toThrow(expect.objectContaining({ code: 'TF_NON_FINITE', message: expect.stringMatching(/clipGradNorm: 1 gradient\(s\) hold NaN/) }));
    b.grad = tf.tensor([Infinity]);
    expectCode(() => optim.clipGradNorm(params, 1), 'TF_NON_FINITE');
    // asked not to throw: NaN back, gradients left for an optimizer that skips the step
    expect(optim.clipGradNorm(params, 1, 1e-6, { errorIfNonFinite: false })).toBeNaN();
    expect(arr(b.grad!)).toEqual([Infinity]);
    a.grad = tf.tensor([3e20, 0]); b.grad = tf.tensor([4e20]);  // squares overflow float32, the norm does not
    expect(optim.clipGradNorm(params, 1) / 5e20).toBeCloseTo(1, 5);
    expectClose([...arr(a.grad!), ...arr(b.grad!)], [0.6, 0, 0.8], 1e-5);
  });
});
