// The FiLM residual MLP (lib/nn/models/film_mlp.ts), shared by DiffusionBlocks' vector denoiser and Blackout's
// 'resmlp' rate network: its forward against a float64 plain-loop implementation of the equations, its start as
// in-projection -> head (zero-initialised fc2), and gradients against float64 central differences.
import * as tf from '../lib';
import { FiLMResidualMLP } from '../lib/nn/models/film_mlp';
import * as bo from '../lib/models/blackout';
import { gradcheck, paramFdWorst } from './helpers';

type Mat = { rows: number; cols: number; d: Float64Array };
const matOf = (t: tf.Tensor): Mat => ({ rows: t.shape[0], cols: t.shape.length > 1 ? t.shape[1] : 1, d: Float64Array.from(t.dataSync() as Float64Array) });
const rowsOf = (t: tf.Tensor): number[][] => { const m = matOf(t); return Array.from({ length: m.rows }, (_, i) => Array.from(m.d.subarray(i * m.cols, (i + 1) * m.cols))); };
/** y = W x + b, W [out, in] as torch. */
function linear(x: number[], W: Mat, b: Float64Array): number[] {
  return Array.from({ length: W.rows }, (_, o) => { let s = b[o]; for (let i = 0; i < W.cols; i++) s += W.d[o * W.cols + i] * x[i]; return s; });
}
function layerNorm(x: number[], eps = 1e-5): number[] {
  const m = x.reduce((a, v) => a + v, 0) / x.length, v = x.reduce((a, u) => a + (u - m) ** 2, 0) / x.length;
  return x.map((u) => (u - m) / Math.sqrt(v + eps));
}
const silu = (v: number) => v / (1 + Math.exp(-v));

describe('FiLMResidualMLP', () => {
  const make = () => {
    tf.manualSeed(4);
    const net = new FiLMResidualMLP({ dim: 5, width: 8, layers: 2, embDim: 6, timeScale: 1 }).toDtype('float64');
    return net;
  };
  test('starts as in-projection -> head (every fc2 is zero); then equals the float64 plain-loop equations', () => {
    const net = make();
    const x = tf.randn([3, 5], { dtype: 'float64' }), t = tf.tensor([0, 7, 130], { dtype: 'float64' });
    const head = (z: number[]) => linear(layerNorm(z).map((v, i) => silu(v * (net.head.norm.weight!.dataSync() as Float64Array)[i] + (net.head.norm.bias!.dataSync() as Float64Array)[i])),
      matOf(net.head.out.weight), Float64Array.from(net.head.out.bias!.dataSync() as Float64Array));
    const startRows = rowsOf(net.forward(x, t));
    rowsOf(x).forEach((xi, n) => {
      const want = head(linear(xi, matOf(net.stem.inProj.weight), Float64Array.from(net.stem.inProj.bias!.dataSync() as Float64Array)));
      want.forEach((w, j) => expect(Math.abs(startRows[n][j] - w)).toBeLessThan(1e-12));
    });
    // give every fc2 and the head's affine weights values, then compare with the loops
    tf.noGrad(() => {
      for (const l of net.layers) { l.fc2.weight.copy_(tf.randn(l.fc2.weight.shape, { dtype: 'float64' }).mul(0.3)); l.fc2.bias!.copy_(tf.randn([8], { dtype: 'float64' }).mul(0.1)); }
      net.head.norm.weight!.copy_(tf.rand([8], { dtype: 'float64' }).add(0.5));
    });
    const emb = rowsOf(tf.tidy(() => net.stem.embProj.forward(net.stem.embed.forward(t)).silu()));
    const got = rowsOf(net.forward(x, t));
    rowsOf(x).forEach((xi, n) => {
      let z = linear(xi, matOf(net.stem.inProj.weight), Float64Array.from(net.stem.inProj.bias!.dataSync() as Float64Array));
      for (const l of net.layers) {
        const ss = linear(emb[n], matOf(l.film.weight), Float64Array.from(l.film.bias!.dataSync() as Float64Array));
        const h = layerNorm(z).map((v, i) => v * (1 + ss[i]) + ss[8 + i]);
        const u = linear(h, matOf(l.fc1.weight), Float64Array.from(l.fc1.bias!.dataSync() as Float64Array)).map(silu);
        const r = linear(u, matOf(l.fc2.weight), Float64Array.from(l.fc2.bias!.dataSync() as Float64Array));
        z = z.map((v, i) => v + r[i]);
      }
      const want = head(z);
      // float64 throughout; the two orders of summation differ by a few ulps of values of order 1
      want.forEach((w, j) => expect(Math.abs(got[n][j] - w)).toBeLessThan(1e-12));
    });
  });

  test('gradients with respect to the input and every parameter match float64 central differences', () => {
    const net = make();
    tf.noGrad(() => { for (const l of net.layers) l.fc2.weight.copy_(tf.randn(l.fc2.weight.shape, { dtype: 'float64' }).mul(0.3)); });
    const x = tf.randn([3, 5], { dtype: 'float64' }), t = tf.tensor([1, 4, 9], { dtype: 'float64' });
    gradcheck((xx) => net.forward(xx, t), [x], { label: 'FiLMResidualMLP input' });
    const v = tf.randn([3, 5], { dtype: 'float64' });
    const loss = () => tf.tidy(() => net.forward(x, t).mul(v).sum());
    net.zeroGrad();
    loss().backward();
    // three entries of every parameter; h = 1e-5 in float64 leaves a truncation error ~h² and rounding ~1e-11
    expect(paramFdWorst(net.parameters(), loss)).toBeLessThan(1e-6);
  });

  test("Blackout's 'resmlp' rate network trains a step; 'auto' stays the plain MLP on 8x8 items", () => {
    tf.manualSeed(2);
    const net = new bo.BlackoutNet({ itemShape: [1, 8, 8], net: 'resmlp', hidden: 16, layers: 2, embDim: 8 });
    expect(net.mlp).toBeInstanceOf(FiLMResidualMLP);
    const tr = new bo.BlackoutTrainer(net, { nMax: 16, T: 20 });
    const l = tr.trainStep(tf.randint(0, 17, [8, 1, 8, 8], { dtype: 'float32' }));
    expect(Number.isFinite(l)).toBe(true);
    expect(new bo.BlackoutNet({ itemShape: [1, 8, 8] }).mlp).not.toBeInstanceOf(FiLMResidualMLP);
  });
});
