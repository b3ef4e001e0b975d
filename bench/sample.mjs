// Sampling throughput of the performance issue's conv denoiser (bench/conv_denoiser.mjs, EDM preconditioning,
// random weights: the time does not depend on them), batch 256, no grad, EDM Heun with 18 levels (sigma 0.002..80,
// rho 7; 35 network evaluations), matching ../shared/baselines/sample_bench.py and ort_sample.js.
// Run: npm run build:ts && node bench/sample.mjs [threads] [runs]
import { createRequire } from 'module';
import { makeConvDenoiser } from './conv_denoiser.mjs';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const S = tf.samplers;

const T = Number(process.argv[2] ?? 1), runs = Number(process.argv[3] ?? 3);
tf.setNumThreads(T);
tf.manualSeed(0);
const net = makeConvDenoiser(tf);
const B = 256;
const D = S.preconditionedDenoiser((x, cNoise) => tf.noGrad(() => net.forward(x, tf.full([x.shape[0]], cNoise))), 'edm', { sigmaData: 0.5 });
const sigmas = S.edmSigmas(18, { sigmaMin: 0.002, sigmaMax: 80 });
const once = () => {
  const x = tf.randn([B, 1, 28, 28]).mul(80);
  const r = S.sample('heun', D, x, sigmas);
  x.dispose(); r.x.dispose();
  return r.nfe;
};
once();
const ts = [];
let nfe = 0;
for (let i = 0; i < runs; i++) { const s = performance.now(); nfe = once(); ts.push(performance.now() - s); }
ts.sort((a, b) => a - b);
const ms = ts[ts.length >> 1];
console.log(JSON.stringify({ engine: 'tensorfield', threads: T, batch: B, nfe, ms, imagesPerSec: (B * 1000) / ms, msPerEval: ms / nfe, peakRssGB: process.resourceUsage().maxRSS / 1024 / 1024 }));
