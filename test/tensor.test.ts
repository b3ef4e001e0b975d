// Tensors: creation, dtypes, views sharing storage, contiguous(), data access, dispose.
import * as tf from '../lib';
import { arr, expectClose, expectCode } from './helpers';

describe('creation', () => {
  test('from nested arrays, typed arrays and numbers', () => {
    const a = tf.tensor([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.dtype).toBe('float32');
    expect(a.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    const b = tf.tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] });
    expect(b.dtype).toBe('int32');
    expect(b.toArray()).toEqual([[1, 2], [3, 4]]);
    const s = tf.tensor(3.5);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(3.5);
    expect(tf.tensor([true, false]).toArray()).toEqual([1, 0]);
    expect(tf.tensor([[1.5, -2]], { dtype: 'float64' }).dtype).toBe('float64');
    expect(tf.tensor([300, -5, 2.7], { dtype: 'uint8' }).toArray()).toEqual([255, 0, 2]);  // saturating cast
    expect(tf.tensor([]).shape).toEqual([0]);
  });
  test('all dtypes round-trip', () => {
    for (const dtype of ['float32', 'float64', 'int32', 'int8', 'uint8'] as const) {
      const t = tf.tensor([1, 2, 3], { dtype });
      expect(t.dtype).toBe(dtype);
      expect(t.toArray()).toEqual([1, 2, 3]);
      expect(t.add(t).toArray()).toEqual([2, 4, 6]);
    }
  });
  test('factories', () => {
    expect(tf.zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(tf.ones([3], { dtype: 'int32' }).toArray()).toEqual([1, 1, 1]);
    expect(tf.full([2], 7).toArray()).toEqual([7, 7]);
    expect(tf.arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(tf.arange(1, 2, 0.25).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(tf.arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(tf.linspace(0, 1, 5).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expectClose(arr(tf.linspace(-1, 1, 7, { dtype: 'float64' })), [-1, -2 / 3, -1 / 3, 0, 1 / 3, 2 / 3, 1], 2.3e-16);
    expect(tf.eye(2, 3).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
    const z = tf.zerosLike(tf.ones([2, 3], { dtype: 'float64' }));
    expect([z.shape, z.dtype]).toEqual([[2, 3], 'float64']);
    expect(tf.fullLike(z, 2).sum().item()).toBe(12);
    expect(tf.zeros([2, 0, 3]).numel()).toBe(0);
    expect(tf.zeros([2, 0, 3]).sum().item()).toBe(0);
  });
  test('requiresGrad option and metadata', () => {
    const t = tf.zeros([2, 3], { requiresGrad: true });
    expect(t.requiresGrad).toBe(true);
    expect(t.isLeaf).toBe(true);
    expect(t.device).toBe('cpu');
    expect(t.ndim).toBe(2);
    expect(t.size(-1)).toBe(3);
    expect(t.strides).toEqual([3, 1]);
    expect(String(t)).toContain('requiresGrad');
  });
});

describe('views share storage', () => {
  test('reshape/view/permute/transpose/expand/slice/narrow/squeeze/unsqueeze/select', () => {
    const base = tf.arange(24).reshape(2, 3, 4);
    const views = [base.view(6, 4), base.reshape(4, 6), base.permute(2, 0, 1), base.transpose(0, 2), base.slice(2, 1, 4, 2),
      base.narrow(1, 1, 2), base.unsqueeze(0), base.unsqueeze(0).squeeze(0), base.select(1, 2),
      base.slice(0, 0, 1).expand(5, 3, 4), base.flatten()];
    for (const v of views) expect(v.sharesStorage(base)).toBe(true);
    const d = base.data() as Float32Array;
    d[5] = 100;  // a write through the zero-copy view shows in every view
    expect(base.view(24).data()[5]).toBe(100);
    expect(base.permute(2, 0, 1).toArray()).toEqual([[[0, 4, 8], [12, 16, 20]], [[1, 100, 9], [13, 17, 21]], [[2, 6, 10], [14, 18, 22]], [[3, 7, 11], [15, 19, 23]]]);
  });
  test('strides and contiguity', () => {
    const x = tf.arange(12).reshape(3, 4);
    const t = x.T;
    expect(t.strides).toEqual([1, 4]);
    expect(t.isContiguous()).toBe(false);
    const c = t.contiguous();
    expect(c.isContiguous()).toBe(true);
    expect(c.sharesStorage(x)).toBe(false);
    expect(c.toArray()).toEqual([[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]);
    expect(x.contiguous().sharesStorage(x)).toBe(true);  // already contiguous: no copy
    const e = tf.tensor([1, 2, 3]).reshape(3, 1).expand(3, 4);
    expect(e.strides).toEqual([1, 0]);
    expect(e.toArray()).toEqual([[1, 1, 1, 1], [2, 2, 2, 2], [3, 3, 3, 3]]);
  });
  test('slice follows Python rules', () => {
    const x = tf.arange(10);
    expect(x.slice(0, 2, 8, 3).toArray()).toEqual([2, 5]);
    expect(x.slice(0, -3).toArray()).toEqual([7, 8, 9]);
    expect(x.slice(0, 8, 100).toArray()).toEqual([8, 9]);
    expect(x.slice(0, 5, 2).toArray()).toEqual([]);
  });
  test('reshape of a non-contiguous tensor copies; view refuses', () => {
    const t = tf.arange(6).reshape(2, 3).T;
    expect(t.reshape(6).toArray()).toEqual([0, 3, 1, 4, 2, 5]);
    expectCode(() => t.view(6), 'TF_INVALID_ARGUMENT');
    expect(t.reshape(-1, 2).shape).toEqual([3, 2]);
  });
});

describe('data access', () => {
  test('data() is zero-copy for contiguous tensors and a copy otherwise', () => {
    const x = tf.zeros([4]);
    (x.data() as Float32Array)[2] = 9;
    expect(x.toArray()).toEqual([0, 0, 9, 0]);
    const t = tf.arange(6).reshape(2, 3).T;
    (t.data() as Float32Array)[0] = 42;  // non-contiguous: a copy
    expect(t.toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(Object.prototype.toString.call(tf.ones([1], { dtype: 'int8' }).data())).toBe('[object Int8Array]');
    expect(Object.prototype.toString.call(tf.ones([1], { dtype: 'float64' }).data())).toBe('[object Float64Array]');
  });
  test('a data() view keeps the storage alive after dispose', () => {
    const x = tf.full([1000], 3);
    const d = x.data() as Float32Array;
    x.dispose();
    global.gc?.();
    expect(d[999]).toBe(3);
  });
  test('item() needs one element', () => {
    expect(tf.tensor([[5]]).item()).toBe(5);
    expectCode(() => tf.ones([2]).item(), 'TF_SHAPE_MISMATCH');
  });
});

describe('dispose and memory accounting', () => {
  test('dispose frees native bytes and later use is an error', () => {
    const before = tf.memory();
    const x = tf.zeros([1024, 1024]);
    expect(tf.memory().bytes - before.bytes).toBe(4 * 1024 * 1024);
    x.dispose();
    expect(tf.memory().bytes).toBe(before.bytes);
    expect(x.isDisposed).toBe(true);
    expectCode(() => x.add(1), 'TF_DISPOSED');
    expectCode(() => tf.ones([1]).add(x), 'TF_DISPOSED');
  });
  test('native bytes are reported to V8 as external memory', () => {
    // (Node 20's process.memoryUsage().external does not include napi_adjust_external_memory amounts, so
    // the engine's own account of what it reported is checked.)
    const before = tf.memory().reportedToV8;
    const big = tf.zeros([4, 1024, 1024]);  // 16 MiB
    expect(tf.memory().reportedToV8 - before).toBeGreaterThanOrEqual(15 * 1024 * 1024);
    big.dispose();
    expect(Math.abs(tf.memory().reportedToV8 - before)).toBeLessThan(2 * 1024 * 1024);
  });
  test('views keep storage after the base is disposed', () => {
    const before = tf.memory().bytes;
    const x = tf.arange(100);
    const v = x.slice(0, 10, 20);
    x.dispose();
    expect(tf.memory().bytes).toBe(before + 400);
    expect(v.toArray()).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    v.dispose();
    expect(tf.memory().bytes).toBe(before);
  });
});

describe('engine', () => {
  test('info and cuda status', () => {
    const i = tf.info();
    expect(['scalar', 'avx2', 'avx512']).toContain(i.isa);
    expect(i.supportedIsas[0]).toBe('scalar');
    expect(i.threads).toBeGreaterThanOrEqual(1);
    expect(tf.cuda.isAvailable()).toBe(false);
    expect(tf.cuda.status().reason.length).toBeGreaterThan(10);
  });
  test('ESM and CommonJS entry points export the same API', () => {
    const pkg = require('../package.json');
    expect(pkg.exports['.'].import).toBe('./dist/index.mjs');
    expect(pkg.exports['.'].require).toBe('./dist/index.js');
    expect(pkg.types).toBe('dist/index.d.ts');
  });
});

test('tensor(plain array, { shape }) lays the values out in that shape, and refuses a count that differs', () => {
  const t = tf.tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3] });
  expect(t.shape).toEqual([2, 3]);
  expect(t.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
  expect(tf.tensor([[1, 2], [3, 4]], { shape: [4] }).shape).toEqual([4]);
  expect(() => tf.tensor([1, 2, 3], { shape: [2, 2] })).toThrow(expect.objectContaining({ code: 'TF_SHAPE_MISMATCH' }));
});
