// Every fast kernel against the scalar reference kernels (cpu/ref), on every ISA path this CPU has.
// The reference accumulates sums, GEMM and softmax in double, so it is the more accurate side; the
// tolerances below are derived from each SIMD kernel's documented error (cpu/simd/kernels_f32.inc):
//  - exact ops (add/sub/mul/div/max/min/neg/abs/relu/leakyRelu/clamp/square/sqrt) use the same IEEE
//    operations: tolerance 0.
//  - exp: degree-6 Taylor on |r| <= ln2/2 (truncation <= 1.2e-7 relative) + ~6 roundings: rtol 1e-6.
//  - sigmoid/silu: one exp, one add, one divide on top: rtol 2e-6 (+ atol 1e-37 for underflow).
//  - tanh: 1 - 2/(e^{2|x|}+1) loses relative accuracy by cancellation for small |x|, bounded by one ulp
//    of 1 (1.2e-7) absolute; the series branch below 1/16 is accurate: atol 2.5e-7 + rtol 2e-6.
//  - gelu: erf approximated with |error| <= 1.5e-7 (A&S 7.1.26), times 0.5|x|: atol 2e-7·max(1,|x|) + rtol 2e-6.
//  - sums of R float32 terms: |error| <= R · 2^-24 · sum|x| (worst-case rounding bound).
//  - GEMM: |error| <= 2 K · 2^-24 · (|A||B|)_ij per element.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { arr, expectArraysEqual, expectClose, expectCode, withIsa } from './helpers';
import { native } from '../lib/native';
import { binomialBridgeStep, tauLeapStep } from '../lib/samplers/steps';

const isas = tf.backend.supportedIsas().filter((i) => i !== 'scalar') as ('avx2' | 'avx512')[];
const sizes = [1, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 1000, 4099];

beforeAll(() => tf.manualSeed(7));

function ref<R>(fn: () => R): R { return withIsa('scalar', fn); }

test('this machine exercises at least one SIMD path', () => {
  expect(tf.backend.supportedIsas()).toContain('scalar');
  // The scalar reference must always be there; report (not fail) which SIMD paths exist.
  console.log(`ISA paths checked: scalar + ${isas.join(', ') || '(none)'}`);
});

const binaryCases = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;
type Unary = [string, (x: Tensor) => Tensor, (n: number) => Tensor, number, number, ((x: number) => number)?];
const uniform = (lo: number, hi: number) => (n: number) => tf.rand([n]).mul(hi - lo).add(lo);
const unaryCases: Unary[] = [
  ['neg', (x) => x.neg(), uniform(-5, 5), 0, 0],
  ['abs', (x) => x.abs(), uniform(-5, 5), 0, 0],
  ['relu', (x) => x.relu(), uniform(-5, 5), 0, 0],
  ['leakyRelu', (x) => x.leakyRelu(0.1), uniform(-5, 5), 0, 0],
  ['clamp', (x) => x.clamp(-1, 2), uniform(-5, 5), 0, 0],
  ['square', (x) => x.square(), uniform(-5, 5), 0, 0],
  ['sqrt', (x) => x.sqrt(), uniform(0, 100), 0, 0],
  ['exp', (x) => x.exp(), uniform(-87, 88), 1e-37, 1e-6],
  ['sigmoid', (x) => x.sigmoid(), uniform(-30, 30), 1e-37, 2e-6],
  ['silu', (x) => x.silu(), uniform(-30, 30), 1e-37, 2e-6],
  ['tanh', (x) => x.tanh(), uniform(-6, 6), 2.5e-7, 2e-6],
  ['tanh small', (x) => x.tanh(), uniform(-0.2, 0.2), 2.5e-7, 2e-6],
  ['gelu', (x) => x.gelu(), uniform(-6, 6), 1.2e-6, 2e-6],
  ['gelu tanh', (x) => x.gelu('tanh'), uniform(-6, 6), 1.2e-6, 2e-6],
];

// The op table (native/ops/op_table.h) says which ops have a SIMD body; each must have a case above, or a
// SIMD kernel could be added and never compared with its reference. Case names are the op's JS name, or its
// words ('gelu tanh' = geluTanh, 'tanh small' = tanh on another range).
test('every op with a SIMD body has a conformance case', () => {
  const covered = new Set(unaryCases.map(([name]) => {
    const [head, ...rest] = name.split(' ');
    return rest[0] === 'small' ? head : head + rest.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  }));
  for (const op of native.simdUnaryOps) expect([op, covered.has(op)]).toEqual([op, true]);
  for (const op of native.simdBinaryOps) expect([op, binaryCases.includes(op as (typeof binaryCases)[number])]).toEqual([op, true]);
});

describe.each(isas)('%s path vs scalar reference', (isa) => {
  test.each(unaryCases)('unary %s', (name, f, mk, atol, rtol) => {
    for (const n of sizes) {
      const x = mk(n);
      const want = ref(() => arr(f(x)));
      const got = withIsa(isa, () => arr(f(x)));
      expectClose(got, want, atol, rtol, `${name} n=${n}`);
      // strided input (every other element of a wider tensor) takes the strided path
      const wide = mk(2 * n).reshape(n, 2).select(1, 0);
      expectClose(withIsa(isa, () => arr(f(wide))), ref(() => arr(f(wide))), atol, rtol, `${name} strided n=${n}`);
    }
  });

  test('unary special values: inf, -inf, nan, 0, -0, huge', () => {
    const x = tf.tensor(new Float32Array([Infinity, -Infinity, NaN, 0, -0, 1e30, -1e30, 88.7, -104, 1e-30]));
    for (const [name, f] of unaryCases.map((c) => [c[0], c[1]] as const)) {
      if (name === 'sqrt') continue;  // sqrt(-x) is NaN on both sides; covered by the finite check below
      const want = ref(() => arr(f(x))), got = withIsa(isa, () => arr(f(x)));
      for (let i = 0; i < want.length; i++) {
        if (Number.isNaN(want[i])) { expect(Number.isNaN(got[i])).toBe(true); continue; }
        if (!Number.isFinite(want[i])) { expect(got[i]).toBe(want[i]); continue; }
        expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want[i])));
      }
    }
  });

  test.each(binaryCases)('binary %s: contiguous, broadcast and strided', (op) => {
    const f = (a: Tensor, b: Tensor) => (op === 'maximum' ? tf.maximum(a, b) : op === 'minimum' ? tf.minimum(a, b) : a[op](b));
    for (const n of sizes) {
      const a = tf.randn([3, n]), b = tf.randn([3, n]).add(op === 'div' ? 3 : 0);
      const pairs: [Tensor, Tensor][] = [[a, b], [a, b.select(0, 1)], [a.select(0, 2).unsqueeze(0), b],
        [a, tf.tensor(2.5)], [tf.tensor(-1.5), b], [a.T.contiguous().T, b]];
      for (const [x, y] of pairs) expectClose(withIsa(isa, () => arr(f(x, y))), ref(() => arr(f(x, y))), 0, 0, `${op} n=${n}`);
    }
    const nan = tf.tensor([NaN, 1, NaN, 2, 3, 4, 5, 6, 7, NaN]), other = tf.tensor([1, NaN, NaN, 0, 3, 4, 5, 6, 7, 8]);
    expectClose(withIsa(isa, () => arr(f(nan, other))), ref(() => arr(f(nan, other))), 0, 0, `${op} NaN`);
  });

  test('sum: all, inner dim, outer dim, non-adjacent dims', () => {
    for (const n of sizes) {
      const x = tf.randn([3, n, 5]);
      const cases: [string, () => Tensor, number][] = [
        ['all', () => x.sum(), 15 * n], ['dim1', () => x.sum(1), n], ['dim2', () => x.sum(2), 5],
        ['dim0', () => x.sum(0), 3], ['dims02', () => x.sum([0, 2]), 15]];
      for (const [name, f, R] of cases) {
        const want = ref(() => arr(f()));
        const got = withIsa(isa, () => arr(f()));
        const absSum = ref(() => arr(tf.noGrad(() => {
          const a = x.abs();
          return name === 'all' ? a.sum() : name === 'dim1' ? a.sum(1) : name === 'dim2' ? a.sum(2) : name === 'dim0' ? a.sum(0) : a.sum([0, 2]);
        })));
        for (let i = 0; i < want.length; i++)
          expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(R * 2 ** -24 * absSum[i] + 1e-30);
      }
    }
    const big = tf.randn([1 << 20]);  // the parallel split path
    const w = ref(() => big.sum().item()), g = withIsa(isa, () => big.sum().item());
    expect(Math.abs(w - g)).toBeLessThanOrEqual((1 << 20) * 2 ** -24 * ref(() => big.abs().sum().item()));
  });

  test('amax / amin are exact, NaN propagates', () => {
    for (const n of sizes) {
      const x = tf.randn([2, n]);
      for (const f of [(t: Tensor) => t.amax(1), (t: Tensor) => t.amin(1), (t: Tensor) => t.amax(), (t: Tensor) => t.amin(0)])
        expectClose(withIsa(isa, () => arr(f(x))), ref(() => arr(f(x))), 0, 0);
    }
    const withNan = tf.randn([100]);
    (withNan.data() as Float32Array)[77] = NaN;
    expect(Number.isNaN(withIsa(isa, () => withNan.amax().item()))).toBe(true);
  });

  test('softmax / logSoftmax rows of every length, large logits', () => {
    for (const n of sizes) {
      const x = tf.randn([4, n]).mul(10);
      expectClose(withIsa(isa, () => arr(x.softmax(1))), ref(() => arr(x.softmax(1))), 1e-7, 3e-6, `softmax n=${n}`);
      expectClose(withIsa(isa, () => arr(x.logSoftmax(1))), ref(() => arr(x.logSoftmax(1))), 2e-5, 2e-6, `logSoftmax n=${n}`);
      expectClose(withIsa(isa, () => arr(x.softmax(0))), ref(() => arr(x.softmax(0))), 1e-7, 3e-6, `softmax dim0 n=${n}`);
    }
  });

  test('matmul: odd shapes, transposed and batched operands', () => {
    const shapes: [number, number, number][] = [[1, 1, 1], [1, 7, 1], [5, 3, 7], [6, 16, 32], [7, 17, 33], [13, 300, 45],
      [64, 64, 64], [130, 257, 70], [3, 513, 2]];
    for (const [M, K, N] of shapes) {
      const a = tf.randn([M, K]), b = tf.randn([K, N]);
      const bound = ref(() => arr(a.abs().matmul(b.abs()))).map((v) => 2 * K * 2 ** -24 * v + 1e-30);
      for (const [x, y] of [[a, b], [a.T.contiguous().T, b], [a, b.T.contiguous().T]] as [Tensor, Tensor][]) {
        const want = ref(() => arr(x.matmul(y))), got = withIsa(isa, () => arr(x.matmul(y)));
        for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(bound[i]);
      }
    }
    const A = tf.randn([3, 1, 9, 20]), Bm = tf.randn([2, 20, 11]);
    const want = ref(() => arr(A.matmul(Bm))), got = withIsa(isa, () => arr(A.matmul(Bm)));
    expectClose(got, want, 20 * 2 * 2 ** -24 * 40, 0, 'batched');
  });
});

describe('scalar reference vs float64 math', () => {
  // The reference computes in the element type with libm; it must agree with double-precision math
  // to float32 rounding (a few ulp: libm's float functions are accurate to < 1 ulp).
  const fns: [string, (x: Tensor) => Tensor, (x: number) => number, (n: number) => Tensor][] = [
    ['exp', (x) => x.exp(), Math.exp, uniform(-20, 20)],
    ['log', (x) => x.log(), Math.log, uniform(0.01, 100)],
    ['tanh', (x) => x.tanh(), Math.tanh, uniform(-5, 5)],
    ['sigmoid', (x) => x.sigmoid(), (v) => 1 / (1 + Math.exp(-v)), uniform(-20, 20)],
    ['sin', (x) => x.sin(), Math.sin, uniform(-5, 5)],
    ['softplus', (x) => x.softplus(), (v) => (v > 20 ? v : Math.log1p(Math.exp(v))), uniform(-30, 30)],
  ];
  test.each(fns)('%s', (_name, f, m, mk) => {
    const x = mk(1000);
    const got = ref(() => arr(f(x)));
    const want = arr(x).map((v) => Math.fround(m(v)));
    expectClose(got, want, 1e-30, 4 * 2 ** -23);
  });
  test('float64 reference is accurate to double precision', () => {
    const x = uniform(-3, 3)(200).double();
    expectClose(ref(() => arr(x.exp())), arr(x).map(Math.exp), 0, 4e-16);
    const a = tf.randn([9, 13], { dtype: 'float64' }), b = tf.randn([13, 4], { dtype: 'float64' });
    const A = arr(a), Bv = arr(b), C = arr(a.matmul(b));
    for (let i = 0; i < 9; i++) for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 13; k++) s += A[i * 13 + k] * Bv[k * 4 + j];
      expect(Math.abs(C[i * 4 + j] - s)).toBeLessThan(1e-13);
    }
  });
});

// The 'ref' device (backend/backend.h): every kernel the scalar reference, one thread, the plain algorithms only.
// Each case of the suite above runs on it and must equal the CPU backend on its scalar path at one thread bit for
// bit: the same rows in the same order, so any difference is a device that leaked (an op that created its output
// on the wrong device, took a CPU-only path, or split work differently). Convolution is the exception: on 'cpu' a
// 3x3 float32 convolution takes Winograd, which 'ref' never does; there the bound is test/conv.test.ts's, 2e-6 of
// sum |x||w|.
describe("'ref' device vs the CPU backend's scalar path at one thread", () => {
  const onRef = (f: (...xs: Tensor[]) => Tensor, ...xs: Tensor[]): number[] => {
    const r = f(...xs.map((x) => x.to('ref')));
    expect(r.device).toBe('ref');
    return arr(r.to('cpu'));
  };
  const onCpu = (f: (...xs: Tensor[]) => Tensor, ...xs: Tensor[]): number[] => {
    const threads = tf.getNumThreads();
    tf.setNumThreads(1);
    try { return ref(() => arr(f(...xs))); } finally { tf.setNumThreads(threads); }
  };
  const same = (f: (...xs: Tensor[]) => Tensor, ...xs: Tensor[]) => expect(onRef(f, ...xs)).toEqual(onCpu(f, ...xs));

  test.each(unaryCases)('unary %s', (_name, f, mk) => {
    for (const n of sizes) {
      same(f, mk(n));
      same((w) => f(w.reshape(n, 2).select(1, 0)), mk(2 * n));
    }
  });
  test.each(binaryCases)('binary %s, with broadcasting', (op) => {
    const f = (a: Tensor, b: Tensor) => (op === 'maximum' ? tf.maximum(a, b) : op === 'minimum' ? tf.minimum(a, b) : a[op](b));
    for (const n of sizes) {
      const a = tf.randn([3, n]), b = tf.randn([3, n]).add(op === 'div' ? 3 : 0);
      same(f, a, b);
      same((x, y) => f(x, y.select(0, 1)), a, b);
      same((x) => f(x, tf.tensor(2.5).to(x.device as 'cpu' | 'ref')), a);
    }
  });
  test('reductions, softmax, cumsum, matmul (the parallel split paths too)', () => {
    for (const n of [1, 17, 100, 4099]) {
      const x = tf.randn([3, n, 5]);
      for (const f of [(t: Tensor) => t.sum(), (t: Tensor) => t.sum(1), (t: Tensor) => t.mean([0, 2]), (t: Tensor) => t.amax(1),
        (t: Tensor) => t.var(2), (t: Tensor) => t.logsumexp(1), (t: Tensor) => t.softmax(1), (t: Tensor) => t.logSoftmax(2),
        (t: Tensor) => t.cumsum(1), (t: Tensor) => t.argmax(1)]) same(f, x);
    }
    same((t) => t.sum(), tf.randn([1 << 20]));
    for (const [M, K, N] of [[1, 1, 1], [7, 17, 33], [130, 257, 70]]) {
      same((a, b) => a.matmul(b), tf.randn([M, K]), tf.randn([K, N]));
      same((a, b) => a.matmul(b.T), tf.randn([M, K]), tf.randn([N, K]));
    }
    same((a, b) => a.matmul(b), tf.randn([3, 1, 9, 20]), tf.randn([2, 20, 11]));
  });
  test('norms, attention, indexing, random draws', () => {
    const x = tf.randn([2, 8, 5, 5]), w = tf.randn([8]), b = tf.randn([8]);
    same((t, g, h) => tf.nn.functional.groupNorm(t, 4, g, h), x, w, b);
    const q = tf.randn([2, 6, 8]), k = tf.randn([2, 7, 8]), v = tf.randn([2, 7, 8]);
    same((a, c, d) => tf.nn.functional.scaledDotProductAttention(a, c, d), q, k, v);
    same((t) => tf.cat([t, t.mul(2)], 1).flip(0).roll(1, 2), x);
    same((t) => t.gather(1, tf.tensor([[0, 2], [1, 1]], { dtype: 'int32' }).to(t.device as 'cpu' | 'ref')), tf.randn([2, 3]));
    // the generator is counter-based: the same seed gives the same numbers on either device
    tf.manualSeed(11);
    const want = arr(tf.randn([1000]));
    tf.manualSeed(11);
    expectArraysEqual(arr(tf.randn([1000]).to('ref').to('cpu')), want, 'conformance line 249');
  });
  test('conv2d (Winograd on cpu, im2col on ref): within 2e-6 of sum |x||w|', () => {
    const x = tf.randn([2, 8, 9, 7]), wt = tf.randn([8, 8, 3, 3]);
    const got = onRef((a, c) => tf.conv2d(a, c, { padding: 1 }), x, wt);
    const want = arr(tf.conv2d(x, wt, { padding: 1 }));
    const bound = arr(tf.conv2d(x.abs(), wt.abs(), { padding: 1 })).map((v) => 2e-6 * v + 1e-30);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(bound[i]);
  });
  // Every family behind a whole-tensor backend entry (backend/backend.h) runs on 'ref' with the same bits,
  // derivatives included. float64 convolutions, so both devices take im2col (Winograd is float32 only).
  test('each backend entry family on ref: conv (all three), group norm (backward, tangent), attention backward, indexing, draws, count steps, optimizer steps, fills', () => {
    const dev = (t: Tensor, d: 'cpu' | 'ref') => t.to(d);
    const gradsOf = (f: (...xs: Tensor[]) => Tensor) => (...xs: Tensor[]) => {
      const ps = xs.map((x) => x.detach().requiresGrad_());
      const gs = tf.autograd.grad(f(...ps).square().sum(), ps);
      return tf.cat(gs.map((g) => g!.reshape(-1)), 0);
    };
    const x = tf.randn([2, 4, 7, 6], { dtype: 'float64' }), w = tf.randn([6, 2, 3, 3], { dtype: 'float64' });
    same(gradsOf((a, c) => tf.conv2d(a, c, { padding: 1, groups: 2 })), x, w);
    same(gradsOf((a, c) => tf.conv2d(a, c, { stride: 2, padding: 1, groups: 2 })), x, w);
    const w1 = tf.randn([5, 4, 3, 3], { dtype: 'float64' });
    same(gradsOf((a, c) => tf.conv2d(a, c, { padding: 1 })), x, w1);  // the flipped-kernel input gradient
    const g = tf.randn([2, 8, 5, 5]), gw = tf.randn([8]), gb = tf.randn([8]);
    same(gradsOf((t, a, c) => tf.nn.functional.groupNorm(t, 4, a, c)), g, gw, gb);
    same((t, a, c, dt) => tf.func.jvp((u) => tf.nn.functional.groupNorm(u, 4, a, c), [t], [dt])[1][0], g, gw, gb, tf.randnLike(g));
    const q = tf.randn([2, 6, 8]), k = tf.randn([2, 7, 8]), v = tf.randn([2, 7, 8]);
    same(gradsOf((a, c, d) => tf.nn.functional.scaledDotProductAttention(a, c, d, { causal: true })), q, k, v);
    const idx = tf.tensor([[0, 2, 2], [1, 0, 1]], { dtype: 'int32' }), sel = tf.tensor([2, 0, 2], { dtype: 'int32' });
    same((t) => t.scatterAdd(1, dev(idx, t.device as 'cpu' | 'ref'), t.mul(3)), tf.randn([2, 3]));
    same(gradsOf((t) => t.indexSelect(0, dev(sel, t.device as 'cpu' | 'ref'))), tf.randn([3, 4]));
    same((t) => t.indexAdd(1, dev(sel, t.device as 'cpu' | 'ref'), t.mul(2).indexSelect(1, dev(sel, t.device as 'cpu' | 'ref'))), tf.randn([3, 4]));
    const seeded = (f: (...xs: Tensor[]) => Tensor) => (...xs: Tensor[]) => { tf.manualSeed(5); return f(...xs); };
    same(seeded((p) => tf.bernoulli(p)), tf.rand([300]));
    same(seeded((c, p) => tf.binomial(c, p)), tf.randint(0, 200, [300]).float(), tf.rand([300]));
    same(seeded((r) => tf.poisson(r)), tf.rand([300]).mul(40));
    same(seeded((p) => tf.multinomial(p, 3).float()), tf.rand([4, 6]));
    same(seeded((p) => tf.multinomial(p, 5, true).float()), tf.rand([4, 6]));
    const n = tf.randint(0, 8, [200]).float(), y = tf.rand([200]).mul(9);
    same(seeded((a, c) => binomialBridgeStep(a, c, 0.2, 0.5, 15)), n, y);
    same(seeded((a, c) => tauLeapStep(a, c, 0.2, 0.5, 15)), n, y);
    for (const make of [(p: Tensor[]) => new tf.optim.Adam(p, { lr: 0.1, weightDecay: 0.01 }),
      (p: Tensor[]) => new tf.optim.SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true })]) {
      same((p0) => {
        const p = p0.detach().requiresGrad_(), opt = make([p]);
        for (let i = 0; i < 3; i++) { opt.zeroGrad(); p.square().sum().backward(); opt.step(); }
        return p.detach();
      }, tf.randn([50]));
    }
    same((t) => tf.eye(3, 5).to(t.device as 'cpu' | 'ref').add(t), tf.randn([3, 5]));
  });
  test('the int8 family on ref: (de/re)quantization, fake quantization with its gradients, packing, int8 Linear and conv2d', () => {
    const { quant } = tf;
    const x = tf.randn([3, 4, 5, 5]);
    same((t) => quant.dequantize(quant.quantize(t, 0.05, 128), 0.05, 128), x);
    same((t, sc) => quant.dequantize(quant.quantize(t, sc, 0, { axis: 1, dtype: 'int8' }), sc, 0, { axis: 1 }),
      x, tf.tensor([0.02, 0.03, 0.04, 0.05]));
    same((t) => quant.requantize(quant.quantize(t, 0.05, 128), { scale: 0.05, zeroPoint: 128 }, { scale: 0.07, zeroPoint: 3, dtype: 'int8' }).float(), x);
    same((t, sc) => {
      const xs = t.detach().requiresGrad_(), ss = sc.detach().requiresGrad_();
      const [gx, gs] = tf.autograd.grad(quant.fakeQuantize(xs, ss, 0, { qmin: -8, qmax: 7, axis: 1 }).square().sum(), [xs, ss]);
      return tf.cat([gx!.reshape(-1), gs!.reshape(-1)], 0);
    }, x, tf.tensor([0.1, 0.2, 0.15, 0.3]));
    const wq = tf.randint(-127, 128, [6, 20], { dtype: 'int8' }), wScale = tf.rand([6]).add(0.01);
    same((a, w, sc) => {
      const pw = new quant.PackedInt8Weight(w.to('int8'));
      const y = quant.int8Linear(a, 'dynamic', pw, { wScale: sc, act: 'silu' });
      expect(quant.int8Kernel(a.device as 'cpu' | 'ref')).toBe(a.device === 'ref' ? 'ref' : quant.int8Kernel());
      return y;
    }, tf.randn([7, 20]), wq.float(), wScale);
    const wc = tf.randint(-127, 128, [6, 4 * 3 * 3], { dtype: 'int8' });
    same((a, w, sc) => quant.int8Conv2d(a, { scale: 0.05, zeroPoint: 120 }, new quant.PackedInt8Weight(w.to('int8')), [3, 3],
      { wScale: sc, out: 'uint8', outScale: 0.1, outZero: 7 }, { padding: 1 }).float(), x, wc.float(), wScale);
  });
  test("a bad index or probability on 'ref' is the same TF_* error as on 'cpu'", () => {
    const bad = tf.tensor([0, 3], { dtype: 'int32' });
    for (const d of ['cpu', 'ref'] as const) {
      expectCode(() => tf.randn([2, 3]).to(d).indexSelect(1, bad.to(d)), 'TF_INDEX_OUT_OF_RANGE');
      expectCode(() => tf.randn([2, 3]).to(d).gather(1, tf.tensor([[0, 5]], { dtype: 'int32' }).to(d)), 'TF_INDEX_OUT_OF_RANGE');
      tf.manualSeed(3);
      const before = tf.getRngState();
      expectCode(() => tf.binomial(tf.tensor([2.5]).to(d), tf.tensor([0.5]).to(d)), 'TF_INVALID_ARGUMENT');
      expect(tf.getRngState()).toEqual(before);  // a refused draw leaves the generator as it was
    }
  });
  test('a training step: forward, backward and the gradients, on either device', () => {
    const x = tf.randn([16, 6]), w1 = tf.randn([6, 32]), w2 = tf.randn([32, 1]);
    const grads = (dev: 'cpu' | 'ref') => {
      const a = w1.to(dev).detach().requiresGrad_(), c = w2.to(dev).detach().requiresGrad_();
      x.to(dev).matmul(a).silu().matmul(c).square().mean().backward();
      return [...arr(a.grad!.to('cpu')), ...arr(c.grad!.to('cpu'))];
    };
    const threads = tf.getNumThreads();
    tf.setNumThreads(1);
    let want: number[];
    try { want = ref(() => grads('cpu')); } finally { tf.setNumThreads(threads); }
    expectArraysEqual(grads('ref'), want, 'conformance line 269');
  });
});
