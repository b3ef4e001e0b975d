// Autograd behaviour: accumulation, graph retention, autograd.grad, higher order, grad modes, views, errors.
// (Per-op gradient formulas are checked numerically elsewhere.) Values are small and exact in float32 or
// float64, so most comparisons are exact or at 1e-6.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { expectClose, expectCode } from './helpers';

const flat = (t: Tensor | null): number[] => {
  if (!t) throw new Error('expected a tensor, got null');
  return Array.from(t.contiguous().data() as ArrayLike<number>);
};
const leaf = (v: number[], dtype: 'float32' | 'float64' = 'float64'): Tensor => tf.tensor(v, { dtype, requiresGrad: true });

afterEach(() => tf.setGradEnabled(true));

describe('.grad accumulation', () => {
  test('two backward calls add up; grad = null resets', () => {
    const x = leaf([1, 2, 3]);
    expect(x.grad).toBeNull();
    x.mul(x).sum().backward(); // 2x
    expect(flat(x.grad)).toEqual([2, 4, 6]);
    x.mul(3).sum().backward(); // + 3
    expect(flat(x.grad)).toEqual([5, 7, 9]);
    x.grad = null;
    expect(x.grad).toBeNull();
    x.mul(3).sum().backward();
    expect(flat(x.grad)).toEqual([3, 3, 3]);
  });

  test('the gradient keeps the leaf dtype and shape', () => {
    const x = tf.ones([2, 3], { dtype: 'float64', requiresGrad: true });
    x.sum().backward();
    expect(x.grad!.dtype).toBe('float64');
    expect(x.grad!.shape).toEqual([2, 3]);
    expect(x.grad!.requiresGrad).toBe(false);
  });

  test('a gradient can be set by hand, then accumulates onto it without changing the given tensor', () => {
    const x = leaf([1, 1]);
    const g0 = tf.tensor([10, 20], { dtype: 'float64' });
    x.grad = g0;
    x.mul(2).sum().backward();
    expect(flat(x.grad)).toEqual([12, 22]);
    expect(flat(g0)).toEqual([10, 20]);
    expectCode(() => { x.grad = tf.zeros([3], { dtype: 'float64' }); }, 'TF_SHAPE_MISMATCH');
  });

  test('backward with an explicit gradient copies it: later writes to it do not reach .grad', () => {
    const x = leaf([1, 2, 3]);
    const g = tf.tensor([1, 2, 3], { dtype: 'float64' });
    x.backward(g);
    expect(flat(x.grad)).toEqual([1, 2, 3]);
    g.fill_(7);
    expect(flat(x.grad)).toEqual([1, 2, 3]);
  });
});

describe('retainGraph', () => {
  test('a second backward needs retainGraph on the first', () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    y.backward(null, { retainGraph: true });
    y.backward();
    expect(flat(x.grad)).toEqual([4, 8]);
    expectCode(() => y.backward(), 'TF_AUTOGRAD');
    expect(flat(x.grad)).toEqual([4, 8]); // the failed call left .grad alone
  });

  test('without retainGraph the second backward throws TF_AUTOGRAD, also through autograd.grad', () => {
    const x = leaf([3]);
    const y = x.sin().mul(x).sum();
    y.backward();
    expectCode(() => y.backward(), 'TF_AUTOGRAD');
    expectCode(() => tf.autograd.grad(y, x), 'TF_AUTOGRAD');
    const z = x.exp().sum();
    tf.autograd.grad(z, x);
    expectCode(() => tf.autograd.grad(z, x), 'TF_AUTOGRAD');
  });

  test('a shared subgraph stays usable for a second output when retained', () => {
    const x = leaf([1, 2]);
    const h = x.mul(x); // shared
    const a = h.sum(), b = h.mul(3).sum();
    a.backward(null, { retainGraph: true });
    b.backward();
    expect(flat(x.grad)).toEqual([2 * 1 + 6 * 1, 2 * 2 + 6 * 2]);
  });
});

describe('autograd.grad', () => {
  test('returns gradients without touching .grad', () => {
    const x = leaf([1, 2, 3]), w = leaf([4, 5, 6]);
    const y = x.mul(w).sum();
    const [gx, gw] = tf.autograd.grad(y, [x, w]);
    expect(flat(gx)).toEqual([4, 5, 6]);
    expect(flat(gw)).toEqual([1, 2, 3]);
    expect(x.grad).toBeNull();
    expect(w.grad).toBeNull();
    expect(gx!.requiresGrad).toBe(false);
  });

  test('gradOutputs weight non-scalar outputs; several outputs sum', () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(x); // dy/dx = 2x elementwise
    const v = tf.tensor([1, 10, 100], { dtype: 'float64' });
    expect(flat(tf.autograd.grad(y, x, { gradOutputs: v, retainGraph: true })[0])).toEqual([2, 40, 600]);
    expect(flat(tf.autograd.grad(y, x, { gradOutputs: [v], retainGraph: true })[0])).toEqual([2, 40, 600]);
    const z = x.mul(5);
    const [g] = tf.autograd.grad([y, z], x, { gradOutputs: [v, tf.ones([3], { dtype: 'float64' })] });
    expect(flat(g)).toEqual([7, 45, 605]);
  });

  test('unused inputs: null with allowUnused, TF_AUTOGRAD without', () => {
    const x = leaf([1, 2]), unused = leaf([5]);
    const y = x.sum();
    const [gx, gu] = tf.autograd.grad(y, [x, unused], { allowUnused: true, retainGraph: true });
    expect(flat(gx)).toEqual([1, 1]);
    expect(gu).toBeNull();
    expectCode(() => tf.autograd.grad(y, [x, unused]), 'TF_AUTOGRAD');
  });

  test('inputs that do not require grad are refused', () => {
    const x = leaf([1, 2]);
    const c = tf.tensor([1, 2], { dtype: 'float64' });
    expectCode(() => tf.autograd.grad(x.mul(c).sum(), c), 'TF_AUTOGRAD');
  });

  test('gradient with respect to an intermediate result', () => {
    const x = leaf([1, 2]);
    const h = x.mul(2);
    const y = h.mul(h).sum();
    const [gh, gx] = tf.autograd.grad(y, [h, x]);
    expect(flat(gh)).toEqual([4, 8]); // 2h
    expect(flat(gx)).toEqual([8, 16]); // 2h * 2
    expect(x.grad).toBeNull();
  });

  test('autograd.backward with several outputs accumulates into .grad', () => {
    const x = leaf([1, 2]);
    tf.autograd.backward([x.mul(2).sum(), x.mul(x)], [null, tf.tensor([1, 1], { dtype: 'float64' })]);
    expect(flat(x.grad)).toEqual([4, 6]);
  });
});

describe('higher order (createGraph)', () => {
  test('second derivative of x^3 is 6x, third is 6', () => {
    const xs = [-1.5, 0.5, 2];
    const x = leaf(xs);
    const [g1] = tf.autograd.grad(x.pow(3).sum(), x, { createGraph: true });
    expect(g1!.requiresGrad).toBe(true);
    expectClose(flat(g1), xs.map((v) => 3 * v * v), 1e-12);
    const [g2] = tf.autograd.grad(g1!.sum(), x, { createGraph: true });
    expectClose(flat(g2), xs.map((v) => 6 * v), 1e-12);
    const [g3] = tf.autograd.grad(g2!.sum(), x);
    expectClose(flat(g3), xs.map(() => 6), 1e-12);
  });

  test('d/dx of the gradient of sin is -sin', () => {
    const xs = [0.3, -1.2, 2.5, 4];
    const x = leaf(xs);
    const [c] = tf.autograd.grad(x.sin().sum(), x, { createGraph: true });
    expectClose(flat(c), xs.map(Math.cos), 1e-12);
    const [s] = tf.autograd.grad(c!.sum(), x);
    expectClose(flat(s), xs.map((v) => -Math.sin(v)), 1e-12);
  });

  test('Hessian-vector product of 0.5 x^T A x is A v (A symmetric)', () => {
    const n = 4;
    const bRows = [[1, 2, 0, -1], [0.5, -3, 1, 2], [2, 0, 1, 1], [-1, 1, 0.25, 3]];
    // A = B + B^T is symmetric, so grad = A x and Hessian = A
    const A: number[][] = bRows.map((r, i) => r.map((v, j) => v + bRows[j][i]));
    const At = tf.tensor(A, { dtype: 'float64' });
    const x = tf.tensor([[0.5], [-1], [2], [1.5]], { dtype: 'float64', requiresGrad: true });
    const v = tf.tensor([[1], [2], [-1], [0.5]], { dtype: 'float64' });
    const f = x.T.matmul(At).matmul(x).mul(0.5).sum();
    const [g] = tf.autograd.grad(f, x, { createGraph: true });
    const Ax = A.map((r) => r.reduce((s, a, j) => s + a * flat(x)[j], 0));
    expectClose(flat(g), Ax, 1e-12);
    const [hv] = tf.autograd.grad(g!.mul(v).sum(), x);
    const vs = flat(v);
    const Av = A.map((r) => r.reduce((s, a, j) => s + a * vs[j], 0));
    expect(hv!.shape).toEqual([n, 1]);
    expectClose(flat(hv), Av, 1e-12);
  });

  test('Hessian-vector product for a non-symmetric A is (A + A^T) v / 2', () => {
    const A = [[1, 2], [0, 3]];
    const x = tf.tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    const At = tf.tensor(A, { dtype: 'float64' });
    const f = x.unsqueeze(0).matmul(At).matmul(x.unsqueeze(1)).mul(0.5).sum();
    const [g] = tf.autograd.grad(f, x, { createGraph: true });
    const v = tf.tensor([3, 1], { dtype: 'float64' });
    const [hv] = tf.autograd.grad(g!.mul(v).sum(), x);
    // (A + A^T)/2 = [[1, 1], [1, 3]]
    expectClose(flat(hv), [1 * 3 + 1 * 1, 1 * 3 + 3 * 1], 1e-12);
  });

  test('backward with createGraph leaves a differentiable .grad', () => {
    const x = leaf([2]);
    x.pow(3).sum().backward(null, { createGraph: true });
    const g = x.grad!;
    expect(g.requiresGrad).toBe(true);
    expect(flat(g)).toEqual([12]);
    const [h] = tf.autograd.grad(g.sum(), x);
    expect(flat(h)).toEqual([12]); // 6x
  });

  test('without createGraph the returned gradient is not differentiable', () => {
    const x = leaf([2]);
    const [g] = tf.autograd.grad(x.pow(3).sum(), x);
    expect(g!.requiresGrad).toBe(false);
    expectCode(() => tf.autograd.grad(g!.sum(), x), 'TF_AUTOGRAD');
  });
});

describe('grad modes', () => {
  test('noGrad results do not require grad and have no history', () => {
    const x = leaf([1, 2]);
    const y = tf.noGrad(() => {
      expect(tf.isGradEnabled()).toBe(false);
      return x.mul(2).exp();
    });
    expect(tf.isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
    expect(y.isLeaf).toBe(true);
    expectCode(() => y.sum().backward(), 'TF_AUTOGRAD');
  });

  test('the mode is restored after an exception; enableGrad nests inside noGrad', () => {
    const x = leaf([1]);
    expect(() => tf.noGrad(() => { throw new Error('inside'); })).toThrow('inside');
    expect(tf.isGradEnabled()).toBe(true);
    const y = tf.noGrad(() => tf.enableGrad(() => x.mul(3)));
    expect(y.requiresGrad).toBe(true);
    expect(tf.isGradEnabled()).toBe(true);
    tf.setGradEnabled(false);
    expect(x.mul(2).requiresGrad).toBe(false);
    tf.setGradEnabled(true);
    expect(x.mul(2).requiresGrad).toBe(true);
  });

  test('in-place updates of a leaf that requires grad are refused with grad mode on, allowed under noGrad', () => {
    const x = leaf([1, 2]);
    expectCode(() => x.add_(1), 'TF_INPLACE');
    tf.noGrad(() => x.add_(1));
    expect(flat(x)).toEqual([2, 3]);
    expect(x.requiresGrad).toBe(true);
    expect(x.isLeaf).toBe(true);
  });
});

describe('graph structure', () => {
  test('detach cuts the graph and shares storage', () => {
    const x = leaf([1, 2, 3]);
    const d = x.detach();
    expect(d.requiresGrad).toBe(false);
    expect(d.isLeaf).toBe(true);
    expect(d.sharesStorage(x)).toBe(true);
    // y = stop(x) * x: only the second factor carries a gradient
    x.detach().mul(x).sum().backward();
    expect(flat(x.grad)).toEqual([1, 2, 3]);
    const e = x.mul(2).detach();
    expect(e.requiresGrad).toBe(false);
    expect(e.gradFn).toBeNull();
  });

  test('a tensor used more than once gets every contribution', () => {
    const x = leaf([0.5, 2]);
    x.mul(x).sum().backward();
    expect(flat(x.grad)).toEqual([1, 4]);
    x.grad = null;
    x.add(x).add(x).sum().backward();
    expect(flat(x.grad)).toEqual([3, 3]);
    x.grad = null;
    // diamond: a = sin x feeds a*a and a: d/dx (a^2 + a) = (2a + 1) cos x
    const a = x.sin();
    a.mul(a).add(a).sum().backward();
    expectClose(flat(x.grad), [0.5, 2].map((v) => (2 * Math.sin(v) + 1) * Math.cos(v)), 1e-12);
  });

  test('gradients through views: reshape, permute, transpose, slice, select, expand, unsqueeze', () => {
    const x = tf.arange(6, undefined, 1, { dtype: 'float64' }).reshape([2, 3]).detach().requiresGrad_();
    const w = tf.arange(1, 7, 1, { dtype: 'float64' }); // weights 1..6

    // reshape: d/dx sum(reshape(x) * w') = w' reshaped back
    x.reshape([3, 2]).mul(w.reshape([3, 2])).sum().backward();
    expect(flat(x.grad)).toEqual([1, 2, 3, 4, 5, 6]);
    x.grad = null;

    // permute / transpose: the weight is seen in transposed order
    const wt = w.reshape([3, 2]); // [[1,2],[3,4],[5,6]]
    x.permute([1, 0]).mul(wt).sum().backward();
    expect(x.grad!.toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
    x.grad = null;
    x.T.mul(wt).sum().backward();
    expect(x.grad!.toArray()).toEqual([[1, 3, 5], [2, 4, 6]]);
    x.grad = null;

    // slice: zero outside the slice
    x.slice(1, 1, 3).mul(tf.tensor([[10, 20], [30, 40]], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 10, 20], [0, 30, 40]]);
    x.grad = null;
    x.slice(1, 0, 3, 2).sum().backward(); // step 2: columns 0 and 2
    expect(x.grad!.toArray()).toEqual([[1, 0, 1], [1, 0, 1]]);
    x.grad = null;

    // select
    x.select(0, 1).mul(tf.tensor([7, 8, 9], { dtype: 'float64' })).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 0, 0], [7, 8, 9]]);
    x.grad = null;

    // expand: copies sum back
    x.unsqueeze(0).expand([4, 2, 3]).sum().backward();
    expect(x.grad!.toArray()).toEqual([[4, 4, 4], [4, 4, 4]]);
    x.grad = null;

    // a chain of views, then a reduction over one dim
    const y = x.T.reshape([6]).slice(0, 1, 6, 2); // x^T flattened = [x00, x10, x01, x11, x02, x12]; odd positions
    expect(flat(y)).toEqual([3, 4, 5]);
    y.mul(y).sum().backward();
    expect(x.grad!.toArray()).toEqual([[0, 0, 0], [6, 8, 10]]);
  });

  test('gradients through broadcasting are summed over the broadcast dims', () => {
    const a = tf.tensor([[1], [2], [3]], { dtype: 'float64', requiresGrad: true }); // [3, 1]
    const b = tf.tensor([[10, 20, 30, 40]], { dtype: 'float64', requiresGrad: true }); // [1, 4]
    a.add(b).sum().backward();
    expect(a.grad!.toArray()).toEqual([[4], [4], [4]]);
    expect(b.grad!.toArray()).toEqual([[3, 3, 3, 3]]);
    a.grad = null;
    b.grad = null;
    a.mul(b).sum().backward();
    expect(a.grad!.toArray()).toEqual([[100], [100], [100]]); // sum of b
    expect(b.grad!.toArray()).toEqual([[6, 6, 6, 6]]); // sum of a
    // a rank-1 operand against a matrix, and a scalar tensor
    const c = tf.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const s = tf.tensor(3, { dtype: 'float64', requiresGrad: true });
    const m = tf.ones([5, 2], { dtype: 'float64' });
    m.mul(c).mul(s).sum().backward();
    expect(flat(c.grad)).toEqual([15, 15]);
    expect(s.grad!.shape).toEqual([]);
    expect(s.grad!.item()).toBe(15);
  });

  test('gradFn names for results, null for leaves; isLeaf', () => {
    const x = leaf([1, 2, 3, 4]);
    expect(x.gradFn).toBeNull();
    expect(x.isLeaf).toBe(true);
    const named: [Tensor, string][] = [
      [x.add(1), 'AddBackward'], [x.mul(x), 'MulBackward'], [x.sum(), 'SumBackward'],
      [x.reshape([2, 2]).matmul(x.reshape([2, 2])), 'MatmulBackward'], [x.sin(), 'SinBackward'],
      [x.permute([0]), 'PermuteBackward'], [x.slice(0, 1), 'SliceBackward'], [x.unsqueeze(0).expand([2, 4]), 'ExpandBackward'],
    ];
    for (const [t, name] of named) {
      expect(t.gradFn).toBe(name);
      expect(t.isLeaf).toBe(false);
      expect(t.requiresGrad).toBe(true);
    }
    for (const t of [x.exp(), x.mean(), x.softmax(0), x.reshape([2, 2])]) expect(t.gradFn).toMatch(/^[A-Z]\w*Backward$/);
    // results of tensors that need no grad are leaves
    const c = tf.tensor([1, 2]);
    expect(c.isLeaf).toBe(true);
    expect(c.mul(2).isLeaf).toBe(true);
    expect(c.mul(2).gradFn).toBeNull();
    // a leaf created by the factories with requiresGrad
    expect(tf.zeros([2], { requiresGrad: true }).isLeaf).toBe(true);
  });

  test('requiresGrad can be turned off on a leaf but not on a result', () => {
    const x = leaf([1]);
    x.requiresGrad = false;
    expect(x.requiresGrad).toBe(false);
    x.requiresGrad_(true);
    const y = x.mul(2);
    expectCode(() => { y.requiresGrad = false; }, 'TF_AUTOGRAD');
  });
});

describe('errors', () => {
  test('backward of a non-scalar without a gradient throws TF_AUTOGRAD', () => {
    const x = leaf([1, 2]);
    expectCode(() => x.mul(2).backward(), 'TF_AUTOGRAD');
    expectCode(() => tf.autograd.grad(x.mul(2), x), 'TF_AUTOGRAD');
    // a one-element non-scalar is fine
    x.sum(0, true).backward();
    expect(flat(x.grad)).toEqual([1, 1]);
  });

  test('backward of a tensor that does not require grad throws TF_AUTOGRAD', () => {
    expectCode(() => tf.tensor([1, 2]).sum().backward(), 'TF_AUTOGRAD');
  });

  test('a gradient of the wrong shape or dtype is refused', () => {
    const x = leaf([1, 2, 3]); // float64
    const y = x.mul(2);
    expectCode(() => y.backward(tf.ones([2], { dtype: 'float64' })), 'TF_SHAPE_MISMATCH');
    expectCode(() => y.backward(tf.ones([3, 1], { dtype: 'float64' })), 'TF_SHAPE_MISMATCH');
    expectCode(() => y.backward(tf.ones([3], { dtype: 'float32' })), 'TF_DTYPE');
    expectCode(() => tf.autograd.grad(y, x, { gradOutputs: tf.ones([4], { dtype: 'float64' }) }), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.autograd.grad(y, x, { gradOutputs: [tf.ones([3], { dtype: 'float64' }), null] }), 'TF_INVALID_ARGUMENT');
    // the failed calls did not consume the graph
    y.backward(tf.ones([3], { dtype: 'float64' }));
    expect(flat(x.grad)).toEqual([2, 2, 2]);
  });

  test('modifying a saved tensor in place (under noGrad) makes backward throw TF_INPLACE', () => {
    const x = leaf([0.5, 1]);
    const y = x.sin().sum(); // saves x
    tf.noGrad(() => x.mul_(2));
    expectCode(() => y.backward(), 'TF_INPLACE');

    // a saved intermediate modified through a detached alias
    const z = leaf([1, 2]);
    const h = z.mul(3);
    const out = h.mul(h).sum(); // saves h
    h.detach().fill_(0);
    expectCode(() => out.backward(), 'TF_INPLACE');

    // a saved output (exp saves its result)
    const w = leaf([1]);
    const e = w.exp();
    const s = e.sum();
    tf.noGrad(() => e.add_(1));
    expectCode(() => s.backward(), 'TF_INPLACE');
  });

  test('an in-place change to a tensor that was not saved does not affect backward', () => {
    const x = leaf([1, 2]);
    const y = x.add(1).sum(); // add saves nothing
    tf.noGrad(() => x.mul_(10));
    y.backward();
    expect(flat(x.grad)).toEqual([1, 1]);
  });

  test('requiresGrad on integer tensors throws TF_DTYPE', () => {
    const i = tf.tensor([1, 2], { dtype: 'int32' });
    expectCode(() => { i.requiresGrad = true; }, 'TF_DTYPE');
    expectCode(() => i.requiresGrad_(), 'TF_DTYPE');
    expectCode(() => tf.tensor([1, 2], { dtype: 'uint8', requiresGrad: true }), 'TF_DTYPE');
    expectCode(() => tf.zeros([2], { dtype: 'int8', requiresGrad: true }), 'TF_DTYPE');
    expect(i.requiresGrad).toBe(false);
    i.requiresGrad = false; // turning it off is fine
  });
});
