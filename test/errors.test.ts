// Bad input is a JS error with a clear message and a stable `code`, never a crash: one block per category.
import * as tf from '../lib';
import { Tensor } from '../lib';

/** Runs fn, expects it to throw an Error with the given code, and returns the error for message checks. */
function thrown(fn: () => unknown, code: string): Error & { code: string } {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`expected an error with code ${code}, but nothing was thrown`);
  const e = err as Error & { code?: string };
  // jest realms: compare the tag, not instanceof Error
  expect(Object.prototype.toString.call(e)).toBe('[object Error]');
  if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(10);
  return e as Error & { code: string };
}

/** Expects the message to mention every fragment (case-insensitive). */
function mentions(e: Error, ...fragments: string[]): void {
  for (const f of fragments) {
    if (!e.message.toLowerCase().includes(f.toLowerCase()))
      throw new Error(`message "${e.message}" does not mention "${f}"`);
  }
}

afterEach(() => {
  // a failed expectation must not leave grad mode off for the next test
  tf.setGradEnabled(true);
});

describe('TF_SHAPE_MISMATCH', () => {
  test('add of [2,3] and [4]', () => {
    const a = tf.zeros([2, 3]), b = tf.zeros([4]);
    mentions(thrown(() => a.add(b), 'TF_SHAPE_MISMATCH'), '[2, 3]', '[4]');
    mentions(thrown(() => tf.add(b, a), 'TF_SHAPE_MISMATCH'), '[2, 3]', '[4]');
  });
  test('matmul [2,3] x [4,5]', () => {
    const e = thrown(() => tf.matmul(tf.zeros([2, 3]), tf.zeros([4, 5])), 'TF_SHAPE_MISMATCH');
    mentions(e, 'matmul', '[2, 3]', '[4, 5]');
  });
  test('cat with mismatched dims', () => {
    const e = thrown(() => tf.cat([tf.zeros([2, 3]), tf.zeros([2, 4])], 0), 'TF_SHAPE_MISMATCH');
    mentions(e, 'cat', '[2, 4]', '[2, 3]');
    const e2 = thrown(() => tf.cat([tf.zeros([2, 3]), tf.zeros([2, 3, 1])], 0), 'TF_SHAPE_MISMATCH');
    mentions(e2, 'cat', '3 dims');
    // along dim 1 the same pair is fine
    expect(tf.cat([tf.zeros([2, 3]), tf.zeros([2, 4])], 1).shape).toEqual([2, 7]);
  });
  test('view with the wrong number of elements', () => {
    const x = tf.zeros([2, 3]);
    mentions(thrown(() => x.view(4), 'TF_SHAPE_MISMATCH'), 'view', '[4]', '6 elements');
    mentions(thrown(() => x.reshape(-1, 4), 'TF_SHAPE_MISMATCH'), 'reshape', '[-1, 4]', '6 elements');
  });
  test('stack, expand, item and backward gradients', () => {
    mentions(thrown(() => tf.stack([tf.zeros([2]), tf.zeros([3])]), 'TF_SHAPE_MISMATCH'), 'stack', '[3]', '[2]');
    mentions(thrown(() => tf.zeros([2, 3]).expand(4, 3), 'TF_SHAPE_MISMATCH'), 'expand', '[2, 3]', '[4, 3]');
    mentions(thrown(() => tf.zeros([2]).item(), 'TF_SHAPE_MISMATCH'), 'item', '[2]');
    const x = tf.ones([3], { requiresGrad: true });
    const y = x.mul(2);
    mentions(thrown(() => y.backward(tf.ones([4])), 'TF_SHAPE_MISMATCH'), '[4]', '[3]');
  });
});

describe('TF_DTYPE', () => {
  test('matmul on int32', () => {
    const a = tf.zeros([2, 2], { dtype: 'int32' });
    mentions(thrown(() => a.matmul(a), 'TF_DTYPE'), 'matmul', 'int32');
    mentions(thrown(() => tf.zeros([2, 2]).matmul(tf.zeros([2, 2], { dtype: 'float64' })), 'TF_DTYPE'),
      'float32', 'float64');
  });
  test('requiresGrad on an int32 tensor', () => {
    const a = tf.zeros([2], { dtype: 'int32' });
    mentions(thrown(() => { a.requiresGrad = true; }, 'TF_DTYPE'), 'int32');
    mentions(thrown(() => tf.zeros([2], { dtype: 'uint8', requiresGrad: true }), 'TF_DTYPE'), 'uint8');
    expect(a.requiresGrad).toBe(false);
  });
  test('unknown dtype string', () => {
    const bad = 'float16' as unknown as tf.DType;
    mentions(thrown(() => tf.zeros([2], { dtype: bad }), 'TF_DTYPE'), 'float16');
    mentions(thrown(() => tf.rand([2], { dtype: bad }), 'TF_DTYPE'), 'float16');
    mentions(thrown(() => tf.zeros([2]).to(bad), 'TF_DTYPE'), 'float16');
    thrown(() => tf.ones([2], { dtype: 7 as unknown as tf.DType }), 'TF_DTYPE');
  });
  test('gather with a float index', () => {
    const x = tf.arange(6).reshape(2, 3);
    mentions(thrown(() => x.gather(1, tf.zeros([2, 1])), 'TF_DTYPE'), 'gather', 'float32');
    mentions(thrown(() => x.indexSelect(0, tf.zeros([1], { dtype: 'float64' })), 'TF_DTYPE'), 'indexSelect', 'float64');
  });
  test('random ops that need floating point', () => {
    mentions(thrown(() => tf.randn([2], { dtype: 'int32' }), 'TF_DTYPE'), 'randn', 'int32');
    mentions(thrown(() => tf.bernoulli(tf.zeros([2], { dtype: 'int8' })), 'TF_DTYPE'), 'bernoulli', 'int8');
  });
});

describe('TF_DIM_OUT_OF_RANGE', () => {
  const x = tf.zeros([2, 3]);
  test('sum over dim 5 of a 2-D tensor', () => {
    mentions(thrown(() => x.sum(5), 'TF_DIM_OUT_OF_RANGE'), 'dimension 5', '2 dimension');
    mentions(thrown(() => x.sum([0, -3]), 'TF_DIM_OUT_OF_RANGE'), 'dimension -3');
    mentions(thrown(() => x.mean(2, true), 'TF_DIM_OUT_OF_RANGE'), 'dimension 2');
  });
  test('transpose', () => {
    mentions(thrown(() => x.transpose(0, 3), 'TF_DIM_OUT_OF_RANGE'), 'dimension 3', '2 dimension');
    mentions(thrown(() => tf.zeros([4]).transpose(0, -2), 'TF_DIM_OUT_OF_RANGE'), 'dimension -2', '1 dimension');
  });
  test('softmax', () => {
    mentions(thrown(() => x.softmax(2), 'TF_DIM_OUT_OF_RANGE'), 'dimension 2');
    mentions(thrown(() => tf.logSoftmax(x, -3), 'TF_DIM_OUT_OF_RANGE'), 'dimension -3');
  });
  test('other dim arguments', () => {
    mentions(thrown(() => x.cumsum(9), 'TF_DIM_OUT_OF_RANGE'), 'dimension 9');
    mentions(thrown(() => x.unsqueeze(4), 'TF_DIM_OUT_OF_RANGE'), 'dimension 4');
    mentions(thrown(() => tf.cat([x, x], 2), 'TF_DIM_OUT_OF_RANGE'), 'dimension 2');
    mentions(thrown(() => x.max(2), 'TF_DIM_OUT_OF_RANGE'), 'dimension 2');
    mentions(thrown(() => x.size(2), 'TF_DIM_OUT_OF_RANGE'), 'dimension 2');
    mentions(thrown(() => x.permute(0, 2), 'TF_DIM_OUT_OF_RANGE'), 'dimension 2');
  });
});

describe('0-d tensors: dim 0 and -1 are valid, but there is no dimension to index', () => {
  // these once read or wrote shape()[0] of an empty shape (a crash for amax(-1) on a 0-d tensor)
  test('reductions, flip, roll, cumsum and softmax along dim 0 / -1 of a 0-d tensor', () => {
    const s = tf.tensor(3, { dtype: 'float64' });
    expect(s.shape).toEqual([]);
    expect(s.sum(0).item()).toBe(3);
    expect(s.sum(-1, true).shape).toEqual([]);
    expect(s.amax(-1).item()).toBe(3);
    expect(s.amin(0).item()).toBe(3);
    expect(s.mean(0).item()).toBe(3);
    expect(s.logsumexp(0).item()).toBeCloseTo(3, 12);
    expect(s.flip(0).item()).toBe(3);
    expect(s.roll(5, 0).item()).toBe(3);
    expect(s.cumsum(0).item()).toBe(3);
    expect(s.softmax(-1).item()).toBe(1);
    expect(s.indexAdd(0, tf.tensor([0, 0], { dtype: 'int32' }), tf.tensor(2, { dtype: 'float64' })).item()).toBe(7);
    const w = tf.tensor(2, { dtype: 'float64', requiresGrad: true });
    w.amax(0).mul(w.sum(-1)).backward();
    expect(w.grad!.item()).toBe(4);
  });
  test('out-of-range dims and select/narrow are refused', () => {
    const s = tf.tensor(3);
    mentions(thrown(() => s.sum(1), 'TF_DIM_OUT_OF_RANGE'), 'dimension 1', '0 dimension');
    thrown(() => s.amax(-2), 'TF_DIM_OUT_OF_RANGE');
    thrown(() => s.flip([0, -1]), 'TF_INVALID_ARGUMENT');  // the same dim twice
    mentions(thrown(() => s.select(0, 0), 'TF_INVALID_ARGUMENT'), 'select', '0-d');
    mentions(thrown(() => s.narrow(0, 0, 1), 'TF_INVALID_ARGUMENT'), 'narrow', '0-d');
  });
});

describe('TF_DISPOSED', () => {
  function disposed(): Tensor {
    const t = tf.ones([2, 2]);
    t.dispose();
    return t;
  }
  test('method calls on a disposed tensor', () => {
    const t = disposed();
    expect(t.isDisposed).toBe(true);
    const uses: [string, () => unknown][] = [
      ['add', () => t.add(1)], ['exp', () => t.exp()], ['sum', () => t.sum()], ['matmul', () => t.matmul(tf.ones([2, 2]))],
      ['view', () => t.view(4)], ['data', () => t.data()], ['item', () => t.item()], ['toArray', () => t.toArray()],
      ['add_', () => t.add_(1)], ['fill_', () => t.fill_(0)], ['clone', () => t.clone()], ['to', () => t.to('float64')],
      ['backward', () => t.backward()], ['softmax', () => t.softmax(0)], ['transpose', () => t.T],
    ];
    for (const [name, use] of uses) {
      try {
        mentions(thrown(use, 'TF_DISPOSED'), 'disposed');
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
  });
  test('a disposed tensor as an argument to another op', () => {
    const t = disposed();
    const live = tf.ones([2, 2]);
    thrown(() => live.add(t), 'TF_DISPOSED');
    thrown(() => tf.add(t, live), 'TF_DISPOSED');
    thrown(() => live.matmul(t), 'TF_DISPOSED');
    thrown(() => tf.cat([live, t]), 'TF_DISPOSED');
    thrown(() => tf.where(t, live, 0), 'TF_DISPOSED');
    thrown(() => live.gather(0, t), 'TF_DISPOSED');
    thrown(() => live.copy_(t), 'TF_DISPOSED');
    thrown(() => { live.grad = t; }, 'TF_DISPOSED');
    thrown(() => live.sharesStorage(t), 'TF_DISPOSED');
    thrown(() => tf.autograd.backward([tf.ones([1], { requiresGrad: true }).sum()], [t]), 'TF_DISPOSED');
    // the live tensor is unharmed
    expect(Array.from(live.data() as ArrayLike<number>)).toEqual([1, 1, 1, 1]);
  });
  test('metadata of a disposed tensor', () => {
    const t = disposed();
    for (const [name, get] of [
      ['shape', () => t.shape], ['dtype', () => t.dtype], ['strides', () => t.strides], ['ndim', () => t.ndim],
      ['numel', () => t.numel()], ['requiresGrad', () => t.requiresGrad], ['grad', () => t.grad],
      ['isContiguous', () => t.isContiguous()], ['toString', () => t.toString()],
    ] as [string, () => unknown][]) {
      try {
        thrown(get, 'TF_DISPOSED');
      } catch (e) {
        throw new Error(`${name}: ${(e as Error).message}`);
      }
    }
    // disposing again is harmless, and isDisposed still answers
    t.dispose();
    expect(t.isDisposed).toBe(true);
  });
  test('views and the autograd graph keep the data alive after dispose', () => {
    const x = tf.arange(4, undefined, 1, { dtype: 'float64' });
    const v = x.view(2, 2);
    x.dispose();
    expect(v.sum().item()).toBe(6);
    const w = tf.ones([3], { requiresGrad: true });
    const y = w.mul(w).sum();
    w.dispose();
    y.backward();  // the graph holds its own reference to w
  });
});

describe('TF_INVALID_SIZE', () => {
  const bad: [string, number, string][] = [
    ['negative', -1, '-1'], ['non-integer', 2.5, '2.5'], ['NaN', NaN, 'nan'], ['Infinity', Infinity, 'inf'],
    ['-Infinity', -Infinity, 'inf'],
  ];
  test.each(bad)('%s size for zeros/rand/full/ones/empty', (_name, s, text) => {
    mentions(thrown(() => tf.zeros([2, s]), 'TF_INVALID_SIZE'), text);
    mentions(thrown(() => tf.rand([s]), 'TF_INVALID_SIZE'), text);
    mentions(thrown(() => tf.full([s, 1], 3), 'TF_INVALID_SIZE'), text);
    thrown(() => tf.ones([s]), 'TF_INVALID_SIZE');
    thrown(() => tf.empty([s]), 'TF_INVALID_SIZE');
    thrown(() => tf.randn([3, s]), 'TF_INVALID_SIZE');
    thrown(() => tf.randint(0, 5, [s]), 'TF_INVALID_SIZE');
  });
  test.each(bad.filter(([n]) => n !== 'negative'))('%s size for reshape/view/expand', (_name, s, text) => {
    const x = tf.zeros([2, 3]);
    mentions(thrown(() => x.reshape(s, 3), 'TF_INVALID_SIZE'), text);
    mentions(thrown(() => x.view(3, s), 'TF_INVALID_SIZE'), text);
    thrown(() => x.expand(s, 2, 3), 'TF_INVALID_SIZE');
  });
  test('negative sizes for reshape/view (-1 alone means "infer")', () => {
    const x = tf.zeros([2, 3]);
    mentions(thrown(() => x.reshape(-2, 3), 'TF_INVALID_SIZE'), '-2');
    thrown(() => x.view(-3), 'TF_INVALID_SIZE');
    expect(x.reshape(-1, 3).shape).toEqual([2, 3]);
    mentions(thrown(() => x.reshape(-1, -1), 'TF_INVALID_ARGUMENT'), '-1');
  });
  test('non-numeric sizes', () => {
    thrown(() => tf.zeros(['2'] as unknown as number[]), 'TF_INVALID_SIZE');
    thrown(() => tf.zeros(null as unknown as number[]), 'TF_INVALID_SIZE');
    thrown(() => tf.zeros([[2]] as unknown as number[]), 'TF_INVALID_SIZE');
    thrown(() => tf.zeros(new Array(65).fill(1)), 'TF_INVALID_SIZE');
  });
  test('sizes whose element count overflows', () => {
    mentions(thrown(() => tf.zeros([2 ** 40, 2 ** 40]), 'TF_INVALID_SIZE'), 'overflow');
  });
  test('arange: steps that are zero, NaN or infinite, and ranges that are too long', () => {
    mentions(thrown(() => tf.arange(0, 10, 0), 'TF_INVALID_ARGUMENT'), 'step');
    mentions(thrown(() => tf.arange(0, 10, NaN), 'TF_INVALID_ARGUMENT'), 'finite');
    mentions(thrown(() => tf.arange(0, 10, Infinity), 'TF_INVALID_ARGUMENT'), 'finite');
    mentions(thrown(() => tf.arange(0, Infinity), 'TF_INVALID_ARGUMENT'), 'finite');
    mentions(thrown(() => tf.arange(NaN), 'TF_INVALID_ARGUMENT'), 'finite');
    mentions(thrown(() => tf.arange(0, 1e300, 1), 'TF_INVALID_SIZE'), 'too many');
    expect(tf.arange(0, 1, 0.25).shape).toEqual([4]);
    expect(tf.arange(5, 0, 1).shape).toEqual([0]);  // an empty range is fine
  });
  test('linspace and eye counts', () => {
    mentions(thrown(() => tf.linspace(0, 1, -1), 'TF_INVALID_SIZE'), '-1');
    mentions(thrown(() => tf.linspace(0, 1, 2.5), 'TF_INVALID_SIZE'), '2.5');
    mentions(thrown(() => tf.linspace(0, 1, NaN), 'TF_INVALID_SIZE'), 'nan');
    thrown(() => tf.eye(-2), 'TF_INVALID_SIZE');
    thrown(() => tf.eye(2, 1.5), 'TF_INVALID_SIZE');
    mentions(thrown(() => tf.zeros([2]).repeat(-1), 'TF_INVALID_SIZE'), 'repeat');
  });
});

describe('TF_OUT_OF_MEMORY', () => {
  test('zeros([1e6, 1e6]) is refused, and the engine keeps working', () => {
    const before = tf.memory().bytes;
    const e = thrown(() => tf.zeros([1e6, 1e6]), 'TF_OUT_OF_MEMORY');
    mentions(e, '4000000000000 bytes');
    thrown(() => tf.ones([1e6, 1e6], { dtype: 'float64' }), 'TF_OUT_OF_MEMORY');
    thrown(() => tf.randn([1e13]), 'TF_OUT_OF_MEMORY');
    // tidy: the 4 MB row must be freed when the call throws, for the byte count below
    thrown(() => tf.tidy(() => tf.zeros([1, 1e6]).expand(1e6, 1e6).contiguous()), 'TF_OUT_OF_MEMORY');
    // a [1e6, 1] x [1, 1e6] product of broadcast views: only the output would be huge
    thrown(() => tf.tidy(() => tf.zeros([1, 1]).expand(1e6, 1).matmul(tf.zeros([1, 1]).expand(1, 1e6))), 'TF_OUT_OF_MEMORY');
    expect(tf.memory().bytes).toBe(before);
    expect(tf.ones([3]).sum().item()).toBe(3);
  });
  test('setAllocationLimit lowers the ceiling, and restoring it lifts it again', () => {
    const prev = tf.info().allocationLimit;
    try {
      tf.backend.setAllocationLimit(1 << 20);
      expect(tf.info().allocationLimit).toBe(1 << 20);
      const e = thrown(() => tf.zeros([1 << 20]), 'TF_OUT_OF_MEMORY');
      mentions(e, String(4 << 20), String(1 << 20));
      thrown(() => tf.rand([600, 600]), 'TF_OUT_OF_MEMORY');
      thrown(() => tf.ones([512, 512]).matmul(tf.ones([512, 1024])), 'TF_OUT_OF_MEMORY');
      expect(tf.zeros([1000]).numel()).toBe(1000);  // small ones still work
    } finally {
      tf.backend.setAllocationLimit(prev);
    }
    expect(tf.info().allocationLimit).toBe(prev);
    expect(tf.zeros([1 << 20]).numel()).toBe(1 << 20);
    thrown(() => tf.backend.setAllocationLimit(-1), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.backend.setAllocationLimit(NaN), 'TF_INVALID_ARGUMENT');
    expect(tf.info().allocationLimit).toBe(prev);
  });
});

describe('TF_INDEX_OUT_OF_RANGE', () => {
  const x = tf.arange(6).reshape(2, 3);
  test('gather', () => {
    const e = thrown(() => x.gather(1, tf.tensor([[0], [5]], { dtype: 'int32' })), 'TF_INDEX_OUT_OF_RANGE');
    mentions(e, 'gather', 'index 5', 'size 3');
    mentions(thrown(() => x.gather(0, tf.tensor([[-1, 0, 0]], { dtype: 'int32' })), 'TF_INDEX_OUT_OF_RANGE'), 'index -1');
  });
  test('indexSelect', () => {
    mentions(thrown(() => x.indexSelect(0, tf.tensor([0, 2], { dtype: 'int32' })), 'TF_INDEX_OUT_OF_RANGE'),
      'indexSelect', 'index 2', 'size 2');
    thrown(() => x.indexSelect(1, tf.tensor([-1], { dtype: 'int32' })), 'TF_INDEX_OUT_OF_RANGE');
    thrown(() => x.indexAdd(1, tf.tensor([3], { dtype: 'int32' }), tf.ones([2, 1])), 'TF_INDEX_OUT_OF_RANGE');
    thrown(() => x.scatterAdd(0, tf.tensor([[2]], { dtype: 'int32' }), tf.ones([1, 1])), 'TF_INDEX_OUT_OF_RANGE');
    // -1 once slipped through as the "no bad index" sentinel
    mentions(thrown(() => x.scatterAdd(0, tf.tensor([[-1]], { dtype: 'int32' }), tf.ones([1, 1])), 'TF_INDEX_OUT_OF_RANGE'),
      'index -1');
  });
  test('select', () => {
    mentions(thrown(() => x.select(0, 2), 'TF_INDEX_OUT_OF_RANGE'), 'select', 'index 2', 'size 2');
    mentions(thrown(() => x.select(1, -4), 'TF_INDEX_OUT_OF_RANGE'), 'index -4', 'size 3');
    expect(x.select(1, -3).toArray()).toEqual([0, 3]);
  });
  test('narrow', () => {
    mentions(thrown(() => x.narrow(1, 2, 5), 'TF_INDEX_OUT_OF_RANGE'), 'narrow', 'size 3');
    thrown(() => x.narrow(0, 0, -1), 'TF_INDEX_OUT_OF_RANGE');
    thrown(() => x.narrow(0, -3, 1), 'TF_INDEX_OUT_OF_RANGE');
  });
});

describe('TF_AUTOGRAD and TF_INPLACE', () => {
  test('backward on a tensor that does not require grad', () => {
    mentions(thrown(() => tf.ones([1]).sum().backward(), 'TF_AUTOGRAD'), 'does not require grad');
    const w = tf.ones([2], { requiresGrad: true });
    const y = tf.noGrad(() => w.mul(2).sum());
    thrown(() => y.backward(), 'TF_AUTOGRAD');
  });
  test('backward on a non-scalar without a gradient', () => {
    const w = tf.ones([2], { requiresGrad: true });
    mentions(thrown(() => w.mul(2).backward(), 'TF_AUTOGRAD'), 'one element', '[2]');
  });
  test('backward twice without retainGraph', () => {
    const w = tf.ones([3], { requiresGrad: true });
    const y = w.mul(w).sum();
    y.backward();
    mentions(thrown(() => y.backward(), 'TF_AUTOGRAD'), 'second time', 'retainGraph');
    // with retainGraph the second call works and accumulates
    const z = w.exp().sum();
    z.backward(null, { retainGraph: true });
    z.backward();
    thrown(() => z.backward(), 'TF_AUTOGRAD');
  });
  test('in-place update of a leaf that requires grad', () => {
    const w = tf.ones([3], { requiresGrad: true });
    mentions(thrown(() => w.add_(1), 'TF_INPLACE'), 'add_', 'requires grad');
    thrown(() => w.mul_(2), 'TF_INPLACE');
    thrown(() => w.fill_(0), 'TF_INPLACE');
    thrown(() => w.copy_(tf.zeros([3])), 'TF_INPLACE');
    thrown(() => w.zero_(), 'TF_INPLACE');
    tf.noGrad(() => w.add_(1));  // optimizers do it this way
    expect(Array.from(w.data() as ArrayLike<number>)).toEqual([2, 2, 2]);
  });
  test('in-place write to an expanded view', () => {
    const v = tf.zeros([1, 3]).expand(4, 3);
    mentions(thrown(() => v.add_(1), 'TF_INPLACE'), 'expanded');
  });
  test('modifying a saved tensor in place under noGrad, then backward', () => {
    const w = tf.tensor([1, 2, 3], { requiresGrad: true });
    const y = w.mul(w).sum();  // saves w
    tf.noGrad(() => w.mul_(2));
    mentions(thrown(() => y.backward(), 'TF_INPLACE'), 'in-place', 'saved');
    // an intermediate that was saved
    const a = tf.tensor([0.5, 1.5], { requiresGrad: true });
    const h = a.exp();  // ExpBackward saves its output
    const l = h.sum();
    tf.noGrad(() => h.add_(1));
    thrown(() => l.backward(), 'TF_INPLACE');
  });
  test('grad() with an input the outputs do not use, and turning off requiresGrad on a result', () => {
    const a = tf.ones([2], { requiresGrad: true }), b = tf.ones([2], { requiresGrad: true });
    const y = a.mul(3).sum();
    mentions(thrown(() => tf.autograd.grad(y, [a, b]), 'TF_AUTOGRAD'), 'input 1');
    thrown(() => { a.mul(2).requiresGrad = false; }, 'TF_AUTOGRAD');
  });
});

describe('TF_INVALID_ARGUMENT for wrong JS types', () => {
  const t = tf.ones([2, 2]);
  const wrong: [string, unknown][] = [['a string', 'abc'], ['a plain object', { shape: [2, 2] }], ['undefined', undefined],
    ['null', null], ['an array', [1, 2]], ['a function', () => 1], ['a symbol', Symbol('x')]];
  test.each(wrong)('%s where a tensor is expected', (_name, v) => {
    const x = v as Tensor;
    const uses: [string, () => unknown][] = [
      ['matmul', () => t.matmul(x)], ['tf.matmul', () => tf.matmul(x, t)], ['gather', () => t.gather(0, x)],
      ['indexSelect', () => t.indexSelect(0, x)], ['scatterAdd', () => t.scatterAdd(0, x, t)],
      ['indexAdd', () => t.indexAdd(0, tf.zeros([2], { dtype: 'int32' }), x)], ['cat', () => tf.cat([t, x])],
      ['stack', () => tf.stack([x])], ['where', () => tf.where(x, t, t)], ['sharesStorage', () => t.sharesStorage(x)],
      ['exp', () => tf.exp(x)], ['sum', () => tf.sum(x)], ['softmax', () => tf.softmax(x, 0)],
      ['bernoulli', () => tf.bernoulli(x)], ['poisson', () => tf.poisson(x)], ['multinomial', () => tf.multinomial(x, 1)],
      ['autograd.grad', () => tf.autograd.grad(x, [t])], ['randLike', () => tf.randLike(x)],
      ['zerosLike', () => tf.zerosLike(x)], ['pad', () => tf.pad(x, [1, 1])], ['expandAs', () => t.expandAs(x)],
    ];
    if (v !== null && v !== undefined) {
      // null and undefined mean "none" here: clear the gradient, default to ones
      const w = tf.ones([2], { requiresGrad: true });
      uses.push(['grad=', () => { t.grad = x; }], ['backward(gradient)', () => w.mul(2).sum().backward(x)]);
    }
    if (typeof v !== 'symbol' && !Array.isArray(v)) {
      // arrays and symbols are not operands: numbers and booleans are (as scalars)
      uses.push(['add', () => t.add(x)], ['tf.add', () => tf.add(x, t)], ['add_', () => t.add_(x)],
        ['copy_', () => t.copy_(x)]);
    }
    for (const [name, use] of uses) {
      try {
        const e = thrown(use, 'TF_INVALID_ARGUMENT');
        expect(e.message).toMatch(/tensor|expected|must/i);
      } catch (err) {
        throw new Error(`${name}: ${(err as Error).message}`);
      }
    }
  });
  test('wrong types for numbers, options and callbacks', () => {
    thrown(() => t.sum('0' as unknown as number), 'TF_INVALID_ARGUMENT');
    thrown(() => t.transpose({} as unknown as number, 1), 'TF_INVALID_ARGUMENT');
    thrown(() => t.softmax(0.5), 'TF_INVALID_ARGUMENT');
    thrown(() => t.clamp('a' as unknown as number), 'TF_INVALID_ARGUMENT');
    thrown(() => t.sum(0, 'yes' as unknown as boolean), 'TF_INVALID_ARGUMENT');
    thrown(() => { t.requiresGrad = 1 as unknown as boolean; }, 'TF_INVALID_ARGUMENT');
    thrown(() => tf.manualSeed(-1), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.setNumThreads(0), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.tidy(42 as unknown as () => void), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.noGrad(undefined as unknown as () => void), 'TF_INVALID_ARGUMENT');
    thrown(() => t.var(0, 5 as unknown as object), 'TF_INVALID_ARGUMENT');
    expect(t.var(0, null as unknown as object).shape).toEqual([2]);  // null means no options
    thrown(() => t.sum().backward(null, 'x' as unknown as object), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.cat(undefined as unknown as Tensor[]), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.cat('ab' as unknown as Tensor[]), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.tensor({} as unknown as number), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.tensor(['a'] as unknown as number[]), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.tensor(undefined as unknown as number), 'TF_INVALID_ARGUMENT');
    thrown(() => tf.backend.setIsa('sse' as 'avx2'), 'TF_INVALID_ARGUMENT');
    expect(Array.from(t.data() as ArrayLike<number>)).toEqual([1, 1, 1, 1]);
  });
  test('a native tensor handle cannot be forged from JS', () => {
    // Handles are Externals made by the addon (native/napi/handle.h): JS can make no value the addon takes
    // for one, so an object or number in a handle's place is refused.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { native } = require('../lib/native');
    expect(native.NativeTensor).toBeUndefined();
    thrown(() => native.shapeOf({}), 'TF_INVALID_ARGUMENT');
    thrown(() => native.binary(native.binaryOps.add, {}, 1), 'TF_INVALID_ARGUMENT');
    thrown(() => native.dataOf(0x7e5f000000000000), 'TF_INVALID_ARGUMENT');
  });
});
