// Function transforms (func.jvp / vjp / jacobian / hvp / divergence) on closed-form cases, whole-network
// JVPs, and their input errors.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { arr, expectClose, expectCode, jvpcheck, randn64 } from './helpers';

beforeAll(() => tf.manualSeed(5));
const f64 = (x: tf.NestedArray) => tf.tensor(x, { dtype: 'float64' });

describe('jvp', () => {
  test('several primals and outputs; outputs independent of the primals get zero tangents', () => {
    const a = f64([1, 2]), b = f64([3, 4]), ta = f64([1, 0]), tb = f64([0, 1]);
    const c = f64([5, 6]);
    const [[p, q, r], [tp, tq, tr]] = tf.func.jvp((x, y) => [x.mul(y), x.sum(), c.mul(2)], [a, b], [ta, tb]);
    expect(arr(p)).toEqual([3, 8]);
    expect(arr(tp)).toEqual([3, 2]);  // d(xy) = dx y + x dy
    expect(q.item()).toBe(3);
    expect(tq.item()).toBe(1);
    expect(arr(r)).toEqual([10, 12]);
    expect(arr(tr)).toEqual([0, 0]);
  });
  test('tangents do not leak out of the level', () => {
    const x = f64([1, 2]);
    let kept: Tensor | null = null;
    tf.func.jvp((d) => { kept = d.mul(3); return kept; }, x, f64([1, 1]));
    // a tensor kept from an old jvp contributes nothing to a new one
    const [, [t]] = tf.func.jvp((d) => d.add(kept!), f64([0, 0]), f64([1, 1]));
    expect(arr(t)).toEqual([1, 1]);
  });
  test('reverse mode through a JVP: d/dw of the tangent', () => {
    const w = f64([2]).requiresGrad_();
    const [, [t]] = tf.func.jvp((x) => x.mul(w).exp(), f64([1]), f64([1]));  // t = w exp(w x)
    const [g] = tf.autograd.grad(t.sum(), [w]);                               // d t / dw = (1 + w x) exp(w x)
    expectClose(arr(g!), [3 * Math.exp(2)], 1e-12, 1e-12);
  });
  test('bad tangents are clear errors', () => {
    expectCode(() => tf.func.jvp((x) => x, f64([1, 2]), f64([1])), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.func.jvp((x) => x, f64([1, 2]), tf.tensor([1, 2])), 'TF_DTYPE');
    expectCode(() => tf.func.jvp((x) => x, [f64([1])], []), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.func.jvp((x) => tf.func.jvp((y) => y, x, x)[0][0], f64([1]), f64([1])), 'TF_AUTOGRAD');
    // the level is closed after an error: a new jvp works
    expect(arr(tf.func.jvp((x) => x.mul(2), f64([1]), f64([1]))[1][0])).toEqual([2]);
  });
  test('in-place update of a dual tensor is refused', () => {
    expectCode(() => tf.func.jvp((x) => tf.noGrad(() => x.add_(1)), f64([1]), f64([1])), 'TF_INPLACE');
  });
});

describe('vjp, jacobian, hvp', () => {
  const A = f64([[1, 2, 0], [0, -1, 3]]);
  const f = (x: Tensor) => A.matmul(x.tanh());  // J = A diag(1 - tanh^2 x)
  const x0 = f64([0.3, -0.2, 0.5]);
  const Jexact = () => {
    const d = arr(x0).map((v) => 1 - Math.tanh(v) ** 2);
    return [[1 * d[0], 2 * d[1], 0], [0, -1 * d[1], 3 * d[2]]];
  };
  test('vjp gives J^T u', () => {
    const [[y], back] = tf.func.vjp(f, x0);
    expect(y.shape).toEqual([2]);
    const [g] = back(f64([1, -1]));
    const J = Jexact();
    expectClose(arr(g), [0, 1, 2].map((i) => J[0][i] - J[1][i]), 1e-14);
  });
  test('jacobian in forward and reverse mode equals the closed form', () => {
    const J = Jexact().flat();
    expectClose(arr(tf.func.jacobian(f, x0)), J, 1e-14);
    expectClose(arr(tf.func.jacobian(f, x0, { mode: 'forward' })), J, 1e-14);
    expect(tf.func.jacobian(f, x0).shape).toEqual([2, 3]);
  });
  test('hvp of a quadratic form is A v; of a general function, finite differences of the gradient', () => {
    const M = f64([[2, 1], [1, 3]]);
    const hv = tf.func.hvp((x) => x.matmul(M).matmul(x).mul(0.5), f64([0.7, -1.1]), f64([1, 2]));
    expectClose(arr(hv), [4, 7], 1e-14);
    const g = (x: Tensor) => x.sin().mul(x.exp()).sum();
    const x = f64([0.1, 0.4, -0.3]), v = f64([1, -2, 0.5]);
    const eps = 1e-6;
    const gradAt = (z: Tensor) => { const zz = z.detach().requiresGrad_(); return tf.autograd.grad(g(zz), [zz])[0]!; };
    const fd = gradAt(x.add(v.mul(eps))).sub(gradAt(x.sub(v.mul(eps)))).div(2 * eps);
    expectClose(arr(tf.func.hvp(g, x, v)), arr(fd), 1e-8);
  });
});

describe('divergence', () => {
  test('exact divergence equals the trace of the Jacobian per sample', () => {
    const W = randn64(3, 3);
    const field = (x: Tensor) => x.matmul(W).tanh().mul(x);
    const x = randn64(4, 3);
    const div = arr(tf.func.divergence(field, x, { method: 'exact' }));
    for (let b = 0; b < 4; b++) {
      const J = arr(tf.func.jacobian(field as (x: Tensor) => Tensor, x.select(0, b).unsqueeze(0)));  // [1,3,1,3]
      expect(Math.abs(div[b] - (J[0] + J[4] + J[8]))).toBeLessThan(1e-12);
    }
  });
  test('Hutchinson is unbiased: for a linear field its mean over probes approaches trace(A)', () => {
    const A = randn64(6, 6);
    const trace = arr(A).filter((_, i) => i % 7 === 0).reduce((s, v) => s + v, 0);
    const x = randn64(1, 6);
    const est = tf.func.divergence((z) => z.matmul(A.T), x, { method: 'hutchinson', probes: 4000 }).item();
    // Rademacher: Var[e^T A e] = sum_{i != j} (A_ij^2 + A_ij A_ji); the mean over P probes has std sqrt(Var/P)
    const a = arr(A);
    let v = 0;
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) if (i !== j) v += a[i * 6 + j] ** 2 + a[i * 6 + j] * a[j * 6 + i];
    expect(Math.abs(est - trace)).toBeLessThan(5 * Math.sqrt(v / 4000));
  });
});

describe('whole networks', () => {
  test('MLP with time embedding, SiLU, GELU, softmax attention-like mixing: JVP = FD = double VJP', () => {
    const W1 = randn64(6, 16).mul(0.4), W2 = randn64(16, 16).mul(0.3), W3 = randn64(16, 4).mul(0.3);
    const freqs = tf.arange(0, 2, 1, { dtype: 'float64' }).mul(-1).exp();
    const norm = (h: Tensor) => h.sub(h.mean(-1, true)).div(h.var(-1, { keepdim: true, correction: 0 }).add(1e-5).sqrt());
    const net2 = (x: Tensor, t: Tensor) => {
      const ang = t.unsqueeze(1).mul(freqs);
      const h = tf.cat([x, ang.sin(), ang.cos()], 1).matmul(W1).silu();
      const att = h.matmul(h.T).div(4).softmax(-1).matmul(h);
      return norm(att.add(h).gelu().matmul(W2)).matmul(W3);
    };
    jvpcheck(net2, [randn64(5, 2), tf.rand([5], { dtype: 'float64' })], { label: 'mlp' });
  });
  test('small conv net with GroupNorm, SiLU, self-attention over pixels: JVP = FD = double VJP', () => {
    const C = 8, G = 4;
    const w1 = randn64(C, 2, 3, 3).mul(0.3), w2 = randn64(C, C, 3, 3).mul(0.1), wq = randn64(C, C).mul(0.3);
    const wk = randn64(C, C).mul(0.3), wv = randn64(C, C).mul(0.3), wo = randn64(2, C, 1, 1).mul(0.3);
    const gamma = randn64(C).mul(0.1).add(1), beta = randn64(C).mul(0.1), temb = randn64(1, C);
    const groupNorm = (h: Tensor) => {
      const [N, Ch, Hh, Ww] = h.shape;
      const g = h.reshape(N, G, -1);
      const y = g.sub(g.mean(-1, true)).div(g.var(-1, { keepdim: true, correction: 0 }).add(1e-5).sqrt());
      return y.reshape(N, Ch, Hh, Ww).mul(gamma.reshape(1, -1, 1, 1)).add(beta.reshape(1, -1, 1, 1));
    };
    const attention = (h: Tensor) => {
      const [N, Ch, Hh, Ww] = h.shape;
      const tok = h.reshape(N, Ch, Hh * Ww).transpose(1, 2);                   // [N, HW, C]
      const q = tok.matmul(wq), k = tok.matmul(wk), v = tok.matmul(wv);
      const a = q.matmul(k.transpose(1, 2)).div(Math.sqrt(Ch)).softmax(-1).matmul(v);
      return a.transpose(1, 2).reshape(N, Ch, Hh, Ww);
    };
    const net = (x: Tensor, t: Tensor) => {
      let h = tf.conv2d(x, w1, { padding: 1 });
      h = groupNorm(h.add(t.reshape(-1, 1, 1, 1).mul(temb.reshape(1, C, 1, 1)))).silu();
      h = h.add(attention(h));
      h = groupNorm(tf.conv2d(h, w2, { padding: 1, stride: 2 })).silu();
      return tf.conv2d(h, wo);
    };
    jvpcheck(net, [randn64(2, 2, 6, 6), tf.rand([2], { dtype: 'float64' })], { label: 'convnet' });
  });
});
