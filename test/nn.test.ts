// nn layers: forward against closed forms / naive compositions, float64 gradient checks, state dicts.
import * as tf from '../lib';
import { Tensor, nn } from '../lib';
import { arr, expectArraysEqual, expectClose, expectCode, forEachIsa, gradcheck, jvpcheck, randn64 } from './helpers';

const F = nn.functional;
beforeAll(() => tf.manualSeed(11));

describe('Module', () => {
  class Net extends nn.Module {
    a = this.module('a', new nn.Linear(3, 4));
    seq = this.module('seq', new nn.Sequential(new nn.Linear(4, 4), new nn.Activation('silu'), new nn.Linear(4, 2, { bias: false })));
    norm = this.module('norm', new nn.GroupNorm(2, 4));
    forward(x: Tensor) { return this.seq.forward(this.a.forward(x)); }
  }
  test('parameters are registered by name in order, kept out of tidy scopes', () => {
    const net = tf.tidy(() => new Net());
    expect(net.namedParameters().map(([n]) => n)).toEqual(['a.weight', 'a.bias', 'seq.0.weight', 'seq.0.bias', 'seq.2.weight', 'norm.weight', 'norm.bias']);
    expect(net.parameters().every((p) => p.requiresGrad && !p.isDisposed)).toBe(true);
    expect(net.numParameters()).toBe(3 * 4 + 4 + 16 + 4 + 8 + 8);
    expect(net.train().training && net.eval().training === false && net.seq.training === false).toBe(true);
  });
  test('PyTorch default init: Linear/Conv weights and biases uniform within 1/sqrt(fan_in)', () => {
    const l = new nn.Linear(100, 50), c = new nn.Conv2d(8, 16, 3);
    expect(l.weight.shape).toEqual([50, 100]);
    expect(l.weight.abs().amax().item()).toBeLessThanOrEqual(0.1);
    expect(l.weight.abs().amax().item()).toBeGreaterThan(0.09);
    expect(c.weight.abs().amax().item()).toBeLessThanOrEqual(1 / Math.sqrt(72));
    expect(Math.abs(l.weight.mean().item())).toBeLessThan(0.01);
  });
  test('stateDict round trip and clear errors', () => {
    const a = new Net(), b = new Net();
    b.loadStateDict(a.stateDict());
    const x = tf.randn([5, 3]);
    expectArraysEqual(arr(b.forward(x)), arr(a.forward(x)), 'nn line 35');
    const sd = a.stateDict();
    sd.delete('a.bias');
    sd.set('extra', tf.zeros([1]));
    expectCode(() => b.loadStateDict(sd), 'TF_STATE_DICT');
    try { b.loadStateDict(sd); } catch (e) { expect((e as Error).message).toMatch(/missing keys \(1\): a\.bias.*unexpected keys \(1\): extra/); }
    const bad = a.stateDict();
    bad.set('a.weight', tf.zeros([2, 2]));
    expect(() => b.loadStateDict(bad)).toThrow(/a\.weight: expected \[4,3\], got \[2,2\]/);
    b.loadStateDict(new Map([['a.bias', tf.ones([4])]]), false);
    expect(arr(b.a.bias!)).toEqual([1, 1, 1, 1]);
    expectCode(() => b.toDevice('cuda'), 'TF_DEVICE');
  });

  test('toDtype casts parameters and buffers in place; the forward pass follows and stays trainable', () => {
    const a = new Net();
    const x = tf.randn([5, 3]);
    const y32 = arr(a.forward(x));
    const w = arr(a.a.weight);
    a.toDtype('float64');
    expect(a.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad)).toBe(true);
    expect(arr(a.a.weight)).toEqual(w);  // float32 -> float64 is exact
    const y64 = a.forward(x.to('float64'));
    expect(y64.dtype).toBe('float64');
    // The same float32 values computed in float64: agreement to float32 rounding of the sums (~1e-7 relative).
    expectClose(arr(y64), y32, 1e-5, 1e-5, 'toDtype forward');
    y64.sum().backward();
    expect(a.a.weight.grad!.dtype).toBe('float64');
    const ff = new nn.FourierFeatures(8).toDtype('float64');
    expect(ff.namedBuffers().every(([, b]) => b.dtype === 'float64')).toBe(true);
    expect(ff.forward(tf.tensor([0.5], { dtype: 'float64' })).dtype).toBe('float64');
  });
});

describe('layers against closed forms', () => {
  test('Linear is x W^T + b', () => {
    const l = new nn.Linear(3, 2);
    const x = tf.randn([4, 3]);
    const W = arr(l.weight), b = arr(l.bias!), X = arr(x);
    const want = [];
    for (let i = 0; i < 4; i++) for (let o = 0; o < 2; o++) want.push(b[o] + [0, 1, 2].reduce((s, k) => s + X[i * 3 + k] * W[o * 3 + k], 0));
    expectClose(arr(l.forward(x)), want, 1e-5);
  });
  test('GroupNorm: every (sample, group) has zero mean and unit variance before the affine', () => {
    const x = tf.randn([2, 6, 4, 4]).mul(3).add(2);
    const y = F.groupNorm(x, 3).reshape(2, 3, -1);
    expectClose(arr(y.mean(-1)), new Array(6).fill(0), 1e-5);
    expectClose(arr(y.var(-1, { correction: 0 })), new Array(6).fill(1), 1e-3);
  });
  test('fused GroupNorm equals its composite definition (forward, float32 and float64)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tf.randn([3, 8, 5, 7], { dtype }).mul(2).add(0.5), w = tf.randn([8], { dtype }), b = tf.randn([8], { dtype });
      const fused = F.groupNorm(x, 4, w, b), comp = F.groupNorm(x, 4, w, b, 1e-5, { composite: true });
      expectClose(arr(fused), arr(comp), dtype === 'float32' ? 2e-5 : 1e-12, 0, dtype);
    }
    expectCode(() => F.groupNorm(tf.ones([2, 6, 3]), 4), 'TF_SHAPE_MISMATCH');
    expectCode(() => F.groupNorm(tf.ones([2, 6, 3]), 3, tf.ones([5])), 'TF_SHAPE_MISMATCH');
  });
  test('GroupNorm statistics of float32 data far from zero (one pass in double) match the float64 definition', () => {
    // |mean| / std = 1000: the one-pass variance in double keeps ~2^-53 * 1e6 relative error, far below float32's
    const x = tf.randn([2, 8, 6, 6]).add(1000);
    const y = F.groupNorm(x, 4), ref = F.groupNorm(x.to('float64'), 4);
    // float32 inputs near 1000 carry 6e-5 absolute rounding; normalised by std 1 that is the tolerance's scale
    expectClose(arr(y), arr(ref), 2e-4, 0, 'offset 1000');
  });
  test('groupNormSilu: one fused op, forward and first-order backward, equal to silu(groupNorm); finite differences; second order', () => {
    const x = tf.randn([3, 8, 5, 5]), w = tf.randn([8]), b = tf.randn([8]), r = tf.randn([3, 8, 5, 5]);
    expectArraysEqual(arr(F.groupNormSilu(x, 4, w, b)), arr(F.groupNorm(x, 4, w, b).silu()), 'no grad: one pass');
    const grads = (fused: boolean, dtype: 'float32' | 'float64') => {
      const [xv, wv, bv] = [x, w, b].map((t) => t.to(dtype).detach().requiresGrad_());
      const y = fused ? F.groupNormSilu(xv, 4, wv, bv) : F.groupNorm(xv, 4, wv, bv).silu();
      if (fused) expect(y.gradFn).toBe('GroupNormSiluBackward');
      y.mul(r.to(dtype)).sum().backward();
      return { y: arr(y), g: [xv, wv, bv].map((t) => arr(t.grad!)) };
    };
    for (const dtype of ['float32', 'float64'] as const) {
      const f = grads(true, dtype), two = grads(false, dtype);
      expectArraysEqual(f.y, two.y, `${dtype} forward`);
      // The fused backward forms SiLU's derivative and the group sums in double; the two ops round each of six
      // elementwise steps to the dtype. float32: a few ulps of |dx| ~ 1 per step, summed over a group of 50 -> 1e-5
      // absolute; float64: the same count of ulps at 2^-53.
      f.g.forEach((g, i) => expectClose(g, two.g[i], dtype === 'float32' ? 1e-5 : 1e-12, dtype === 'float32' ? 1e-5 : 1e-12, `${dtype} grad ${i}`));
    }
    // float64 central differences of sum(r * groupNormSilu) in a few entries of x, w and b (h = 1e-6: truncation
    // ~h^2 times the third derivative ~ 1e-12, rounding ~1e-16 |f| / h ~ 1e-9 for |f| ~ 10)
    const [x64, w64, b64, r64] = [x, w, b, r].map((t) => t.to('float64'));
    const an = grads(true, 'float64').g;
    const fd = (which: number, idx: number) => {
      const at = (delta: number) => {
        const ins = [x64, w64, b64].map((t) => arr(t).slice());
        ins[which][idx] += delta;
        const [xx, ww, bb] = ins.map((v, k) => tf.tensor(Array.from(v), { dtype: 'float64' }).reshape(...[x64, w64, b64][k].shape));
        return F.groupNormSilu(xx, 4, ww, bb).mul(r64).sum().item();
      };
      return (at(1e-6) - at(-1e-6)) / 2e-6;
    };
    for (const [which, idx] of [[0, 0], [0, 37], [0, 599], [1, 3], [2, 5]]) expect(Math.abs(fd(which, idx) - an[which][idx])).toBeLessThan(1e-7);
    // second order (createGraph): the backward differentiates the composite definition
    const secondOrder = (fused: boolean) => {
      const xv = x64.detach().requiresGrad_(), wv = w64.detach().requiresGrad_();
      const y = fused ? F.groupNormSilu(xv, 4, wv, b64) : F.groupNorm(xv, 4, wv, b64).silu();
      const [gx] = tf.autograd.grad(y.mul(r64).sum(), [xv], { createGraph: true });
      const [gw] = tf.autograd.grad(gx!.square().sum(), [wv]);
      return arr(gw!);
    };
    expectClose(secondOrder(true), secondOrder(false), 1e-10, 1e-10, 'second order');
  });
  test('groupNormModulated (FiLM / AdaGN): one pass without gradients and the ops with them, both equal to the ops bit for bit (float32 and float64, every ISA); float64 gradients of every input; bad modulations', () => {
    const x = tf.randn([3, 8, 5, 4]), w = tf.randn([8]), b = tf.randn([8]);
    const e = tf.randn([3, 16]);  // scale and shift as a model slices them: non-contiguous views
    const scale = e.narrow(1, 0, 8).add(1), shift = e.narrow(1, 8, 8);
    const col = (v: Tensor) => v.reshape(3, 8, 1, 1);
    for (const silu of [false, true]) forEachIsa((isa) => {
      const ops = F.groupNorm(x, 4, w, b).mul(col(scale)).add(col(shift));
      const want = silu ? ops.silu() : ops;
      const fused = tf.noGrad(() => F.groupNormModulated(x, 4, w, b, scale, shift, { silu }));
      // a JVP's primal (the ops) and a plain forward (fused) must agree exactly: sCM compares them
      expectArraysEqual(arr(fused), arr(want), `${isa} fused, silu ${silu}`);
      const xg = x.detach().requiresGrad_();
      const withGrad = F.groupNormModulated(xg, 4, w, b, scale, shift, { silu });
      const opsGrad = F.groupNorm(xg, 4, w, b).mul(col(scale)).add(col(shift));
      expectArraysEqual(arr(withGrad), arr(silu ? opsGrad.silu() : opsGrad), `${isa} ops with gradients, silu ${silu}`);
    });
    // float64: the fused pass, and gradients of x, w, b, scale and shift by central differences
    const x64 = randn64(2, 6, 3, 3), w64 = randn64(6), b64 = randn64(6), s64 = randn64(2, 6), t64 = randn64(2, 6);
    const f64 = tf.noGrad(() => F.groupNormModulated(x64, 3, w64, b64, s64, t64, { silu: true }));
    const o64 = F.groupNorm(x64, 3, w64, b64).mul(s64.reshape(2, 6, 1, 1)).add(t64.reshape(2, 6, 1, 1)).silu();
    expectArraysEqual(arr(f64), arr(o64), 'float64 fused');
    gradcheck((xx, ww, bb, ss, tt) => F.groupNormModulated(xx, 3, ww, bb, ss, tt, { silu: true }), [x64, w64, b64, s64, t64], { label: 'groupNormModulated' });
    expectCode(() => F.groupNormModulated(x, 4, w, b, tf.ones([3, 7]), shift), 'TF_SHAPE_MISMATCH');
    expectCode(() => F.groupNormModulated(x, 4, w, b, scale.to('float64'), shift), 'TF_DTYPE');
    expectCode(() => F.groupNorm(x, 4, w, b, 1e-5, { scale }), 'TF_INVALID_ARGUMENT');
    expectCode(() => F.groupNormModulated(x, 3, w, b, scale, shift), 'TF_SHAPE_MISMATCH');
  });
  test('groupNorm with codes: the uint8 codes quantize() gives the float32 result, bit for bit (plain, SiLU, modulated; every ISA, odd row lengths); no gradient, bad codings', () => {
    // The codes an int8 layer computes from the float32 output (quantize, round half to even, clamped to
    // [0, 255]) are what the coded pass must write: equality, not closeness. Scales coarse enough that the
    // outputs clamp at both ends, and a tie case: y = k + 0.5 exactly (x / rstd chosen so the norm gives halves).
    const x = tf.randn([3, 8, 5, 7]).mul(2), w = tf.randn([8]), b = tf.randn([8]);
    const e = tf.randn([3, 16]);
    const scale = e.narrow(1, 0, 8).add(1), shift = e.narrow(1, 8, 8);
    const q = (t: Tensor, c: { scale: number; zeroPoint: number }) => tf.quant.quantize(t, c.scale, c.zeroPoint, { dtype: 'uint8' });
    for (const c of [{ scale: 0.02, zeroPoint: 128 }, { scale: 0.013, zeroPoint: 3 }, { scale: 0.5, zeroPoint: 255 }]) forEachIsa((isa) => {
      tf.noGrad(() => {
        const plain = F.groupNorm(x, 4, w, b, 1e-5, { codes: c });
        expect(plain.dtype).toBe('uint8');
        expectArraysEqual(arr(plain), arr(q(F.groupNorm(x, 4, w, b), c)), `${isa} plain ${c.scale}`);
        expectArraysEqual(arr(F.groupNormSilu(x, 4, w, b, 1e-5, { codes: c })), arr(q(F.groupNormSilu(x, 4, w, b), c)), `${isa} silu ${c.scale}`);
        for (const silu of [false, true])
          expectArraysEqual(arr(F.groupNormModulated(x, 4, w, b, scale, shift, { silu, codes: c })),
            arr(q(F.groupNormModulated(x, 4, w, b, scale, shift, { silu }), c)), `${isa} modulated silu ${silu} ${c.scale}`);
      });
    });
    // ties: groups of two values {-1, 1} normalise to exactly -1 and 1 (eps 0), w = 1.5, b = 0 gives +-1.5 and
    // scale 1 puts them on the half-integer: codes 126 and 130 (half to even: -1.5 -> -2, 1.5 -> 2) from zero point 128
    const xt = tf.tensor([-1, 1, 1, -1], { dtype: 'float32' }).reshape(1, 2, 2, 1);
    const tie = tf.noGrad(() => F.groupNorm(xt, 2, tf.full([2], 1.5), tf.zeros([2]), 0, { codes: { scale: 1, zeroPoint: 128 } }));
    expect(arr(tie)).toEqual([126, 130, 130, 126]);
    // float layers take no codes: nothing asks the norms for them
    expect(new nn.MultiheadAttention(8, 2).sharedInputCoding()).toBeNull();
    expect(nn.inputCoding(new nn.Conv2d(4, 4, 3))).toBeNull();
    expect(nn.outputCoding(new nn.Conv2d(4, 4, 3))).toBeNull();
    // the module forms fall back to float32 when something is differentiated (the int8 layer codes it itself)
    const gn = new nn.GroupNorm(4, 8);
    expect(gn.forwardSilu(x, { scale: 0.02, zeroPoint: 128 }).dtype).toBe('float32');
    expect(tf.noGrad(() => gn.forwardSilu(x, { scale: 0.02, zeroPoint: 128 })).dtype).toBe('uint8');
    expectArraysEqual(arr(tf.noGrad(() => gn.forwardSilu(x, { scale: 0.02, zeroPoint: 128 }))), arr(q(gn.forwardSilu(x), { scale: 0.02, zeroPoint: 128 })), 'module');
    // the functional form is explicit: an error instead of a silent float32
    const wg = w.detach().requiresGrad_();
    expectCode(() => F.groupNorm(x, 4, wg, b, 1e-5, { codes: { scale: 0.1, zeroPoint: 0 } }), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.noGrad(() => F.groupNorm(x.to('float64'), 4, null, null, 1e-5, { codes: { scale: 0.1, zeroPoint: 0 } })), 'TF_DTYPE');
    for (const bad of [{ scale: 0, zeroPoint: 0 }, { scale: NaN, zeroPoint: 0 }, { scale: 1e40, zeroPoint: 0 }, { scale: -1, zeroPoint: 0 },
      { scale: 0.1, zeroPoint: 256 }, { scale: 0.1, zeroPoint: -1 }, { scale: 0.1, zeroPoint: 1.5 }])
      expectCode(() => tf.noGrad(() => F.groupNorm(x, 4, w, b, 1e-5, { codes: bad })), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.noGrad(() => F.groupNorm(x, 4, w, b, 1e-5, { composite: true, codes: { scale: 0.1, zeroPoint: 0 } })), 'TF_INVALID_ARGUMENT');
  });
  test('groupNorm with inputCodes: uint8 codes normalised as their dequantize() would be, bit for bit (plain, SiLU, modulated, coded out too; every ISA); errors', () => {
    const ic = { scale: 0.037, zeroPoint: 91 }, oc = { scale: 0.02, zeroPoint: 128 };
    const codes = tf.randint(0, 256, [3, 8, 5, 7], { dtype: 'uint8' });
    const dec = tf.quant.dequantize(codes, ic.scale, ic.zeroPoint);
    const w = tf.randn([8]), b = tf.randn([8]), e = tf.randn([3, 16]);
    const scale = e.narrow(1, 0, 8).add(1), shift = e.narrow(1, 8, 8);
    forEachIsa((isa) => tf.noGrad(() => {
      for (const c of [null, oc]) {
        const o = { codes: c, inputCodes: ic };
        expectArraysEqual(arr(F.groupNorm(codes, 4, w, b, 1e-5, o)), arr(F.groupNorm(dec, 4, w, b, 1e-5, { codes: c })), `${isa} plain ${!!c}`);
        expectArraysEqual(arr(F.groupNormSilu(codes, 4, w, b, 1e-5, o)), arr(F.groupNormSilu(dec, 4, w, b, 1e-5, { codes: c })), `${isa} silu ${!!c}`);
        expectArraysEqual(arr(F.groupNormModulated(codes, 4, w, b, scale, shift, { silu: true, ...o })),
          arr(F.groupNormModulated(dec, 4, w, b, scale, shift, { silu: true, codes: c })), `${isa} modulated ${!!c}`);
      }
    }));
    // the module decodes first when something is differentiated, and gives the same values
    const gn = new nn.GroupNorm(4, 8);
    const viaGrad = gn.forwardModulated(codes, scale, shift, true, null, ic);
    expect(viaGrad.dtype).toBe('float32');
    expect(viaGrad.requiresGrad).toBe(true);
    expectArraysEqual(arr(viaGrad), arr(tf.noGrad(() => gn.forwardModulated(codes, scale, shift, true, null, ic))), 'module, grad vs none');
    expectCode(() => tf.noGrad(() => F.groupNorm(codes, 4, w, b)), 'TF_DTYPE');
    expectCode(() => tf.noGrad(() => gn.forwardSilu(codes)), 'TF_DTYPE');
    expectCode(() => tf.noGrad(() => F.groupNorm(dec, 4, w, b, 1e-5, { inputCodes: ic })), 'TF_DTYPE');
    expectCode(() => tf.noGrad(() => F.groupNorm(codes, 4, w, b, 1e-5, { inputCodes: { scale: 0.1, zeroPoint: 300 } })), 'TF_INVALID_ARGUMENT');
    expectCode(() => tf.noGrad(() => F.groupNorm(codes, 4, w.to('float64'), b, 1e-5, { inputCodes: ic })), 'TF_DTYPE');
    expectCode(() => F.groupNorm(codes, 4, w.detach().requiresGrad_(), b, 1e-5, { inputCodes: ic }), 'TF_INVALID_ARGUMENT');
  });
  test('GroupNorm forward, plain and with the fused SiLU: every ISA\'s float32 rows match the float64 op', () => {
    // Per group the rows sum x and x^2 in double lanes (exact products of floats, 2^-53 relative sums), then write
    // y = x * a + b with a = rstd w, b = beta - mu a, each rounded to float32: at most ~6 roundings of values up to
    // M = max |x| rstd |w| + |beta| (the offset-1000 case: M ~ 700 |w|, where the cancellation in x a + b leaves
    // y = O(1) with an error of M 2^-24 per rounding), and SiLU's 4-ulp exp and division on top. The bound is
    // computed from the data (a fixed one failed on draws with a large |w|). S = 99 leaves a 3-element tail after
    // 6 vectors of 16.
    const w = tf.randn([8]), b = tf.randn([8]);
    const wa = arr(w).map(Math.abs), ba = arr(b).map(Math.abs);
    for (const offset of [0.3, 1000]) {
      const x = tf.randn([2, 8, 9, 11]).mul(1.5).add(offset);
      const x64 = x.to('float64').reshape(2, 4, -1);
      const rstd = arr(x64.var([2], { correction: 0 }).add(1e-5).rsqrt()), xmax = arr(x64.abs().amax(2));
      let M = 0;
      for (let n = 0; n < 2; n++) for (let c = 0; c < 8; c++) { const g = n * 4 + (c >> 1); M = Math.max(M, xmax[g] * rstd[g] * wa[c] + ba[c]); }
      for (const silu of [false, true]) {
        const f = (xv: Tensor, wv: Tensor, bv: Tensor) => (silu ? F.groupNormSilu(xv, 4, wv, bv) : F.groupNorm(xv, 4, wv, bv));
        const want = arr(f(x.to('float64'), w.to('float64'), b.to('float64')));
        const ymax = Math.max(...want.map(Math.abs));
        const tol = 6 * 2 ** -24 * M + (silu ? 8 * 2 ** -24 * ymax : 0) + 1e-7;
        forEachIsa((isa) => {
          const got = arr(f(x, w, b));
          const worst = Math.max(...got.map((v, j) => Math.abs(v - want[j])));
          expect({ isa, offset, silu, ok: worst <= tol, worst, tol }).toEqual({ isa, offset, silu, ok: true, worst, tol });
        });
      }
    }
  });
  test('GroupNorm backward, plain and with the fused SiLU: every ISA\'s float32 rows within 1e-5 of the float64 result', () => {
    // float32 inputs are exact in float64, so the float64 op (double loops) is the oracle. The float32 rows round
    // xhat, SiLU's derivative (4 ulp exp), gz and dx once or twice each and sum 16 vectors in float lanes before
    // going to double: errors of a few eps to ~16 eps of quantities bounded by max |grad|; 1e-5 (~84 eps) of the
    // largest entry leaves room, and a wrong row (index, tail, missing term) errs by O(1).
    const x = tf.randn([2, 8, 9, 11]).mul(1.5).add(0.3), w = tf.randn([8]), b = tf.randn([8]), r = tf.randn([2, 8, 9, 11]);
    const run = (silu: boolean, dtype: 'float32' | 'float64') => {
      const [xv, wv, bv] = [x, w, b].map((t) => t.to(dtype).detach().requiresGrad_());
      (silu ? F.groupNormSilu(xv, 4, wv, bv) : F.groupNorm(xv, 4, wv, bv)).mul(r.to(dtype)).sum().backward();
      return [xv, wv, bv].map((t) => arr(t.grad!));
    };
    for (const silu of [false, true]) {
      const want = run(silu, 'float64');
      forEachIsa((isa) => {
        run(silu, 'float32').forEach((g, i) => {
          const scale = Math.max(...want[i].map(Math.abs));
          const worst = Math.max(...g.map((v, j) => Math.abs(v - want[i][j])));
          expect({ isa, silu, i, ok: worst <= 1e-5 * scale }).toEqual({ isa, silu, i, ok: true });
        });
      });
    }
  });
  test('GroupNorm tangent: the fused rule equals the composite one, and stays differentiable when needed', () => {
    const x = randn64(2, 6, 3, 3), w = randn64(6), b = randn64(6), tx = randn64(2, 6, 3, 3), tw = randn64(6), tb = randn64(6);
    const [, [fused]] = tf.func.jvp((a, c, d) => F.groupNorm(a, 3, c, d), [x, w, b], [tx, tw, tb]);
    const [, [comp]] = tf.func.jvp((a, c, d) => F.groupNorm(a, 3, c, d, 1e-5, { composite: true }), [x, w, b], [tx, tw, tb]);
    expectClose(arr(fused), arr(comp), 1e-12, 1e-12);
    // reverse mode through the tangent (weight requires grad): composite path, checked against the composite op
    const wr = w.detach().requiresGrad_();
    const [, [t1]] = tf.func.jvp((a) => F.groupNorm(a, 3, wr, b), [x], [tx]);
    const [g1] = tf.autograd.grad(t1.square().sum(), [wr]);
    const wr2 = w.detach().requiresGrad_();
    const [, [t2]] = tf.func.jvp((a) => F.groupNorm(a, 3, wr2, b, 1e-5, { composite: true }), [x], [tx]);
    const [g2] = tf.autograd.grad(t2.square().sum(), [wr2]);
    expectClose(arr(g1!), arr(g2!), 1e-12, 1e-12);
  });
  test('the fused GroupNorm says when it falls back to its composite definition (TENSORFIELD_DEBUG)', () => {
    const { spawnSync } = require('child_process');
    const addon = require('path').join(__dirname, '..', 'build', 'Release', 'tensorfield.node');
    const code = `const t = require(${JSON.stringify(addon)});
      const x = t.randn([2, 4, 3], 'float64'), v = t.randn([2, 4, 3], 'float64');
      const w = t.ones([4], 'float64'); t.setRequiresGrad(w, true);
      const lv = t.enterDualLevel(); const d = t.makeDual(x, v); t.groupNorm(d, 2, w, null, 1e-5); t.exitDualLevel(lv);`;
    const r = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, TENSORFIELD_DEBUG: '1' }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('group_norm: forward mode (jvp) uses the composite definition');
    const quiet = spawnSync(process.execPath, ['-e', code], { env: { ...process.env, TENSORFIELD_DEBUG: '' }, encoding: 'utf8' });
    expect(quiet.stderr).toBe('');
  });
  test('LayerNorm / RMSNorm', () => {
    const x = randn64(3, 5).mul(2).add(1);
    const y = F.layerNorm(x, [5]);
    expectClose(arr(y.mean(-1)), [0, 0, 0], 1e-12);
    const r = F.rmsNorm(x, null, 0);
    expectClose(arr(r.square().mean(-1)), [1, 1, 1], 1e-12);
  });
  test('attention equals a naive composition, with causal and additive masks', () => {
    const q = randn64(2, 4, 3), k = randn64(2, 5, 3), v = randn64(2, 5, 2);
    const naive = (mask: (i: number, j: number) => boolean) => {
      const Q = arr(q), K = arr(k), V = arr(v), out: number[] = [];
      for (let b = 0; b < 2; b++) for (let i = 0; i < 4; i++) {
        const s = [];
        for (let j = 0; j < 5; j++) {
          let d = 0;
          for (let c = 0; c < 3; c++) d += Q[(b * 4 + i) * 3 + c] * K[(b * 5 + j) * 3 + c];
          s.push(mask(i, j) ? d / Math.sqrt(3) : -Infinity);
        }
        const m = Math.max(...s), e = s.map((z) => Math.exp(z - m)), z = e.reduce((a, c) => a + c, 0);
        for (let c = 0; c < 2; c++) out.push(e.reduce((acc, w, j) => acc + (w / z) * V[(b * 5 + j) * 2 + c], 0));
      }
      return out;
    };
    expectClose(arr(F.scaledDotProductAttention(q, k, v)), naive(() => true), 1e-12);
    expectClose(arr(F.scaledDotProductAttention(q, k, v, { causal: true })), naive((i, j) => j <= i + 1), 1e-12);
    const keep = tf.tensor([[1, 1, 0, 1, 0]], { dtype: 'uint8' });
    expectClose(arr(F.scaledDotProductAttention(q, k, v, { mask: keep })), naive((_i, j) => [1, 1, 0, 1, 0][j] === 1), 1e-12);
  });
  test('fused attention equals its composite definition (float32 and float64, causal)', () => {
    for (const dtype of ['float32', 'float64'] as const) for (const causal of [false, true]) {
      const q = tf.randn([2, 3, 7, 8], { dtype }), k = tf.randn([2, 3, 9, 8], { dtype }), v = tf.randn([2, 3, 9, 5], { dtype });
      const fused = F.scaledDotProductAttention(q, k, v, { causal });
      const comp = F.scaledDotProductAttention(q, k, v, { causal, composite: true });
      expectClose(arr(fused), arr(comp), dtype === 'float32' ? 1e-5 : 1e-13, 0, `${dtype} causal=${causal}`);
    }
    expectCode(() => F.scaledDotProductAttention(tf.ones([2, 3, 4]), tf.ones([2, 3, 5]), tf.ones([2, 3, 4])), 'TF_SHAPE_MISMATCH');
  });
  test('MultiheadAttention: shapes, cross-attention, and heads = independent attentions', () => {
    const mha = new nn.MultiheadAttention(8, 2, { contextDim: 6 });
    const x = tf.randn([3, 5, 8]), ctx = tf.randn([3, 7, 6]);
    expect(mha.forward(x, ctx).shape).toEqual([3, 5, 8]);
    const self1 = new nn.MultiheadAttention(4, 1);
    expect(self1.forward(tf.randn([2, 3, 4]), null, { causal: true }).shape).toEqual([2, 3, 4]);
  });
  test('upsampling: nearest repeats; bilinear matches PyTorch (align_corners=False)', () => {
    const x = tf.tensor([[[[1, 2], [3, 4]]]]);
    expect(F.upsampleNearest(x, 2).toArray()).toEqual([[[[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]]]);
    expectClose(arr(F.upsampleBilinear(x, 2)), [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4], 1e-6);
    expectClose(arr(F.upsampleBilinear(x, 2, true)), [1, 4 / 3, 5 / 3, 2, 5 / 3, 2, 7 / 3, 8 / 3, 7 / 3, 8 / 3, 3, 10 / 3, 3, 10 / 3, 11 / 3, 4], 1e-6);
  });
  test('avgPool2d and Conv1d', () => {
    const x = tf.arange(16).reshape(1, 1, 4, 4);
    expect(F.avgPool2d(x, 2).toArray()).toEqual([[[[2.5, 4.5], [10.5, 12.5]]]]);
    const c = new nn.Conv1d(2, 3, 3, { padding: 1 });
    expect(c.forward(tf.randn([4, 2, 10])).shape).toEqual([4, 3, 10]);
  });
  test('Dropout keeps the mean, zeroes ~p, and is the identity in eval mode', () => {
    const d = new nn.Dropout(0.3);
    const y = d.forward(tf.ones([100000]));
    const zeros = arr(y.eq(0).float().mean())[0];
    expect(Math.abs(zeros - 0.3)).toBeLessThan(6 * Math.sqrt(0.3 * 0.7 / 1e5));
    expect(Math.abs(y.mean().item() - 1)).toBeLessThan(0.02);
    d.eval();
    expect(arr(d.forward(tf.ones([5])))).toEqual([1, 1, 1, 1, 1]);
  });
  test('Embedding, time embeddings, adaptive norm, GRU cell, attention block shapes', () => {
    const e = new nn.Embedding(10, 4);
    const idx = tf.tensor([[1, 9], [0, 1]], { dtype: 'int32' });
    const y = e.forward(idx);
    expect(y.shape).toEqual([2, 2, 4]);
    expect(arr(y.select(0, 0).select(0, 0))).toEqual(arr(e.weight.select(0, 1)));
    const s = new nn.SinusoidalEmbedding(8).forward(tf.tensor([0, 1]));
    expect(arr(s.select(0, 0))).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(new nn.FourierFeatures(16).forward(tf.rand([3])).shape).toEqual([3, 16]);
    expect(new nn.PositionalEmbedding(10, 4, 'sinusoidal').forward(tf.zeros([2, 5, 4])).shape).toEqual([2, 5, 4]);
    const an = new nn.AdaptiveGroupNorm(2, 4, 3);
    const xi = tf.randn([2, 4, 3, 3]);
    expectClose(arr(an.forward(xi, tf.randn([2, 3]))), arr(F.groupNorm(xi, 2)), 1e-6);  // zero-initialised projection
    expect(new nn.GRUCell(3, 5).forward(tf.randn([2, 3])).shape).toEqual([2, 5]);
    expect(new nn.AttentionBlock2d(8, 2).forward(tf.randn([1, 8, 4, 4])).shape).toEqual([1, 8, 4, 4]);
    expect(new nn.ConvTranspose2d(4, 2, 4, { stride: 2, padding: 1 }).forward(tf.randn([1, 4, 5, 5])).shape).toEqual([1, 2, 10, 10]);
    expect(new nn.Upsample(2, 'bilinear').forward(tf.randn([1, 2, 3, 3])).shape).toEqual([1, 2, 6, 6]);
  });
});

describe('functional layers: float64 gradient and JVP checks', () => {
  const cases: [string, (...x: Tensor[]) => Tensor, () => Tensor[]][] = [
    ['groupNorm', (x, w, b) => F.groupNorm(x, 2, w, b), () => [randn64(2, 4, 3, 3), randn64(4), randn64(4)]],
    ['layerNorm', (x, w, b) => F.layerNorm(x, [3, 4], w, b), () => [randn64(2, 3, 4), randn64(3, 4), randn64(3, 4)]],
    ['rmsNorm', (x, w) => F.rmsNorm(x, w), () => [randn64(3, 5), randn64(5)]],
    ['attention causal', (q, k, v) => F.scaledDotProductAttention(q, k, v, { causal: true }), () => [randn64(2, 3, 4), randn64(2, 3, 4), randn64(2, 3, 2)]],
    ['upsampleBilinear', (x) => F.upsampleBilinear(x, 2), () => [randn64(1, 2, 3, 3)]],
    ['upsampleNearest', (x) => F.upsampleNearest(x, 2), () => [randn64(1, 2, 2, 3)]],
    ['avgPool2d', (x) => F.avgPool2d(x, 2, 1, 1), () => [randn64(1, 2, 4, 4)]],
    ['embedding', (w) => F.embedding(tf.tensor([[0, 2], [2, 1]], { dtype: 'int32' }), w), () => [randn64(3, 4)]],
    ['sinusoidal embedding', (t) => F.sinusoidalEmbedding(t, 6), () => [randn64(4)]],
  ];
  test.each(cases)('%s gradcheck', (_n, f, mk) => gradcheck(f, mk()));
  test.each(cases)('%s jvp', (_n, f, mk) => jvpcheck(f, mk()));
  test('GRU cell (module in float64) gradcheck on its input', () => {
    const cell = new nn.GRUCell(3, 4);
    for (const [, p] of cell.namedParameters()) p.requiresGrad = false;
    const toF64 = (l: nn.Linear) => { (l as { weight: Tensor }).weight = l.weight.double(); (l as { bias: Tensor | null }).bias = l.bias!.double(); };
    toF64(cell.ih); toF64(cell.hh);
    gradcheck((x, h) => cell.forward(x, h), [randn64(2, 3), randn64(2, 4)]);
  });
});
