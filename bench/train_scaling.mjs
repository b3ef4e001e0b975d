// 2-thread (or T-thread) efficiency of the conv U-Net training step (bench/train.mjs conv) measured in one process,
// steps at 1 and at T threads interleaved (1, T, 1, T, ...), so the slow and fast phases of a shared virtual
// machine fall on both equally; medians of each. Prints one JSON line.
// Run: npm run build:ts && node bench/train_scaling.mjs [T=2] [pairs=12]
import { createRequire } from 'module';
import { makeConvDenoiser } from './conv_denoiser.mjs';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const T = Number(process.argv[2] ?? 2), pairs = Number(process.argv[3] ?? 12);
tf.manualSeed(0);
const B = 128, net = makeConvDenoiser(tf), params = Object.values(net.params);
for (const p of params) p.requiresGrad = true;
const opt = new tf.optim.Adam(params, { lr: 2e-4 });
let data, dataUsed = 'fashion-mnist-full';
try { data = tf.keep(tf.data.imagesToTensor(tf.data.loadFashionMNIST({ split: 'train', source: 'full' }))); } catch {
  data = tf.keep(tf.randn([60000, 1, 28, 28])); dataUsed = 'random-normal (the full Fashion-MNIST is not installed)';
}
const D = (x, sigma) => {  // EDM preconditioning, sigma_data 0.5 (as bench/train.mjs)
  const s = sigma.reshape(-1, 1, 1, 1), s2 = s.square().add(0.25);
  const cSkip = s2.reciprocal().mul(0.25), cOut = s.mul(0.5).div(s2.sqrt()), cIn = s2.sqrt().reciprocal();
  return x.mul(cSkip).add(net.forward(x.mul(cIn), sigma.log().div(4)).mul(cOut));
};
const step = () => tf.tidy(() => {
  const x0 = data.indexSelect(0, tf.randint(0, data.shape[0], [B]));
  const sigma = tf.randn([B]).mul(1.2).sub(1.2).exp();
  const n = tf.randn([B, 1, 28, 28]).mul(sigma.reshape(-1, 1, 1, 1));
  const w = sigma.square().add(0.25).div(sigma.mul(0.5).square());
  const loss = w.reshape(-1, 1, 1, 1).mul(D(x0.add(n), sigma).sub(x0).square()).mean();
  opt.zeroGrad(); loss.backward(); opt.step();
  return loss.item();
});
const timed = (threads) => { tf.setNumThreads(threads); const s = performance.now(); step(); return performance.now() - s; };
for (let i = 0; i < 2; i++) { timed(1); timed(T); }
const t1 = [], tT = [];
for (let i = 0; i < pairs; i++) { t1.push(timed(1)); tT.push(timed(T)); }
const med = (a) => { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]; };
const ratios = t1.map((v, i) => v / (T * tT[i]));
console.log(JSON.stringify({ bench: 'conv U-Net training step, batch 128', data: dataUsed, threads: T, pairs, ms1: +med(t1).toFixed(1), msT: +med(tT).toFixed(1),
  efficiency: +(med(t1) / (T * med(tT))).toFixed(3), efficiencyPairsMedian: +med(ratios).toFixed(3), efficiencyPairsMin: +Math.min(...ratios).toFixed(3), efficiencyPairsMax: +Math.max(...ratios).toFixed(3) }));
