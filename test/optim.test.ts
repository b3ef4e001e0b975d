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
  test('gradient accumulation: k backward passes sum into .grad', () => {
    const p = tf.tensor([1, 2], { requiresGrad: true });
    for (let i = 0; i < 3; i++) p.mul(p).sum().div(3).backward();
    expectClose(arr(p.grad!), [2, 4], 1e-6);
  });
});
