// Training-step throughput of the performance issue's two denoisers, matching ../shared/baselines/train_bench.py:
//   mlp : 2 + 64-dim time embedding -> 3 x 256 SiLU -> 2, batch 4096, DDPM epsilon MSE with the cosine alpha-bar,
//         Adam lr 1e-3, on the 8-Gaussian ring;
//   conv: the ConvDenoiser (bench/conv_denoiser.mjs) with EDM preconditioning, batch 128, EDM loss
//         (ln sigma ~ N(-1.2, 1.2^2)), Adam lr 2e-4, on Fashion-MNIST (or random data when it is absent).
// Each step = batch + forward + backward + Adam, timed one by one after warm-up; median ms, samples/s, peak RSS.
// Run: npm run build:ts && node bench/train.mjs {mlp|conv} [threads] [steps]
import { createRequire } from 'module';
import { makeConvTrainStep } from './conv_denoiser.mjs';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');

const [which = 'mlp', threadsArg = '1', stepsArg] = process.argv.slice(2);
const T = Number(threadsArg);
tf.setNumThreads(T);
tf.manualSeed(0);

let step, B, params;
let dataUsed = 'eight-gaussians (generated)';
if (which === 'mlp') {
  B = 4096;
  const net = new tf.nn.models.MLPDenoiser({ dim: 2, hidden: 256, layers: 3, timeEmbedDim: 64, timeScale: 1000 });
  params = net.parameters();
  const opt = new tf.optim.Adam(params, { lr: 1e-3 });
  const data = tf.keep(tf.data.eightGaussians().sample(1 << 20));
  step = () => tf.tidy(() => {
    const x0 = data.indexSelect(0, tf.randint(0, data.shape[0], [B]));
    const t = tf.rand([B]);
    const ab = t.add(0.008).div(1.008).mul(Math.PI / 2).cos().square();
    const eps = tf.randn([B, 2]);
    const xt = x0.mul(ab.sqrt().unsqueeze(1)).add(eps.mul(ab.neg().add(1).sqrt().unsqueeze(1)));
    const loss = net.forward(xt, t).sub(eps).square().mean();
    opt.zeroGrad(); loss.backward(); opt.step();
    return loss.item();
  });
} else {
  B = 128;
  let data;
  // Said, not silent: the full Fashion-MNIST when the Debian package is installed, else N(0, 1) images of its shape.
  try {
    data = tf.keep(tf.data.imagesToTensor(tf.data.loadFashionMNIST({ split: 'train', source: 'full' })));
    dataUsed = 'fashion-mnist-full';
  } catch {
    data = tf.keep(tf.randn([60000, 1, 28, 28]));
    dataUsed = 'random-normal (the full Fashion-MNIST is not installed)';
    console.error('NOTE: the full Fashion-MNIST is not installed; training on N(0, 1) images of the same shape');
  }
  ({ params, step } = makeConvTrainStep(tf, data, B));
}
for (let i = 0; i < 3; i++) step();
const n = Number(stepsArg ?? (which === 'mlp' ? 40 : 12));
const ts = [];
let loss = 0;
for (let i = 0; i < n; i++) { const s = performance.now(); loss = step(); ts.push(performance.now() - s); }
ts.sort((a, b) => a - b);
const ms = ts[ts.length >> 1];
const rss = process.resourceUsage().maxRSS / 1024 / 1024;
console.log(JSON.stringify({ engine: 'tensorfield', model: which, isa: tf.info().isa, precision: tf.backend.getMatmulPrecision(), data: dataUsed, threads: T, batch: B, ms, samplesPerSec: (B * 1000) / ms, peakRssGB: rss, loss }));
