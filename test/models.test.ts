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
