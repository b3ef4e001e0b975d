// The device axis (backend/backend.h, core/context.h): tensors carry a device, `.to(device)` moves them, every
// op runs on its inputs' device and refuses a mix with TF_DEVICE. The numerics of the 'ref' device against 'cpu'
// are in test/conformance.test.ts.
import * as tf from '../lib';
import { arr, expectArraysEqual, expectCode } from './helpers';

test('this build runs cpu and ref', () => {
  expect(tf.info().devices).toEqual(['cpu', 'ref']);
  expect(tf.zeros([2]).device).toBe('cpu');
});

test('.to(device) copies to the device and back; the same tensor when already there', () => {
  const a = tf.randn([3, 4]);
  const r = a.to('ref');
  expect(r.device).toBe('ref');
  expect(r.sharesStorage(a)).toBe(false);
  expect(r.to('ref').sharesStorage(r)).toBe(true);
  expectArraysEqual(arr(r.to('cpu')), arr(a), 'device line 18');
  // a strided source, and reading a ref tensor's values directly (data() of a non-contiguous one copies on ref)
  const t = a.T.to('ref');
  expect(t.shape).toEqual([4, 3]);
  expectArraysEqual(arr(t), arr(a.T), 'device line 22');
  expect(t.T.contiguous().device).toBe('ref');
  expect(r.sum().item()).toBeCloseTo(a.sum().item(), 5);
});

test("every output of an op on 'ref' tensors is on 'ref', views and in-place updates included", () => {
  const r = tf.randn([4, 5]).to('ref');
  for (const y of [r.exp(), r.add(1), tf.sub(2, r), r.sum(0), r.T, r.reshape(20), r.select(0, 1), r.matmul(r.T),
    r.softmax(1), tf.where(r.gt(0), r, 0), tf.cat([r, r]), tf.stack([r, r]), r.argmax(1), r.clone(), r.to('float64')])
    expect(y.device).toBe('ref');
  const before = arr(r);
  r.add_(1);
  expectArraysEqual(arr(r), before.map((v) => Math.fround(v + 1)), 'device line 34');
});

test('mixing devices in one call is TF_DEVICE, naming both; an unknown device too', () => {
  const c = tf.ones([2]), r = tf.ones([2]).to('ref');
  expectCode(() => c.add(r), 'TF_DEVICE');
  expectCode(() => r.mul(c), 'TF_DEVICE');
  expectCode(() => tf.ones([2, 2]).matmul(tf.ones([2, 2]).to('ref')), 'TF_DEVICE');
  expectCode(() => tf.cat([c, r]), 'TF_DEVICE');
  expectCode(() => tf.where(c.gt(0), r, r), 'TF_DEVICE');
  expectCode(() => c.add_(r), 'TF_DEVICE');
  expect(() => c.add(r)).toThrow(/cpu and ref/);
  expectCode(() => c.to('tpu' as 'cpu'), 'TF_DTYPE');
  expectCode(() => c.to('cuda'), 'TF_DEVICE');
});

test('gradients flow back through .to() to the source device, in reverse and forward mode', () => {
  const x = tf.randn([5], { requiresGrad: true });
  const y = x.to('ref').square().sum();
  expect(y.device).toBe('ref');
  y.backward();
  expect(x.grad!.device).toBe('cpu');
  expectArraysEqual(arr(x.grad!), arr(x).map((v) => Math.fround(2 * v)), 'device line 56');
  const [[out], [tan]] = tf.func.jvp((t: tf.Tensor) => t.to('ref').mul(3), [x.detach()], [tf.ones([5])]);
  expect(out.device).toBe('ref');
  expect(tan.device).toBe('ref');
  expect(arr(tan)).toEqual([3, 3, 3, 3, 3]);
});

test('a graph that crosses devices: each backward node runs on the device its forward ran on', () => {
  // before: the backward of the 'ref' part ran on the call's device (cpu) and mixed devices (TF_DEVICE)
  const x = tf.tensor([0.5, -1.25, 2], { dtype: 'float64', requiresGrad: true });
  x.to('ref').square().to('cpu').mul(x).sum().backward();
  expect(x.grad!.device).toBe('cpu');
  arr(x.grad!).forEach((g, i) => expect(g).toBeCloseTo(3 * arr(x)[i] ** 2, 12));
  const [g2] = tf.autograd.grad(x.to('ref').square().sum(), [x], { createGraph: true });
  expect(g2!.device).toBe('cpu');
  const [h] = tf.autograd.grad(g2!.sum(), [x]);  // second order through both devices
  expect(arr(h!)).toEqual([2, 2, 2]);
});

test("backward with a gradient on another device than its output is TF_DEVICE", () => {
  const x = tf.randn([3], { requiresGrad: true });
  const y = x.to('ref').mul(2);
  expectCode(() => y.backward(tf.ones([3])), 'TF_DEVICE');
  y.backward(tf.ones([3]).to('ref'));
  expect(arr(x.grad!)).toEqual([2, 2, 2]);
});

test("factories take { device }, the ...Like factories keep their input's, and an optimizer's state follows its parameters", () => {
  const made = [tf.zeros([2, 3], { device: 'ref' }), tf.ones([2], { device: 'ref' }), tf.full([2], 7, { device: 'ref' }),
    tf.empty([2], { device: 'ref' }), tf.arange(0, 5, 1, { device: 'ref' }), tf.linspace(0, 1, 5, { device: 'ref' }),
    tf.eye(3, 4, { device: 'ref' }), tf.rand([3], { device: 'ref' }), tf.randn([3], { device: 'ref' }),
    tf.randint(0, 9, [3], { device: 'ref' }), tf.tensor([1, 2, 3], { device: 'ref' })];
  for (const t of made) expect(t.device).toBe('ref');
  expect(arr(tf.eye(3, 4, { device: 'ref' }).to('cpu'))).toEqual(arr(tf.eye(3, 4)));
  expect(arr(tf.linspace(-1, 2, 7, { device: 'ref' }).to('cpu'))).toEqual(arr(tf.linspace(-1, 2, 7)));
  const x = tf.randn([4], { device: 'ref' });
  for (const t of [tf.zerosLike(x), tf.onesLike(x), tf.fullLike(x, 2), tf.randLike(x), tf.randnLike(x)]) expect(t.device).toBe('ref');
  expect(tf.zerosLike(x, { device: 'cpu' }).device).toBe('cpu');
  // the generator is counter-based: the same state gives the same numbers on either device
  tf.manualSeed(4);
  const want = arr(tf.randn([100]));
  tf.manualSeed(4);
  expectArraysEqual(arr(tf.randn([100], { device: 'ref' }).to('cpu')), want, 'randn on ref');
  expectCode(() => tf.zeros([2], { device: 'tpu' as never }), 'TF_DEVICE');
  // a number count is made where the probabilities are
  expect(tf.binomial(5, tf.rand([3], { device: 'ref' })).device).toBe('ref');
  const p = tf.randn([5], { device: 'ref' }).requiresGrad_();
  const opt = new tf.optim.Adam([p], { lr: 0.1 });
  p.square().sum().backward();
  opt.step();
  expect(p.device).toBe('ref');
});

// Models made on the CPU and moved with toDevice('ref') must run there end to end: every tensor a forward pass
// makes for itself (time embeddings, dropout masks, attention masks, interpolation matrices, GRU state) is made
// on its input's device. ref and cpu run different float32 kernels (Winograd and SIMD sums on cpu), so outputs
// of O(1) agree to ~1e-6, not bit for bit; 1e-5 allows ten times the largest difference seen (4.2e-7).
test("models moved with toDevice('ref') give the CPU's outputs and train there; helpers follow their input's device", () => {
  const close = (a: tf.Tensor, b: tf.Tensor) => expect(a.to('cpu').sub(b).abs().amax().item()).toBeLessThan(1e-5);
  const cases: [string, () => tf.nn.Module & { forward: (...x: tf.Tensor[]) => tf.Tensor }, () => tf.Tensor[]][] = [
    ['unet', () => new tf.nn.models.UNet({ inChannels: 1, imageSize: 8, baseChannels: 16, channelMult: [1, 2], numResBlocks: 1,
      attnResolutions: [4], groups: 4 }), () => [tf.randn([2, 1, 8, 8]), tf.rand([2])]],
    ['mlp', () => new tf.nn.models.MLPDenoiser({ dim: 2, hidden: 32, layers: 3 }), () => [tf.randn([4, 2]), tf.rand([4])]],
    ['transformer', () => new tf.nn.models.Transformer({ vocabSize: 20, dim: 16, heads: 2, depth: 1, maxLen: 8, causal: true }),
      () => [tf.randint(0, 20, [2, 8], { dtype: 'int32' })]],
  ];
  for (const [, make, inputs] of cases) {
    tf.manualSeed(1);
    const m = make().eval(), ins = inputs();
    const want = m.forward(...ins);
    expect(m.toDevice('ref')).toBe(m);
    for (const p of m.parameters()) expect(p.device).toBe('ref');
    const got = m.forward(...ins.map((t) => t.to('ref')));
    expect(got.device).toBe('ref');
    close(got, want);
    // one training step on ref: gradients and optimizer state stay there
    const opt = new tf.optim.Adam(m.parameters(), { lr: 1e-3 });
    m.forward(...ins.map((t) => t.to('ref'))).float().square().mean().backward();
    opt.step();
    for (const p of m.parameters()) expect(p.device).toBe('ref');
    m.toDevice('cpu');
    expect(m.parameters()[0].device).toBe('cpu');
    m.dispose();
  }
  // functional pieces that build tensors of their own
  const x = tf.randn([2, 3, 4, 4]);
  close(tf.nn.functional.upsampleBilinear(x.to('ref'), 2), tf.nn.functional.upsampleBilinear(x, 2));
  expect(tf.nn.functional.dropout(x.to('ref'), 0.5, true).device).toBe('ref');
  const q = tf.randn([1, 5, 8]);
  close(tf.nn.functional.scaledDotProductAttention(q.to('ref'), q.to('ref'), q.to('ref'), { causal: true, composite: true }),
    tf.nn.functional.scaledDotProductAttention(q, q, q, { causal: true, composite: true }));
  const gru = new tf.nn.GRUCell(3, 5).toDevice('ref');
  expect(gru.forward(tf.randn([2, 3], { device: 'ref' })).device).toBe('ref');
  const f = (v: tf.Tensor) => v.sin().mul(v);
  const v = tf.randn([2, 3]);
  close(tf.func.jacobian(f, v.to('ref')), tf.func.jacobian(f, v));
  close(tf.func.divergence(f, v.to('ref'), { method: 'hutchinson' }).mul(0), tf.zeros([2]));
  const c = tf.samplers.preconditioningTensor('vp', tf.rand([3], { device: 'ref' }).add(0.1));
  expect(c.cNoise.device).toBe('ref');
  expectCode(() => new tf.nn.Linear(2, 2).toDevice('tpu'), 'TF_DEVICE');
});

test('a gradient summed from two uses (fan-out) stays on its device', () => {
  // The engine added the two contributions on the context's device (the call's: 'cpu' here, as the root and the
  // leaf are on cpu), so the sum for the 'ref' tensor was labelled 'cpu' and the next 'ref' node refused it.
  const x = tf.randn([3], { dtype: 'float64' }).requiresGrad_();
  const xr = x.to('ref');
  const z = xr.exp();  // used twice below; its backward multiplies by the saved (ref) output
  const y = z.mul(z.sin()).to('cpu').sum();
  const [g] = tf.autograd.grad(y, [x]);
  expect(g!.device).toBe('cpu');
  const xv = Array.from(x.dataSync() as Float64Array);
  const want = xv.map((v) => { const e = Math.exp(v); return e * (Math.sin(e) + e * Math.cos(e)); });
  Array.from(g!.dataSync() as Float64Array).forEach((v, i) => expect(v).toBeCloseTo(want[i], 12));
});
