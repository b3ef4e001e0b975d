// Float64 central-difference gradient checks for every differentiable op, including broadcasting and views.
// Inputs avoid the kinks of non-smooth ops (|x| > 0.1 around 0 for relu/abs, no ties for max/min), where
// a finite difference is meaningless.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { gradcheck, randn64 } from './helpers';

beforeAll(() => tf.manualSeed(1234));

/** randn, pushed away from 0 by at least `gap` (keeps finite differences off kinks). */
function awayFromZero(shape: number[], gap = 0.2): Tensor {
  return tf.noGrad(() => {
    const x = randn64(...shape);
    return x.add(x.sign().mul(gap)).add(x.eq(0).double().mul(gap));
  });
}
function positive(shape: number[]): Tensor { return tf.noGrad(() => tf.rand(shape, { dtype: 'float64' }).add(0.5)); }

describe('unary ops', () => {
  const cases: [string, (x: Tensor) => Tensor, () => Tensor][] = [
    ['neg', (x) => x.neg(), () => randn64(3, 4)],
    ['exp', (x) => x.exp(), () => randn64(3, 4)],
    ['log', (x) => x.log(), () => positive([3, 4])],
    ['log1p', (x) => x.log1p(), () => positive([3, 4])],
    ['expm1', (x) => x.expm1(), () => randn64(3, 4)],
    ['sqrt', (x) => x.sqrt(), () => positive([3, 4])],
    ['rsqrt', (x) => x.rsqrt(), () => positive([3, 4])],
    ['abs', (x) => x.abs(), () => awayFromZero([3, 4])],
    ['sin', (x) => x.sin(), () => randn64(3, 4)],
    ['cos', (x) => x.cos(), () => randn64(3, 4)],
    ['tanh', (x) => x.tanh(), () => randn64(3, 4)],
    ['sigmoid', (x) => x.sigmoid(), () => randn64(3, 4)],
    ['relu', (x) => x.relu(), () => awayFromZero([3, 4])],
    ['leakyRelu', (x) => x.leakyRelu(0.1), () => awayFromZero([3, 4])],
    ['elu', (x) => x.elu(0.7), () => awayFromZero([3, 4])],
    ['silu', (x) => x.silu(), () => randn64(3, 4)],
    ['gelu', (x) => x.gelu(), () => randn64(3, 4)],
    ['gelu tanh', (x) => x.gelu('tanh'), () => randn64(3, 4)],
    ['softplus', (x) => x.softplus(2, 5), () => randn64(3, 4).mul(2)],
    ['clamp', (x) => x.clamp(-0.5, 0.7), () => tf.tensor([-2, -0.9, -0.3, 0.1, 0.4, 0.9, 1.5], { dtype: 'float64' })],
    ['erf', (x) => x.erf(), () => randn64(3, 4)],
    ['reciprocal', (x) => x.reciprocal(), () => positive([3, 4])],
    ['square', (x) => x.square(), () => randn64(3, 4)],
    ['pow scalar 3', (x) => x.pow(3), () => randn64(3, 4)],
    ['pow scalar -1.5', (x) => x.pow(-1.5), () => positive([3, 4])],
    ['pow scalar 0', (x) => x.pow(0), () => randn64(3)],
  ];
  test.each(cases)('%s', (name, f, mk) => gradcheck(f, [mk()], { label: name }));
});

describe('binary ops with broadcasting', () => {
  const shapes: [number[], number[]][] = [[[3, 4], [3, 4]], [[3, 1, 4], [2, 4]], [[4], [3, 4]], [[], [2, 3]], [[2, 3], []]];
  for (const [sa, sb] of shapes) {
    const tag = `[${sa}] x [${sb}]`;
    test(`add ${tag}`, () => gradcheck((a, b) => a.add(b), [randn64(...sa), randn64(...sb)]));
    test(`sub ${tag}`, () => gradcheck((a, b) => a.sub(b), [randn64(...sa), randn64(...sb)]));
    test(`mul ${tag}`, () => gradcheck((a, b) => a.mul(b), [randn64(...sa), randn64(...sb)]));
    test(`div ${tag}`, () => gradcheck((a, b) => a.div(b), [randn64(...sa), positive(sb)]));
    test(`pow ${tag}`, () => gradcheck((a, b) => a.pow(b), [positive(sa), randn64(...sb)]));
    test(`maximum ${tag}`, () => gradcheck((a, b) => tf.maximum(a, b), [randn64(...sa), randn64(...sb)]));
    test(`minimum ${tag}`, () => gradcheck((a, b) => tf.minimum(a, b), [randn64(...sa), randn64(...sb)]));
  }
  test('scalar operands', () => {
    gradcheck((a) => a.mul(3).add(1).div(2).sub(0.5), [randn64(5)]);
    gradcheck((a) => tf.sub(2, a), [randn64(5)]);
    gradcheck((a) => tf.div(1, a), [positive([5])]);
  });
  test('where with broadcasting', () => {
    const cond = tf.tensor([[1, 0, 1, 0]], { dtype: 'uint8' });
    gradcheck((a, b) => tf.where(cond, a, b), [randn64(3, 4), randn64(3, 1)]);
  });
  test('a tensor used twice', () => gradcheck((a) => a.mul(a).add(a.exp()), [randn64(3, 2)]));
});

describe('reductions', () => {
  test('sum / mean over dims', () => {
    gradcheck((x) => x.sum(), [randn64(3, 4)]);
    gradcheck((x) => x.sum(1), [randn64(3, 4, 2)]);
    gradcheck((x) => x.sum([0, 2], true), [randn64(3, 4, 2)]);
    gradcheck((x) => x.mean(-1), [randn64(3, 4)]);
    gradcheck((x) => x.mean([0, 2]), [randn64(3, 4, 2)]);
  });
  test('var / std', () => {
    gradcheck((x) => x.var(1), [randn64(3, 5)]);
    gradcheck((x) => x.var(null, { correction: 0 }), [randn64(3, 5)]);
    gradcheck((x) => x.std([0, 1], { keepdim: true }), [randn64(3, 5, 2)]);
  });
  test('amax / amin / max(dim) / min(dim)', () => {
    gradcheck((x) => x.amax(1), [randn64(4, 6)]);
    gradcheck((x) => x.amin([0, 1], true), [randn64(4, 6)]);
    gradcheck((x) => x.max(0).values, [randn64(4, 6)]);
    gradcheck((x) => x.min(-1, true).values, [randn64(4, 6)]);
    gradcheck((x) => x.max(), [randn64(4, 6)]);
  });
  test('logsumexp', () => {
    gradcheck((x) => x.logsumexp(1), [randn64(3, 5)]);
    gradcheck((x) => x.logsumexp([0, 1], true), [randn64(3, 5)]);
  });
  test('norm p = 1, 2, 3, inf', () => {
    gradcheck((x) => x.norm(2), [randn64(3, 4)]);
    gradcheck((x) => x.norm(1, 1), [awayFromZero([3, 4])]);
    gradcheck((x) => x.norm(3, 0, true), [awayFromZero([3, 4])]);
    gradcheck((x) => x.norm(Infinity, 1), [randn64(3, 4)]);
  });
  test('cumsum', () => {
    gradcheck((x) => x.cumsum(1), [randn64(3, 5)]);
    gradcheck((x) => x.cumsum(0), [randn64(4, 2, 3)]);
  });
  test('softmax / logSoftmax over each dim', () => {
    for (const d of [0, 1, -1]) {
      gradcheck((x) => x.softmax(d), [randn64(3, 4, 5)], { label: `softmax ${d}` });
      gradcheck((x) => x.logSoftmax(d), [randn64(3, 4, 5)], { label: `logSoftmax ${d}` });
    }
  });
});

describe('matmul', () => {
  test('2-D', () => gradcheck((a, b) => a.matmul(b), [randn64(3, 4), randn64(4, 5)]));
  test('batched with broadcasting', () => gradcheck((a, b) => a.matmul(b), [randn64(2, 1, 3, 4), randn64(3, 4, 2)]));
  test('vector cases', () => {
    gradcheck((a, b) => a.matmul(b), [randn64(4), randn64(4)]);
    gradcheck((a, b) => a.matmul(b), [randn64(4), randn64(2, 4, 3)]);
    gradcheck((a, b) => a.matmul(b), [randn64(2, 3, 4), randn64(4)]);
  });
  test('transposed operands', () => gradcheck((a, b) => a.T.matmul(b.T), [randn64(4, 3), randn64(5, 4)]));
});

describe('views', () => {
  test('reshape / view / flatten', () => {
    gradcheck((x) => x.reshape(6, 2).mul(tf.arange(12, undefined, 1, { dtype: 'float64' }).reshape(6, 2)), [randn64(3, 4)]);
    gradcheck((x) => x.view(-1), [randn64(3, 4)]);
    gradcheck((x) => x.flatten(1), [randn64(2, 3, 4)]);
  });
  test('permute / transpose then reshape (non-contiguous)', () => {
    gradcheck((x) => x.permute(2, 0, 1).reshape(4, 6), [randn64(2, 3, 4)]);
    gradcheck((x) => x.transpose(0, 1).exp(), [randn64(3, 4)]);
  });
  test('expand', () => {
    const w = randn64(3, 2, 4);
    gradcheck((x) => x.expand(3, 2, 4).mul(w), [randn64(2, 1)]);
  });
  test('slice with steps / narrow / select', () => {
    gradcheck((x) => x.slice(1, 1, 6, 2), [randn64(3, 7)]);
    gradcheck((x) => x.slice(0, -2), [randn64(4, 3)]);
    gradcheck((x) => x.narrow(1, 2, 3), [randn64(3, 7)]);
    gradcheck((x) => x.select(0, 1), [randn64(3, 7)]);
  });
  test('squeeze / unsqueeze', () => {
    gradcheck((x) => x.squeeze(1).unsqueeze(0), [randn64(3, 1, 4)]);
    gradcheck((x) => x.squeeze(), [randn64(1, 3, 1)]);
  });
  test('contiguous / clone', () => {
    gradcheck((x) => x.T.contiguous(), [randn64(3, 4)]);
    gradcheck((x) => x.clone().mul(x), [randn64(3, 4)]);
  });
  test('detach stops the gradient: d/dx sum(x * detach(x)) = x', () => {
    const x = randn64(3, 4).requiresGrad_();
    const [g] = tf.autograd.grad(x.mul(x.detach()).sum(), [x]);
    expect(Array.from(g!.data())).toEqual(Array.from(x.data()));
  });
});

describe('joining and indexing', () => {
  test('cat / stack', () => {
    gradcheck((a, b) => tf.cat([a, b, a], 1), [randn64(2, 3), randn64(2, 1)]);
    gradcheck((a, b) => tf.stack([a, b], 1), [randn64(2, 3), randn64(2, 3)]);
  });
  test('gather / scatterAdd', () => {
    const idx = tf.tensor([[0, 2, 2], [1, 0, 3]], { dtype: 'int32' });
    gradcheck((x) => x.gather(1, idx), [randn64(2, 4)]);
    gradcheck((x, s) => x.scatterAdd(1, idx, s), [randn64(2, 4), randn64(2, 3)]);
  });
  test('indexSelect / indexAdd', () => {
    const idx = tf.tensor([2, 0, 2], { dtype: 'int32' });
    gradcheck((x) => x.indexSelect(0, idx), [randn64(4, 3)]);
    gradcheck((x, s) => x.indexAdd(1, idx, s), [randn64(2, 4), randn64(2, 3)]);
  });
  test('pad: constant, reflect, replicate, circular', () => {
    gradcheck((x) => tf.pad(x, [1, 2, 0, 1]), [randn64(2, 3, 4)]);
    gradcheck((x) => tf.pad(x, [-1, 1], 'constant', 0.5), [randn64(3, 4)]);
    gradcheck((x) => tf.pad(x, [2, 1, 1, 2], 'reflect'), [randn64(2, 4, 4)]);
    gradcheck((x) => tf.pad(x, [2, 1], 'replicate'), [randn64(2, 3)]);
    gradcheck((x) => tf.pad(x, [1, 2, 2, 1], 'circular'), [randn64(3, 4)]);
  });
  test('flip / roll / repeat', () => {
    gradcheck((x) => x.flip([0, 2]), [randn64(2, 3, 4)]);
    gradcheck((x) => x.roll([1, -2], [0, 1]), [randn64(3, 4)]);
    gradcheck((x) => x.roll(5), [randn64(3, 4)]);
    gradcheck((x) => x.repeat(2, 1, 3), [randn64(3, 2)]);
  });
});

describe('dtype conversion', () => {
  test('float64 -> float32 -> float64 passes gradients (at float32 precision)', () => {
    // f is linear, so a large step is exact up to float32 rounding: |err| <= 2 * 2^-24 * |x| / eps ~ 1e-5
    gradcheck((x) => x.to('float32').mul(2).to('float64'), [randn64(3)], { eps: 1e-2, atol: 1e-4, rtol: 1e-4 });
  });
});
