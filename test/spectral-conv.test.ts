// nn.SpectralConv1d (lib/nn/spectral.ts) against an explicit real-DFT implementation written with matmuls here:
// values, gradients in x and in the weights, and the layer's identities.
import * as tf from '../lib';
import { Tensor } from '../lib';
import { expectClose, expectCode, gradcheck, jvpcheck } from './helpers';

beforeAll(() => tf.manualSeed(5));

// y = irfft(W_k x_k for k < K) by the definitions: X_k = sum_t x_t e^(-i theta k t), Y_k = sum_c X_k[c] W[c, o, k],
// y_t = (1/T) sum_k a_k Re(Y_k e^(i theta k t)), a_k = 1 for DC and Nyquist (imaginary part dropped), 2 otherwise.
function explicit(x: Tensor, w: Tensor, T: number, K: number): Tensor {
  const C = new Float64Array(T * K), S = new Float64Array(T * K), Ci = new Float64Array(K * T), Si = new Float64Array(K * T);
  for (let t = 0; t < T; t++) for (let k = 0; k < K; k++) {
    const a = 2 * Math.PI * ((k * t) % T) / T, edge = k === 0 || 2 * k === T;
    C[t * K + k] = Math.cos(a); S[t * K + k] = -Math.sin(a);
    Ci[k * T + t] = (edge ? 1 : 2) * Math.cos(a) / T;
    Si[k * T + t] = edge ? 0 : -2 * Math.sin(a) / T;
  }
  const m = (a: Float64Array, r: number, c: number) => tf.tensor(a, { shape: [r, c], dtype: 'float64' });
  // x [B, Cin, T, P] -> [B, P, Cin, T]
  const xt = x.permute([0, 3, 1, 2]);
  const Xr = tf.matmul(xt, m(C, T, K)), Xi = tf.matmul(xt, m(S, T, K));  // [B, P, Cin, K]
  const wr = w.select(3, 0), wi = w.select(3, 1);                       // [Cin, Cout, K]
  // Y[b, p, o, k] = sum_c X[b, p, c, k] W[c, o, k]
  const mix = (X: Tensor, W: Tensor) => X.unsqueeze(3).mul(W.unsqueeze(0).unsqueeze(0)).sum(2);  // [B, P, Cout, K]
  const Yr = mix(Xr, wr).sub(mix(Xi, wi)), Yi = mix(Xr, wi).add(mix(Xi, wr));
  const y = tf.matmul(Yr, m(Ci, K, T)).add(tf.matmul(Yi, m(Si, K, T)));  // [B, P, Cout, T]
  return y.permute([0, 2, 3, 1]);
}

test.each([[8, 3], [8, 5], [9, 5], [9, 2], [16, 16]])('T = %i, modes = %i: values and gradients equal the explicit DFT', (T, modes) => {
  const K = Math.min(modes, Math.floor(T / 2) + 1);
  const x = tf.randn([2, 3, T, 4], { dtype: 'float64' });
  const w = tf.randn([3, 2, modes, 2], { dtype: 'float64' });
  const got = tf.nn.spectralConv1d(x, w);
  expect(got.shape).toEqual([2, 2, T, 4]);
  const want = explicit(x, w.narrow(2, 0, K), T, K);
  expectClose(got.dataSync(), want.contiguous().dataSync(), 1e-12, 0, 'values');
  // gradients of <y, v> in x and w, both ways
  const v = tf.randn([2, 2, T, 4], { dtype: 'float64' });
  const xa = x.detach().requiresGrad_(), wa = w.detach().requiresGrad_();
  const [gx, gw] = tf.autograd.grad(tf.nn.spectralConv1d(xa, wa).mul(v).sum(), [xa, wa]);
  const xb = x.detach().requiresGrad_(), wb = w.detach().requiresGrad_();
  const [gx2, gwK] = tf.autograd.grad(explicit(xb, wb.narrow(2, 0, K), T, K).mul(v).sum(), [xb, wb]);
  expectClose(gx!.dataSync(), gx2!.contiguous().dataSync(), 1e-12, 0, "grad x");
  expectClose(gw!.dataSync(), gwK!.contiguous().dataSync(), 1e-12, 0, "grad w (bins past T/2 get zero)");
});

test('central differences, JVP', () => {
  const x = tf.randn([1, 2, 7, 2], { dtype: 'float64' }), w = tf.randn([2, 3, 3, 2], { dtype: 'float64' });
  gradcheck((a, b) => tf.nn.spectralConv1d(a, b), [x, w]);
  jvpcheck((a, b) => tf.nn.spectralConv1d(a, b), [x.detach(), w.detach()]);
});

test('identity weights over every bin: the identity; fewer modes: a low-pass filter', () => {
  const T = 12;
  const layer = new tf.nn.SpectralConv1d(3, 3, T / 2 + 1, { init: 'identity' });
  const x = tf.randn([2, 3, T, 5]);
  expectClose(layer.forward(x).dataSync(), x.dataSync(), 2e-6, 0, 'identity');
  // cos(2 pi 2 t / T) passes a 3-mode filter unchanged; cos(2 pi 4 t / T) is removed
  const lp = new tf.nn.SpectralConv1d(1, 1, 3, { init: 'identity' });
  const t = tf.arange(0, T, 1, { dtype: 'float64' }).mul(2 * Math.PI / T);
  const low = t.mul(2).cos(), high = t.mul(4).cos();
  const y = tf.noGrad(() => lp.toDtype('float64').forward(low.add(high).reshape([1, 1, T])));
  expectClose(y.dataSync(), low.dataSync(), 1e-12, 0, 'low pass');
});

test('zero weights: zero output; fno init scale', () => {
  const z = new tf.nn.SpectralConv1d(2, 4, 3, { init: 'zeros' });
  expect(z.forward(tf.randn([1, 2, 8])).abs().max().item()).toBe(0);
  const f = new tf.nn.SpectralConv1d(2, 4, 3);
  expect(f.weight.shape).toEqual([2, 4, 3, 2]);
  expect(f.weight.min().item()).toBeGreaterThanOrEqual(0);
  expect(f.weight.max().item()).toBeLessThan(1 / 8);
});

test('bad input', () => {
  expectCode(() => new tf.nn.SpectralConv1d(2, 3, 0), 'TF_INVALID_ARGUMENT');
  expectCode(() => new tf.nn.SpectralConv1d(2, 3, 2, { init: 'identity' }), 'TF_INVALID_ARGUMENT');
  expectCode(() => new tf.nn.SpectralConv1d(2, 2, 2, { init: 'x' as never }), 'TF_INVALID_ARGUMENT');
  const l = new tf.nn.SpectralConv1d(2, 2, 2);
  expectCode(() => l.forward(tf.randn([3, 8])), 'TF_SHAPE_MISMATCH');
  expectCode(() => l.forward(tf.randn([1, 3, 8])), 'TF_SHAPE_MISMATCH');
  expectCode(() => tf.nn.spectralConv1d(tf.randn([1, 2, 8]), tf.randn([2, 2, 3])), 'TF_SHAPE_MISMATCH');
});
