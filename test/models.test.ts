// Reference architectures: sizes, shapes, gradients flow, and a ~1M-parameter U-Net trained on a few
// Fashion-MNIST-shaped batches drives its loss down, with the same curve for the same seed.
import * as tf from '../lib';
import { Tensor, nn, optim } from '../lib';

const M = nn.models;

function unetRun(seed: number, steps: number): number[] {
  tf.manualSeed(seed);
  const net = new M.UNet({ inChannels: 1, imageSize: 28, baseChannels: 16, channelMult: [1, 2, 2], numResBlocks: 2, attnResolutions: [7], dropout: 0.1 });
  const opt = new optim.Adam(net.parameters(), { lr: 2e-3 });
  // fixed "images": smooth blobs in [-1, 1], a stand-in with Fashion-MNIST's shape
  const data = tf.keep(tf.nn.functional.avgPool2d(tf.randn([16, 1, 28, 28]), 5, 1, 2).mul(3).tanh());
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    losses.push(tf.tidy(() => {
      const x0 = data.narrow(0, (s % 4) * 4, 4);
      const sigma = tf.rand([4]).mul(0.9).add(0.1);
      const noise = tf.randn(x0.shape);
      const xt = x0.add(noise.mul(sigma.reshape(-1, 1, 1, 1)));
      const l = net.forward(xt, sigma.log()).sub(noise).square().mean();  // epsilon prediction
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.item();
    }));
  }
  net.dispose();
  return losses;
}

test('U-Net of ~1M parameters: loss falls, and the same seed gives the same curve', () => {
  const n = new M.UNet({ inChannels: 1, imageSize: 28, baseChannels: 16, channelMult: [1, 2, 2], numResBlocks: 2, attnResolutions: [7] });
  expect(n.numParameters()).toBeGreaterThan(4e5);
  expect(n.numParameters()).toBeLessThan(1.5e6);
  n.dispose();
  const a = unetRun(7, 24), b = unetRun(7, 24);
  expect(b).toEqual(a);
  const first = (a[0] + a[1] + a[2] + a[3]) / 4, last = (a[20] + a[21] + a[22] + a[23]) / 4;
  expect(last).toBeLessThan(0.7 * first);
});

test('U-Net sizes span ~100k to ~50M parameters and support class labels', () => {
  const small = new M.UNet({ inChannels: 1, imageSize: 16, baseChannels: 16, channelMult: [1, 2], numResBlocks: 1 });
  expect(small.numParameters()).toBeGreaterThan(1e5);
  expect(small.numParameters()).toBeLessThan(3e5);
  const y = small.forward(tf.randn([2, 1, 16, 16]), tf.rand([2]));
  expect(y.shape).toEqual([2, 1, 16, 16]);
  small.dispose();
  const big = tf.tidy(() => new M.UNet({ inChannels: 3, imageSize: 32, baseChannels: 128, channelMult: [1, 2, 2, 2], numResBlocks: 3, attnResolutions: [16], numClasses: 10 }));
  expect(big.numParameters()).toBeGreaterThan(3e7);
  expect(big.numParameters()).toBeLessThan(5.5e7);
  big.dispose();
});

test('MLP denoiser and Transformer: shapes and a few training steps reduce the loss', () => {
  tf.manualSeed(1);
  const mlp = new M.MLPDenoiser({ dim: 2 });
  expect(mlp.numParameters()).toBe((66 * 256 + 256) + 2 * (256 * 256 + 256) + (256 * 2 + 2));
  expect(mlp.forward(tf.randn([5, 2]), tf.rand([5])).shape).toEqual([5, 2]);
  const tr = new M.Transformer({ vocabSize: 12, maxLen: 16, dim: 32, depth: 2, heads: 2 });
  const opt = new optim.AdamW(tr.parameters(), { lr: 3e-3 });
  const seq = tf.keep(tf.tensor(Int32Array.from({ length: 8 * 16 }, (_, i) => (i * 7 + Math.floor(i / 16)) % 12), { shape: [8, 16] }));
  const losses: number[] = [];
  for (let s = 0; s < 40; s++) {
    losses.push(tf.tidy(() => {
      const l = tr.loss(seq);
      opt.zeroGrad();
      l.backward();
      opt.step();
      return l.item();
    }));
  }
  expect(losses[0]).toBeGreaterThan(2);            // ~ln 12 at init
  expect(losses[39]).toBeLessThan(0.5 * losses[0]);  // a deterministic sequence is learnable
  const f: Tensor = tr.features(seq.narrow(1, 0, 4));
  expect(f.shape).toEqual([8, 4, 32]);
});

// A no-grad forward holds the skips and one block's temporaries, not every intermediate until the caller's scope
// ends: UNet runs each block in its own tidy(). Unit A = one activation at the base width and full resolution.
// Bound, counted for this config: the skips when the up path starts (inc, down0.res0: A each; pool A/4;
// down1.res0 A/2) plus the widest block's temporaries (level 0's first up block: its 2A concat input, norm and
// activation at 2A, then conv, norm, activation, conv, the 1x1 skip conv and the sum at A) ~ 14A, + slack for the
// time embedding, attention and conv scratch: 24A. Without the per-block tidy the peak was 86A.
test('UNet no-grad forward: peak live bytes stay within the skips plus one block (24 activations, was 86)', () => {
  tf.manualSeed(0);
  const B = 32, C = 16, S = 16;
  const net = new M.UNet({ inChannels: 1, imageSize: S, baseChannels: C, channelMult: [1, 2], numResBlocks: 1, groups: 8, attnResolutions: [8] }).eval();
  const x = tf.randn([B, 1, S, S]), t = tf.rand([B]);
  const A = B * C * S * S * 4;
  const run = () => tf.noGrad(() => tf.tidy(() => net.forward(x, t)));
  const ref = run();
  const base = tf.memory().bytes;
  tf.resetPeakMemory();
  const y = run();
  const peak = tf.memory().peakBytes - base;
  expect(peak / A).toBeLessThan(24);
  expect(y.sub(ref).abs().max().item()).toBe(0);
  // a training forward keeps what backward needs (the tape holds its own references): the gradient through the
  // per-block scopes matches a central difference along a random direction (float32: step 1e-2, loose 2 %)
  const xg = x.clone().requiresGrad_(), loss = (z: tf.Tensor) => net.forward(z, t).square().mean();
  const [g] = tf.autograd.grad(loss(xg), xg);
  const d = tf.randn([B, 1, S, S]), h = 1e-2;
  const fd = tf.noGrad(() => (loss(x.add(d.mul(h))).item() - loss(x.sub(d.mul(h))).item()) / (2 * h));
  const an = g!.mul(d).sum().item();
  expect(Math.abs(an - fd)).toBeLessThan(0.02 * Math.abs(fd) + 1e-6);
  tf.dispose([x, t, ref, y, xg, g, d]);
  net.dispose();
});

// The same for the Transformer: each block in its own tidy(). Unit A = one [B, L, dim] activation (1 MiB here);
// one block's temporaries: the attention scores and their softmax (B x heads x L x L = 8A each), q / k / v and the
// attention output (4A), the MLP's hidden layer and its GELU (4A each), the norms and residual sums (~4A): ~32A,
// + the logits (1A) and slack: 60A. Without the per-block tidy the six blocks' temporaries stayed: 213A.
test('Transformer no-grad forward: peak live bytes stay within one block (60 activations, was 213)', () => {
  tf.manualSeed(0);
  const net = new M.Transformer({ vocabSize: 64, maxLen: 128, dim: 64, depth: 6, heads: 4 }).eval();
  const tok = tf.randint(0, 64, [32, 128], { dtype: 'int32' });
  const run = () => tf.noGrad(() => tf.tidy(() => net.forward(tok)));
  const ref = run();
  const base = tf.memory().bytes;
  tf.resetPeakMemory();
  const y = run();
  expect((tf.memory().peakBytes - base) / (32 * 128 * 64 * 4)).toBeLessThan(60);
  expect(y.sub(ref).abs().max().item()).toBe(0);
  tf.dispose([tok, ref, y]);
  net.dispose();
});
