// Native memory: tidy scopes, dispose, views and the training loop the issue asks for: "A 10,000-step loop
// (forward, backward, update) inside `tidy` ends with the same `memory()` it started with."
//
// memory() counts live native tensors, storages and bytes in the whole process. Handles that were never
// disposed (from other test files run by the same jest worker, or typed arrays from data(), which keep their
// storage alive) are freed only when V8 collects them, which could happen in the middle of a measurement. So
// each test first collects garbage (settle()), and everything these tests create is disposed explicitly.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { expectCode, settle } from './helpers';

type Mem = { tensors: number; storages: number; bytes: number };
function mem(): Mem {
  const m = tf.memory();
  return { tensors: m.tensors, storages: m.storages, bytes: m.bytes };
}
function delta(a: Mem, b: Mem): Mem {
  return { tensors: b.tensors - a.tensors, storages: b.storages - a.storages, bytes: b.bytes - a.bytes };
}

beforeEach(settle);

describe('training loop', () => {
  test('10,000 steps of forward, backward and SGD inside tidy end with the memory they started with', () => {
    tf.manualSeed(0);
    const batch = 8, inF = 4, hidden = 16;
    // Parameters live outside the loop (created outside any tidy, so nothing disposes them).
    const init = (fanIn: number, shape: number[]): Tensor =>
      tf.tidy(() => tf.rand(shape).mul(2).sub(1).mul(1 / Math.sqrt(fanIn))).requiresGrad_();
    const w1 = init(inF, [inF, hidden]), b1 = init(inF, [hidden]);
    const w2 = init(hidden, [hidden, 1]), b2 = init(hidden, [1]);
    const params = [w1, b1, w2, b2];
    // A fixed regression problem: y = sin(x0) + x1 * x2 - tanh(x3)
    const x = tf.tidy(() => tf.rand([batch, inF]).mul(2).sub(1));
    const y = tf.tidy(() => {
      const c = (j: number) => x.select(1, j);
      return c(0).sin().add(c(1).mul(c(2))).sub(c(3).tanh()).unsqueeze(1);
    });

    const lr = 0.05;
    const step = (): number => tf.tidy(() => {
      const h = x.matmul(w1).add(b1).silu();
      const pred = h.matmul(w2).add(b2).tanh();
      const loss = pred.sub(y).square().mean();
      loss.backward();
      tf.noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!, lr);
          p.grad = null;
        }
      });
      return loss.item();
    });

    const start = mem();
    const first = step();
    const afterWarmup = mem();
    let last = first;
    for (let i = 1; i < 10_000; i++) last = step();
    const end = mem();

    expect(end).toEqual(afterWarmup);
    // The gradients are reset every step, so nothing but the parameters (and x, y) outlives a step.
    expect(end).toEqual(start);
    expect(Number.isFinite(last)).toBe(true);
    expect(last).toBeLessThan(first * 0.5);
    for (const p of params) {
      expect(p.isDisposed).toBe(false);
      expect(p.grad).toBeNull();
    }

    tf.dispose([params, x, y]);
    // The parameters were the last users of their storages.
    const freed = delta(mem(), start);
    expect(freed.storages).toBe(6);
    expect(freed.tensors).toBe(6);
  });

  test('accumulated gradients (zeroed in place, not reset) also hold memory steady', () => {
    tf.manualSeed(1);
    const w = tf.tidy(() => tf.randn([6, 3])).requiresGrad_();
    const x = tf.randn([5, 6]);
    const step = (): void => tf.tidy(() => {
      x.matmul(w).relu().sum().backward();
      tf.noGrad(() => {
        const g = w.grad!;
        w.sub_(g, 0.01);
        g.zero_(); // .grad returns a new handle on the same storage: zeroing it zeroes w's gradient
      });
    });
    step();
    const afterWarmup = mem();
    for (let i = 0; i < 2000; i++) step();
    expect(mem()).toEqual(afterWarmup);
    tf.noGrad(() => expect(w.grad!.abs().sum().item()).toBe(0));
    w.grad = null;
    tf.dispose([w, x]);
  });
});

describe('dispose', () => {
  test('releases the bytes immediately; a disposed handle refuses use', () => {
    const before = mem();
    const t = tf.zeros([1000], { dtype: 'float64' });
    expect(delta(before, mem())).toEqual({ tensors: 1, storages: 1, bytes: 8000 });
    t.dispose();
    expect(mem()).toEqual(before);
    expect(t.isDisposed).toBe(true);
    expectCode(() => t.sum(), 'TF_DISPOSED');
    expectCode(() => t.item(), 'TF_DISPOSED');
    t.dispose(); // twice is harmless
    expect(mem()).toEqual(before);
  });

  test('views share the storage and keep it alive after the base handle is disposed', () => {
    const before = mem();
    const base = tf.arange(12);
    // (inside tidy so that the intermediate handle of view().transpose() is disposed)
    const views = tf.tidy(() => [base.reshape([3, 4]), base.view([2, 6]).transpose(0, 1), base.slice(0, 2, 10, 3),
                                 base.expand([2, 12])]);
    for (const v of views) expect(v.sharesStorage(base)).toBe(true);
    expect(delta(before, mem()).storages).toBe(1);
    expect(delta(before, mem()).bytes).toBe(48);
    base.dispose();
    expect(delta(before, mem()).storages).toBe(1);
    expect(delta(before, mem()).bytes).toBe(48);
    // the views still read (and write) the shared memory
    expect(views[0].toArray()).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
    expect(views[2].toArray()).toEqual([2, 5, 8]);
    views[0].fill_(1);
    expect(tf.tidy(() => views[1].sum().item())).toBe(12);
    for (const v of views.slice(0, 3)) v.dispose();
    expect(delta(before, mem()).storages).toBe(1);
    views[3].dispose();
    expect(mem()).toEqual(before);
  });

  test('a copy (contiguous of a non-contiguous view) has its own storage', () => {
    const before = mem();
    const a = tf.tidy(() => tf.arange(6).reshape([2, 3]));
    const t = a.T;
    const c = t.contiguous();
    expect(t.sharesStorage(a)).toBe(true);
    expect(c.sharesStorage(a)).toBe(false);
    a.dispose();
    t.dispose();
    expect(delta(before, mem()).storages).toBe(1);
    c.dispose();
    expect(mem()).toEqual(before);
  });

  test('typed arrays from data() stay valid after the tensor is disposed', () => {
    const t = tf.tensor([1, 2, 3, 4]);
    const d = t.data();
    t.dispose();
    expect(Array.from(d as ArrayLike<number>)).toEqual([1, 2, 3, 4]);
  });

  test('toArray() and item() copy: they do not keep the storage alive after dispose', () => {
    const before = mem();
    const t = tf.tensor([[1, 2], [3, 4]]);
    expect(t.toArray()).toEqual([[1, 2], [3, 4]]);
    const s = t.T; // non-contiguous: toArray copies through a temporary
    expect(s.toArray()).toEqual([[1, 3], [2, 4]]);
    expect(tf.tidy(() => t.select(0, 1).select(0, 0).item())).toBe(3);
    t.dispose();
    s.dispose();
    expect(mem()).toEqual(before);
  });

  test('dispose() of nested values', () => {
    const before = mem();
    const v = { a: tf.ones([2]), b: [tf.ones([3]), { c: tf.ones([4]) }], m: new Map([['k', tf.ones([5])]]) };
    expect(delta(before, mem()).storages).toBe(4);
    tf.dispose(v);
    expect(mem()).toEqual(before);
  });

  test('a leaf .grad handle can be disposed without dropping the gradient', () => {
    const before = mem();
    const w = tf.ones([3], { requiresGrad: true });
    tf.tidy(() => w.mul(2).sum().backward());
    const g = w.grad!;
    g.dispose();
    expect(tf.tidy(() => w.grad!.toArray())).toEqual([2, 2, 2]);
    w.grad = null;
    w.dispose();
    expect(mem()).toEqual(before);
  });
});

describe('tidy', () => {
  test('returns nested results intact and disposes everything else', () => {
    const before = mem();
    const made: Tensor[] = [];
    const track = <T extends Tensor>(t: T): T => { made.push(t); return t; };
    const out = tf.tidy(() => {
      const a = track(tf.ones([2, 2]));
      const b = track(a.add(1));
      const c = track(b.mul(b));
      track(c.sum());
      return { b, list: [c, { deep: [[a]] }], map: new Map([['x', track(a.neg())]]), n: 3, s: 'text' };
    });
    expect(out.n).toBe(3);
    expect(out.s).toBe('text');
    const kept = [out.b, out.list[0] as Tensor, ((out.list[1] as { deep: Tensor[][] }).deep[0][0]), out.map.get('x')!];
    for (const t of kept) expect(t.isDisposed).toBe(false);
    expect(kept[1].toArray()).toEqual([[4, 4], [4, 4]]);
    expect(kept[3].toArray()).toEqual([[-1, -1], [-1, -1]]);
    for (const t of made) if (!kept.includes(t)) expect(t.isDisposed).toBe(true);
    expect(delta(before, mem()).storages).toBe(4);
    tf.dispose(kept);
    expect(mem()).toEqual(before);
  });

  test('nested scopes: the inner result moves to the outer scope', () => {
    const before = mem();
    let inner!: Tensor, innerTemp!: Tensor;
    const outer = tf.tidy(() => {
      inner = tf.tidy(() => {
        innerTemp = tf.ones([3]);
        return innerTemp.mul(2);
      });
      expect(innerTemp.isDisposed).toBe(true);
      expect(inner.isDisposed).toBe(false);
      return inner.add(1);
    });
    expect(inner.isDisposed).toBe(true);
    expect(outer.toArray()).toEqual([3, 3, 3]);
    outer.dispose();
    expect(mem()).toEqual(before);
  });

  test('keep() exempts a tensor from every enclosing scope', () => {
    const before = mem();
    let k!: Tensor, temp!: Tensor;
    tf.tidy(() => {
      tf.tidy(() => {
        temp = tf.ones([2]);
        k = tf.keep(temp.add(5));
      });
    });
    expect(temp.isDisposed).toBe(true);
    expect(k.isDisposed).toBe(false);
    expect(k.toArray()).toEqual([6, 6]);
    k.dispose();
    expect(mem()).toEqual(before);
  });

  test('tensors created before the scope are left alone', () => {
    const outside = tf.ones([2]);
    tf.tidy(() => { outside.add(1); });
    expect(outside.isDisposed).toBe(false);
    outside.dispose();
  });

  test('rethrows and cleans up when fn throws', () => {
    const before = mem();
    let t!: Tensor;
    const boom = new Error('boom');
    expect(() => tf.tidy(() => {
      t = tf.ones([100]);
      t.mul(3);
      throw boom;
    })).toThrow(boom);
    expect(t.isDisposed).toBe(true);
    expect(mem()).toEqual(before);
    // an engine error inside the scope: same
    let u!: Tensor;
    let err: unknown;
    try {
      tf.tidy(() => {
        u = tf.ones([2, 3]);
        return u.matmul(tf.ones([2, 3]));
      });
    } catch (e) { err = e; }
    expect((err as { code?: string }).code).toBe('TF_SHAPE_MISMATCH');
    expect(u.isDisposed).toBe(true);
    expect(mem()).toEqual(before);
    // and the scope stack is intact afterwards: a later tidy still works
    const r = tf.tidy(() => tf.ones([1]).add(1));
    expect(r.item()).toBe(2);
    r.dispose();
    expect(mem()).toEqual(before);
  });

  test('refuses an async function, disposing what it created synchronously', async () => {
    const before = mem();
    let t!: Tensor;
    let err: unknown;
    let pending: unknown;
    try {
      tf.tidy(() => {
        pending = (async () => {
          t = tf.ones([10]);
          await null;
          return t;
        })();
        return pending;
      });
    } catch (e) { err = e; }
    expect(err).toBeDefined();
    expect((err as { code?: string }).code).toBe('TF_INVALID_ARGUMENT');
    expect((err as Error).message).toMatch(/synchronous/);
    expect(t.isDisposed).toBe(true);
    await pending;
    expect(mem()).toEqual(before);
  });

  test('backward inside tidy: graph-held tensors are freed with the scope', () => {
    const w = tf.randn([4, 4], { requiresGrad: true });
    const before = mem();
    tf.tidy(() => {
      const h = w.matmul(w).sigmoid().mul(w); // intermediates saved for backward
      h.sum().backward();
    });
    // Only w.grad is new.
    expect(delta(before, mem())).toEqual({ tensors: 1, storages: 1, bytes: 64 });
    // a graph built but never differentiated is freed too
    tf.tidy(() => { w.exp().mul(w).sum(); });
    expect(delta(before, mem())).toEqual({ tensors: 1, storages: 1, bytes: 64 });
    w.grad = null;
    expect(mem()).toEqual(before);
    w.dispose();
  });
});
