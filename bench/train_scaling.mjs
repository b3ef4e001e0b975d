// 2-thread (or T-thread) efficiency of the conv U-Net training step (bench/train.mjs conv) measured in one process,
// steps at 1 and at T threads interleaved (1, T, 1, T, ...), so the slow and fast phases of a shared virtual
// machine fall on both equally; medians of each. Prints one JSON line.
// Run: npm run build:ts && node bench/train_scaling.mjs [T=2] [pairs=12]
import { createRequire } from 'module';
import { makeConvTrainStep } from './conv_denoiser.mjs';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const T = Number(process.argv[2] ?? 2), pairs = Number(process.argv[3] ?? 12);
tf.manualSeed(0);
let data, dataUsed = 'fashion-mnist-full';
try { data = tf.keep(tf.data.imagesToTensor(tf.data.loadFashionMNIST({ split: 'train', source: 'full' }))); } catch {
  data = tf.keep(tf.randn([60000, 1, 28, 28])); dataUsed = 'random-normal (the full Fashion-MNIST is not installed)';
}
const { step } = makeConvTrainStep(tf, data);
const timed = (threads) => { tf.setNumThreads(threads); const s = performance.now(); step(); return performance.now() - s; };
for (let i = 0; i < 2; i++) { timed(1); timed(T); }
const t1 = [], tT = [];
for (let i = 0; i < pairs; i++) { t1.push(timed(1)); tT.push(timed(T)); }
const med = (a) => { const s = [...a].sort((p, q) => p - q); return s[s.length >> 1]; };
const ratios = t1.map((v, i) => v / (T * tT[i]));
console.log(JSON.stringify({ bench: 'conv U-Net training step, batch 128', data: dataUsed, threads: T, pairs, ms1: +med(t1).toFixed(1), msT: +med(tT).toFixed(1),
  efficiency: +(med(t1) / (T * med(tT))).toFixed(3), efficiencyPairsMedian: +med(ratios).toFixed(3), efficiencyPairsMin: +Math.min(...ratios).toFixed(3), efficiencyPairsMax: +Math.max(...ratios).toFixed(3) }));
