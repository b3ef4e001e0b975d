// Op semantics on small cases with known answers (PyTorch's conventions).
import * as tf from '../lib';
import { arr, expectClose, expectCode } from './helpers';

const t = (x: tf.NestedArray, dtype?: tf.DType) => tf.tensor(x, { dtype });

describe('elementwise', () => {
  test('arithmetic, broadcasting and scalars', () => {
    expect(t([[1], [2]]).add(t([10, 20, 30])).toArray()).toEqual([[11, 21, 31], [12, 22, 32]]);
    expect(t([1, 2, 3]).sub(1).mul(2).div(4).toArray()).toEqual([0, 0.5, 1]);
    expect(tf.sub(10, t([1, 2])).toArray()).toEqual([9, 8]);
    expect(t([2, 3]).pow(2).toArray()).toEqual([4, 9]);
    expect((tf.pow(2, t([3, 0.5])).toArray() as number[])[0]).toBe(8);
    expect(t([1, 5]).maximum(t([3, 2])).toArray()).toEqual([3, 5]);
    expect(t([1, 5]).minimum(3).toArray()).toEqual([1, 3]);
  });
  test('type promotion: int + float -> float, int / int -> float, scalars keep the tensor dtype', () => {
    const i = t([1, 2, 3], 'int32');
    expect(i.add(t([0.5, 0.5, 0.5])).dtype).toBe('float32');
    expect(i.div(2).dtype).toBe('float32');
    expect(i.div(2).toArray()).toEqual([0.5, 1, 1.5]);
    expect(i.add(1).dtype).toBe('int32');
    expect(i.add(0.5).dtype).toBe('float32');
    expect(t([1], 'float32').add(t([1], 'float64')).dtype).toBe('float64');
    expect(t([1], 'float32').mul(2.5).dtype).toBe('float32');
    expect(t([1, 2], 'int8').add(t([1, 2], 'uint8')).dtype).toBe('int32');
  });
  test('unary functions', () => {
    const x = t([-2, -0.5, 0, 0.5, 2], 'float64');
    expectClose(arr(x.relu()), [0, 0, 0, 0.5, 2], 0);
    expectClose(arr(x.leakyRelu(0.1)), [-0.2, -0.05, 0, 0.5, 2], 1e-15);
    expectClose(arr(x.elu()), [Math.expm1(-2), Math.expm1(-0.5), 0, 0.5, 2], 1e-15);
    expectClose(arr(x.sigmoid()), arr(x).map((v) => 1 / (1 + Math.exp(-v))), 1e-15);
    expectClose(arr(x.silu()), arr(x).map((v) => v / (1 + Math.exp(-v))), 1e-15);
    expectClose(arr(x.softplus()), arr(x).map((v) => Math.log1p(Math.exp(v))), 1e-15);
    expectClose(arr(x.gelu()), [-0.04550026389635842, -0.15426876936299347, 0, 0.34573123063700656, 1.9544997361036416], 1e-14);
    expectClose(arr(x.gelu('tanh')), arr(x).map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), 1e-15);
    expectClose(arr(x.clamp(-1, 1)), [-1, -0.5, 0, 0.5, 1], 0);
    expectClose(arr(x.clamp(null, 0)), [-2, -0.5, 0, 0, 0], 0);
    expectClose(arr(x.sign()), [-1, -1, 0, 1, 1], 0);
    expectClose(arr(x.abs().rsqrt().slice(0, 0, 2)), [1 / Math.sqrt(2), Math.sqrt(2)], 1e-15);
    expectClose(arr(x.erf()), [-0.9953222650189527, -0.5204998778130465, 0, 0.5204998778130465, 0.9953222650189527], 1e-15);
    expectClose(arr(x.expm1()), arr(x).map(Math.expm1), 1e-15);
    expectClose(arr(x.floor()), [-2, -1, 0, 0, 2], 0);
    expect(t([1, 4], 'int32').sqrt().dtype).toBe('float32');  // math on ints is done in float32
  });
  test('comparisons, where, isfinite', () => {
    const a = t([1, 2, 3]), b = t([3, 2, 1]);
    expect(a.lt(b).toArray()).toEqual([1, 0, 0]);
    expect(a.le(b).toArray()).toEqual([1, 1, 0]);
    expect(a.eq(b).dtype).toBe('uint8');
    expect(a.ge(2).toArray()).toEqual([0, 1, 1]);
    expect(tf.where(a.gt(1), a, 0).toArray()).toEqual([0, 2, 3]);
    expect(tf.where(t([1, 0], 'int32'), t([[1, 1]]), t([[5], [6]])).toArray()).toEqual([[1, 5], [1, 6]]);
    expect(t([1, Infinity, NaN, -Infinity]).isfinite().toArray()).toEqual([1, 0, 0, 0]);
  });
});

describe('reductions', () => {
  test('over separated dims (run by run, no permuted copy) equal plain loops: sum [0, 2, 3], amax / amin [0, 2]', () => {
    const [N, C, H, W] = [3, 4, 5, 6];
    const x = tf.randn([N, C, H, W], { dtype: 'float64' }), X = arr(x);
    const at = (n: number, c: number, h: number, w: number) => X[((n * C + c) * H + h) * W + w];
    const sum = new Array(C).fill(0), mx = new Array(C * W).fill(-Infinity), mn = new Array(C * W).fill(Infinity);
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) {
      sum[c] += at(n, c, h, w);
      mx[c * W + w] = Math.max(mx[c * W + w], at(n, c, h, w));
      mn[c * W + w] = Math.min(mn[c * W + w], at(n, c, h, w));
    }
    const s = x.sum([0, 2, 3]), sk = x.sum([0, 2, 3], true);
    expect(s.shape).toEqual([C]);
    expect(sk.shape).toEqual([1, C, 1, 1]);
    expectClose(arr(s), sum, 1e-12, 1e-12);
    expectClose(arr(sk), sum, 1e-12, 1e-12);
    expect(x.amax([0, 2]).shape).toEqual([C, W]);
    expect(arr(x.amax([0, 2]))).toEqual(mx);
    expect(arr(x.amin([0, 2], true))).toEqual(mn);
    expect(x.amin([0, 2], true).shape).toEqual([1, C, 1, W]);
  });
  const x = t([[1, 5, 3], [4, 2, 6]], 'float64');
  test('sum/mean/var/std/prod-free reductions with keepdim', () => {
    expect(x.sum().item()).toBe(21);
    expect(x.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(x.sum(1, true).toArray()).toEqual([[9], [12]]);
    expect(x.mean(-1).toArray()).toEqual([3, 4]);
    expect(x.var(1).toArray()).toEqual([4, 4]);
    expectClose(arr(x.var(null, { correction: 0 })), [35 / 12], 1e-15);
    expectClose(arr(x.std(0)), [Math.sqrt(4.5), Math.sqrt(4.5), Math.sqrt(4.5)], 1e-15);
    expect(t([1, 2, 3], 'int32').sum().item()).toBe(6);
    expect(t([1, 2, 3], 'int32').mean().dtype).toBe('float32');
  });
  test('max/min/argmax/amax/logsumexp/norm/cumsum', () => {
    expect(x.amax(0).toArray()).toEqual([4, 5, 6]);
    expect(x.amin().item()).toBe(1);
    const m = x.max(1);
    expect(m.values.toArray()).toEqual([5, 6]);
    expect(m.indices.toArray()).toEqual([1, 2]);
    expect(m.indices.dtype).toBe('int32');
    expect(x.min(0, true).indices.toArray()).toEqual([[0, 1, 0]]);
    expect(x.argmax().item()).toBe(5);
    expect(x.argmin(1).toArray()).toEqual([0, 1]);
    expect(t([3, 7, 7, 1]).argmax().item()).toBe(1);  // first of ties
    expectClose(arr(x.logsumexp(1)), [Math.log(Math.exp(1) + Math.exp(5) + Math.exp(3)), Math.log(Math.exp(4) + Math.exp(2) + Math.exp(6))], 1e-14);
    expectClose(arr(t([1000, 1000]).logsumexp(0)), [1000 + Math.log(2)], 1e-3);  // no overflow
    expect(t([-Infinity, -Infinity]).logsumexp(0).item()).toBe(-Infinity);
    expectClose(arr(x.norm()), [Math.sqrt(91)], 1e-14);
    expect(x.norm(1, 1).toArray()).toEqual([9, 12]);
    expect(x.norm(Infinity).item()).toBe(6);
    expect(x.cumsum(1).toArray()).toEqual([[1, 6, 9], [4, 6, 12]]);
    expect(t([1, 2, 3], 'int32').cumsum(0).toArray()).toEqual([1, 3, 6]);
    expectCode(() => tf.zeros([0]).amax(), 'TF_INVALID_ARGUMENT');
  });
  test('softmax and logSoftmax', () => {
    const s = t([[1, 2, 3], [1, 1, 1]], 'float64').softmax(1);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)], z = e[0] + e[1] + e[2];
    expectClose(arr(s), [e[0] / z, e[1] / z, e[2] / z, 1 / 3, 1 / 3, 1 / 3], 1e-15);
    expectClose(arr(t([[1, 2, 3]], 'float64').logSoftmax(-1)), e.map((v) => Math.log(v / z)), 1e-14);
    expectClose(arr(t([1000, 0]).softmax(0)), [1, 0], 0);
    expectClose(arr(t([[1, 2], [3, 4]]).softmax(0).sum(0)), [1, 1], 1e-7);
  });
});

describe('matmul', () => {
  test('2-D, vector and batched forms', () => {
    const a = t([[1, 2], [3, 4]]), b = t([[5, 6], [7, 8]]);
    expect(a.matmul(b).toArray()).toEqual([[19, 22], [43, 50]]);
    expect(t([1, 2]).matmul(t([3, 4])).item()).toBe(11);
    expect(a.matmul(t([1, 1])).toArray()).toEqual([3, 7]);
    expect(t([1, 1]).matmul(a).toArray()).toEqual([4, 6]);
    const batched = tf.stack([a, b]).matmul(a);
    expect(batched.shape).toEqual([2, 2, 2]);
    expect(batched.toArray()).toEqual([[[7, 10], [15, 22]], [[23, 34], [31, 46]]]);
    expect(tf.ones([3, 1, 2, 4]).matmul(tf.ones([5, 4, 6])).shape).toEqual([3, 5, 2, 6]);
    expect(tf.zeros([2, 0]).matmul(tf.zeros([0, 3])).toArray()).toEqual([[0, 0, 0], [0, 0, 0]]);
  });
});

describe('copies of broadcast views', () => {
  // A short broadcast innermost dim (nearest upsampling) is gathered then repeated: every dtype width, a
  // non-contiguous source, and an in-place copy from a view of the destination's own storage
  test.each(['float32', 'float64', 'int32', 'uint8'] as const)('x[..., W, 1] expanded to [..., W, k] then made contiguous, %s', (dtype) => {
    const base = tf.arange(0, 24, 1, { dtype }).reshape(2, 3, 4);
    for (const k of [2, 3, 16, 17]) {
      const src = base.transpose(1, 2);  // [2, 4, 3], not contiguous
      const y = src.unsqueeze(3).expand(2, 4, 3, k).contiguous();
      const S = arr(src), Y = arr(y);
      expect(y.shape).toEqual([2, 4, 3, k]);
      for (let i = 0; i < S.length; i++) for (let r = 0; r < k; r++) expect(Y[i * k + r]).toBe(S[i]);
    }
  });
  test('nearest upsampling equals the index formula, and an in-place copy from its own storage is not torn', () => {
    const x = tf.randn([2, 3, 4, 5]);
    const up = tf.nn.functional.upsampleNearest(x, 2), X = arr(x), U = arr(up);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let h = 0; h < 8; h++) for (let w = 0; w < 10; w++)
      expect(U[((n * 3 + c) * 8 + h) * 10 + w]).toBe(X[((n * 3 + c) * 4 + (h >> 1)) * 5 + (w >> 1)]);
    const buf = tf.arange(0, 8).reshape(4, 2);
    const want = [0, 0, 2, 2, 4, 4, 6, 6];
    buf.copy_(buf.select(1, 0).unsqueeze(1).expand(4, 2));
    expect(arr(buf)).toEqual(want);
  });
});

describe('joining and indexing', () => {
  test('cat and stack', () => {
    expect(tf.cat([t([[1, 2]]), t([[3, 4], [5, 6]])]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(tf.cat([t([[1], [2]]), t([[3], [4]])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(tf.stack([t([1, 2]), t([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(tf.cat([t([1], 'int32'), t([2.5])]).dtype).toBe('float32');
  });
  test('gather, scatterAdd, indexSelect, indexAdd', () => {
    const x = t([[1, 2, 3], [4, 5, 6]]);
    const idx = t([[2, 0], [1, 1]], 'int32');
    expect(x.gather(1, idx).toArray()).toEqual([[3, 1], [5, 5]]);
    expect(tf.zeros([2, 3]).scatterAdd(1, idx, t([[1, 2], [3, 4]])).toArray()).toEqual([[2, 0, 1], [0, 7, 0]]);
    expect(x.indexSelect(1, t([2, 2, 0], 'int32')).toArray()).toEqual([[3, 3, 1], [6, 6, 4]]);
    expect(tf.zeros([3]).indexAdd(0, t([0, 0, 2], 'int32'), t([1, 2, 3])).toArray()).toEqual([3, 0, 3]);
    expectCode(() => x.gather(1, t([[3]], 'int32')), 'TF_INDEX_OUT_OF_RANGE');
    expectCode(() => x.indexSelect(0, t([-1], 'int32')), 'TF_INDEX_OUT_OF_RANGE');
  });
  test('pad in every mode', () => {
    const x = t([[1, 2, 3]]);
    expect(tf.pad(x, [1, 2]).toArray()).toEqual([[0, 1, 2, 3, 0, 0]]);
    expect(tf.pad(x, [1, 1, 1, 0], 'constant', 9).toArray()).toEqual([[9, 9, 9, 9, 9], [9, 1, 2, 3, 9]]);
    expect(tf.pad(x, [2, 2], 'reflect').toArray()).toEqual([[3, 2, 1, 2, 3, 2, 1]]);
    expect(tf.pad(x, [2, 1], 'replicate').toArray()).toEqual([[1, 1, 1, 2, 3, 3]]);
    expect(tf.pad(x, [2, 1], 'circular').toArray()).toEqual([[2, 3, 1, 2, 3, 1]]);
    expect(tf.pad(x, [-1, 0]).toArray()).toEqual([[2, 3]]);
    expectCode(() => tf.pad(x, [3, 0], 'reflect'), 'TF_INVALID_ARGUMENT');
  });
  test('flip, roll, repeat', () => {
    const x = t([[1, 2, 3], [4, 5, 6]]);
    expect(x.flip(1).toArray()).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(x.flip([0, 1]).toArray()).toEqual([[6, 5, 4], [3, 2, 1]]);
    expect(x.roll(1, 1).toArray()).toEqual([[3, 1, 2], [6, 4, 5]]);
    expect(x.roll(-1).toArray()).toEqual([[2, 3, 4], [5, 6, 1]]);
    expect(x.roll([1, 1], [0, 1]).toArray()).toEqual([[6, 4, 5], [3, 1, 2]]);
    expect(t([1, 2]).repeat(2, 2).toArray()).toEqual([[1, 2, 1, 2], [1, 2, 1, 2]]);
    expect(x.repeat(1, 2).shape).toEqual([2, 6]);
  });
});

describe('in-place ops', () => {
  test('add_/sub_/mul_/copy_/fill_/zero_ with broadcasting', () => {
    const x = tf.zeros([2, 3]);
    x.add_(t([1, 2, 3])).mul_(2).sub_(1, 0.5);
    expect(x.toArray()).toEqual([[1.5, 3.5, 5.5], [1.5, 3.5, 5.5]]);
    x.copy_(t([[7], [8]]));
    expect(x.toArray()).toEqual([[7, 7, 7], [8, 8, 8]]);
    x.select(0, 1).fill_(0);
    expect(x.toArray()).toEqual([[7, 7, 7], [0, 0, 0]]);
    x.zero_();
    expect(x.sum().item()).toBe(0);
    expectCode(() => tf.zeros([3]).add_(tf.ones([2, 3])), 'TF_SHAPE_MISMATCH');
    expectCode(() => tf.zeros([1]).expand(3).add_(1), 'TF_INPLACE');
  });
});
