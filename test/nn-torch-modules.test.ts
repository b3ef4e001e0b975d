// PyTorch-named modules (nn.SiLU ... nn.Flatten, nn.ModuleList, nn.ModuleDict): outputs against the engine's
// functional ops and closed forms, and state-dict key names as PyTorch writes them.
import * as tf from '../lib';
import { Tensor, nn } from '../lib';
import { arr, expectArraysEqual, expectClose, expectCode } from './helpers';

beforeAll(() => tf.manualSeed(3));

describe('activation modules', () => {
  const xs = [-3, -1.5, -0.25, 0, 0.5, 2, 4];
  const x = () => tf.tensor(new Float32Array(xs));
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  // Closed forms in float64; the float32 kernels agree to a few ulps.
  const cases: [string, nn.Module & { forward(x: Tensor): Tensor }, (t: Tensor) => Tensor, (v: number) => number][] = [
    ['SiLU', new nn.SiLU(), tf.silu, (v) => v * sig(v)],
    ['ReLU', new nn.ReLU(), tf.relu, (v) => Math.max(v, 0)],
    ['Tanh', new nn.Tanh(), (t) => t.tanh(), Math.tanh],
    ['Sigmoid', new nn.Sigmoid(), (t) => t.sigmoid(), sig],
    ['GELU', new nn.GELU(), (t) => tf.gelu(t), (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))],
    ['GELU(tanh)', new nn.GELU('tanh'), (t) => tf.gelu(t, 'tanh'),
      (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
  ];
  test.each(cases)('%s equals its functional op and its closed form', (_name, mod, fn, ref) => {
    const y = mod.forward(x());
    expectArraysEqual(arr(y), arr(fn(x())), 'module vs functional');
    expectClose(arr(y), xs.map(ref), 1e-6, 1e-6, 'module vs closed form');
    expect(mod.namedParameters()).toEqual([]);
  });
  test('GELU keeps the two approximations apart and refuses any other', () => {
    const a = arr(new nn.GELU('none').forward(x())), b = arr(new nn.GELU('tanh').forward(x()));
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    // A typo must not silently fall back to the exact GELU.
    expectCode(() => new nn.GELU('tan' as 'tanh'), 'TF_INVALID_ARGUMENT');
  });
  test('Identity returns its input; Flatten keeps the batch dim by default, as torch.nn.Flatten', () => {
    const t = tf.randn([2, 3, 4, 5]);
    expect(new nn.Identity().forward(t)).toBe(t);
    expect(new nn.Flatten().forward(t).shape).toEqual([2, 60]);
    expect(new nn.Flatten(0).forward(t).shape).toEqual([120]);
    expect(new nn.Flatten(1, 2).forward(t).shape).toEqual([2, 12, 5]);
    expect(new nn.Flatten(-3, -2).forward(t).shape).toEqual([2, 12, 5]);
    expectArraysEqual(arr(new nn.Flatten().forward(t)), arr(t), 'flatten keeps row-major order');
  });
  test('in a Sequential they keep PyTorch\'s layer indices, so the state-dict keys match', () => {
    const m = new nn.Sequential(new nn.Linear(4, 8), new nn.SiLU(), new nn.Linear(8, 8), new nn.GELU('tanh'),
      new nn.Flatten(), new nn.Linear(8, 2), new nn.Identity());
    expect([...m.stateDict().keys()]).toEqual(['0.weight', '0.bias', '2.weight', '2.bias', '5.weight', '5.bias']);
    const t = tf.randn([3, 4]);
    const want = m.layers[5].forward(m.layers[2].forward(m.layers[0].forward(t).silu()).gelu('tanh'));
    expectArraysEqual(arr(m.forward(t)), arr(want), 'sequential forward');
  });
});

describe('ModuleList', () => {
  class Stack extends nn.Module {
    layers = this.module('layers', new nn.ModuleList([new nn.Linear(3, 5), new nn.Linear(5, 5)]));
    act = this.module('act', new nn.SiLU());
    forward(x: Tensor) { let h = x; for (const l of this.layers) h = this.act.forward(l.forward(h)); return h; }
  }
  test('members are children "0", "1", ...: parameters and state dict use PyTorch\'s names', () => {
    const s = new Stack();
    s.layers.append(new nn.Linear(5, 2, { bias: false }));
    expect(s.layers.length).toBe(3);
    expect([...s.stateDict().keys()]).toEqual(['layers.0.weight', 'layers.0.bias', 'layers.1.weight', 'layers.1.bias', 'layers.2.weight']);
    expect(s.parameters().length).toBe(5);
    expect(s.layers.get(-1)).toBe(s.layers.get(2));
    expect(s.layers.toArray().map((l) => l.outFeatures)).toEqual([5, 5, 2]);
    expectCode(() => s.layers.get(3), 'TF_INDEX_OUT_OF_RANGE');
    expectCode(() => s.layers.get(-4), 'TF_INDEX_OUT_OF_RANGE');
    expectCode(() => s.layers.append({} as nn.Linear), 'TF_INVALID_ARGUMENT');
    // the forward goes through the registered members
    const x = tf.randn([4, 3]);
    const l = s.layers.toArray();
    const want = l[2].forward(l[1].forward(l[0].forward(x).silu()).silu()).silu();
    expectArraysEqual(arr(s.forward(x)), arr(want), 'ModuleList forward');
  });
  test('a state dict round trip through the names reproduces the outputs; replaceChild is seen by get()', () => {
    const a = new Stack(), b = new Stack();
    const x = tf.randn([4, 3]);
    expect(arr(b.forward(x))).not.toEqual(arr(a.forward(x)));
    b.loadStateDict(a.stateDict());
    expectArraysEqual(arr(b.forward(x)), arr(a.forward(x)), 'after loadStateDict');
    const swapped = new nn.Linear(3, 5);
    b.layers.replaceChild('0', swapped);
    expect(b.layers.get(0)).toBe(swapped);
    expect([...b.layers][0]).toBe(swapped);
    expect(b.parameters()[0]).toBe(swapped.weight);
  });
  test('train/eval reach the members', () => {
    const s = new Stack().eval();
    expect(s.layers.get(1).training).toBe(false);
  });
});

describe('ModuleDict', () => {
  class Heads extends nn.Module {
    heads = this.module('heads', new nn.ModuleDict({ mean: new nn.Linear(4, 2), logvar: new nn.Linear(4, 2) }));
  }
  test('members are children named by key, in insertion order', () => {
    const h = new Heads();
    expect([...h.stateDict().keys()]).toEqual(['heads.mean.weight', 'heads.mean.bias', 'heads.logvar.weight', 'heads.logvar.bias']);
    expect(h.heads.keys()).toEqual(['mean', 'logvar']);
    expect([...h.heads]).toEqual(['mean', 'logvar']);
    expect(h.heads.has('mean') && !h.heads.has('scale')).toBe(true);
    const x = tf.randn([3, 4]);
    const m = h.heads.get('mean') as nn.Linear;
    expectArraysEqual(arr(m.forward(x)), arr(tf.nn.functional.linear(x, m.weight, m.bias)), 'get(mean)');
  });
  test('set replaces in place (order kept), update adds; bad keys and missing keys are clear errors', () => {
    const h = new Heads();
    const repl = new nn.Linear(4, 3);
    h.heads.set('mean', repl).update([['extra', new nn.Linear(4, 1)]]);
    expect(h.heads.keys()).toEqual(['mean', 'logvar', 'extra']);
    expect(h.heads.size).toBe(3);
    expect(h.heads.get('mean')).toBe(repl);
    expect(h.stateDict().get('heads.mean.weight')!.shape).toEqual([3, 4]);
    expect(h.heads.values().length).toBe(3);
    expect(h.heads.entries().map(([k]) => k)).toEqual(['mean', 'logvar', 'extra']);
    expectCode(() => h.heads.set('a.b', new nn.Linear(1, 1)), 'TF_INVALID_ARGUMENT');
    expectCode(() => h.heads.set('', new nn.Linear(1, 1)), 'TF_INVALID_ARGUMENT');
    expect(() => h.heads.get('scale')).toThrow(/no module 'scale' \(keys: mean, logvar, extra\)/);
  });
});

describe('loadStateDict({ strict })', () => {
  class Net extends nn.Module {
    a = this.module('a', new nn.Linear(3, 4));
    b = this.module('b', new nn.Linear(4, 2));
  }
  const copyOf = (m: nn.Module) => new Map([...m.stateDict()].map(([k, t]) => [k, t.clone()]));

  test('strict (default) throws TF_STATE_DICT listing missing, unexpected and mis-shaped keys, and copies nothing', () => {
    const src = copyOf(new Net()), dst = new Net();
    src.delete('a.bias');
    src.set('c.weight', tf.zeros([1]));
    src.set('b.weight', tf.zeros([3, 3]));
    const before = arr(dst.a.weight);
    let err: (Error & { code?: string; missingKeys?: string[]; unexpectedKeys?: string[]; shapeMismatches?: string[] }) | undefined;
    try { dst.loadStateDict(src); } catch (e) { err = e as typeof err; }
    expect(err?.code).toBe('TF_STATE_DICT');
    expect(err!.message).toMatch(/missing keys \(1\): a\.bias \| unexpected keys \(1\): c\.weight \| shape mismatch \(1\): b\.weight: expected \[2,4\], got \[3,3\]/);
    expect(err!.missingKeys).toEqual(['a.bias']);
    expect(err!.unexpectedKeys).toEqual(['c.weight']);
    expect(err!.shapeMismatches).toEqual(['b.weight: expected [2,4], got [3,3]']);
    expect(arr(dst.a.weight)).toEqual(before);
    expectCode(() => dst.loadStateDict(src, { strict: true }), 'TF_STATE_DICT');
  });
  test('non-strict loads the matching keys and returns the others, as PyTorch', () => {
    const srcNet = new Net(), dst = new Net();
    const src = copyOf(srcNet);
    src.delete('b.bias');
    src.set('extra', tf.ones([2]));
    const res = dst.loadStateDict(src, { strict: false });
    expect(res).toEqual({ missingKeys: ['b.bias'], unexpectedKeys: ['extra'] });
    expect(arr(dst.a.weight)).toEqual(arr(srcNet.a.weight));
    expect(arr(dst.b.bias!)).not.toEqual(arr(srcNet.b.bias!));
    // a strict load that matches returns empty lists; the bare boolean of the older signature still works
    expect(dst.loadStateDict(srcNet.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(dst.loadStateDict(src, false).missingKeys).toEqual(['b.bias']);
  });
  test('a shape mismatch throws even when not strict, before anything is copied', () => {
    const src = copyOf(new Net()), dst = new Net();
    src.set('b.weight', tf.zeros([4, 2]));
    const before = arr(dst.a.weight);
    expect(() => dst.loadStateDict(src, { strict: false })).toThrow(/shape mismatch \(1\): b\.weight: expected \[2,4\], got \[4,2\]/);
    expect(arr(dst.a.weight)).toEqual(before);
  });
});

// Abramowitz-Stegun 7.1.26 is too coarse for a 1e-6 check; this series/continued-fraction pair is not.
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax, sum = ax;
    for (let n = 1; n < 60; n++) { term *= -ax * ax / n; sum += term / (2 * n + 1); }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc by a continued fraction (Lentz), accurate far from 0
  let f = ax, c = ax, d = 0;
  for (let n = 1; n < 100; n++) {
    const a = n / 2;
    d = ax + a * d; d = 1 / d; c = ax + a / c;
    f *= c * d;
  }
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * f));
}
