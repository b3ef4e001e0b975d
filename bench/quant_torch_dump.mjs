// Issue 26's "PyTorch's quantized model on the same CPU" comparison, part 1 of 2: dumps what
// bench/quant_torch.py needs to rebuild a run's trained EDM U-Net in PyTorch, check the mirror against
// tensorfield, quantize it with PyTorch's own static post-training quantization and time it.
// Writes into <out dir>:
//   weights.safetensors  the evaluation network's float32 state (every parameter and buffer under its module path,
//                        as Module.stateDict names it: 'unet.down0.res0.n1.weight', ...); __metadata__ holds the
//                        UNet config as given (net.unet.cfg; the Python side applies lib/nn/models/unet.ts's defaults)
//   inputs.safetensors   eval_x{i} [B, C, H, W], eval_c{i} [B], eval_y{i} (tensorfield float32's output) at the EDM
//                        levels sigma 0.05, 1, 20: x = (x0 + sigma n) / sqrt(sigma^2 + sigma_data^2), c = ln(sigma) / 4,
//                        x0 = held-out test images; calib_x{j}, calib_c{j}: training images at per-item levels drawn
//                        log-uniformly from the sampler's range [sigmaMin, sigmaMax] (PyTorch's calibration set)
//   tf.json              tensorfield's own median ms of one float32 forward (no grad) at batch B, and its setup
// Run (builds nothing; dist/ must be current):
//   npm run build:ts
//   TENSORFIELD_ADDON=cpu TENSORFIELD_NUM_THREADS=1 node bench/quant_torch_dump.mjs <run dir> <out dir> [batch=64] [threads=1] [rounds=15]
//   /usr/bin/python3 bench/quant_torch.py <out dir> [threads=1] [batch=64]
import { createRequire } from 'module';
import * as fs from 'fs';
import * as path from 'path';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
require('../dist/models');
const { openRun } = require('../dist/cli/train.js');

const [dir, out] = process.argv.slice(2, 4);
if (!dir || !out) {
  console.error('usage: node bench/quant_torch_dump.mjs <run dir> <out dir> [batch=64] [threads=1] [rounds=15]');
  process.exit(2);
}
const B = Number(process.argv[4] ?? 64), T = Number(process.argv[5] ?? 1), R = Number(process.argv[6] ?? 15);
tf.setNumThreads(T);
const info = tf.info();
fs.mkdirSync(out, { recursive: true });

const { cfg, src, run, step } = openRun(dir, () => {});
const net = run.evalNetwork().eval();
if (!net.unet) { console.error(`${dir}: the evaluation network has no U-Net (method ${cfg.method}, data ${cfg.data})`); process.exit(1); }
const shape = [B, ...net.spec.itemShape];
const sd = Number(cfg.options.sigmaData ?? 0.5);
const sigmaMin = Number(cfg.options.sigmaMin ?? 0.002), sigmaMax = Number(cfg.options.sigmaMax ?? 80);

// 1. the float32 state, named by module path
const state = net.stateDict();
for (const [k, t] of state) if (t.dtype !== 'float32') throw new Error(`${k}: dtype ${t.dtype}, expected float32`);
tf.io.saveSafetensors(path.join(out, 'weights.safetensors'), state, {
  unet_config: JSON.stringify(net.unet.cfg), run: path.resolve(dir), step: String(step), method: cfg.method,
});

// 2. fixed inputs and tensorfield's outputs for them, and a calibration set
tf.manualSeed(0);
const levels = [0.05, 1, 20];
const tensors = new Map();
const noisy = (x0, sigma) => tf.tidy(() => {
  const s = sigma.reshape(-1, ...net.spec.itemShape.map(() => 1));
  return x0.add(tf.randn(x0.shape).mul(s)).div(s.square().add(sd * sd).sqrt());
});
{
  const x0 = src.real(B);
  levels.forEach((sigma, i) => {
    const sig = tf.full([B], sigma);
    const x = noisy(x0, sig), c = tf.full([B], Math.log(sigma) / 4);
    const y = tf.noGrad(() => net.forward(x, c));
    tensors.set(`eval_x${i}`, x); tensors.set(`eval_c${i}`, c); tensors.set(`eval_y${i}`, y);
    sig.dispose();
  });
  x0.dispose();
}
const calibBatches = 4;
for (let j = 0; j < calibBatches; j++) {
  const x0 = src.batch(B);
  const lnS = tf.rand([B]).mul(Math.log(sigmaMax) - Math.log(sigmaMin)).add(Math.log(sigmaMin));
  const sig = lnS.exp();
  tensors.set(`calib_x${j}`, noisy(x0, sig)); tensors.set(`calib_c${j}`, lnS.div(4));
  x0.dispose(); lnS.dispose(); sig.dispose();
}
tf.io.saveSafetensors(path.join(out, 'inputs.safetensors'), tensors, {
  levels: JSON.stringify(levels), sigma_data: String(sd), calib_sigma_range: JSON.stringify([sigmaMin, sigmaMax]),
  x0_eval: 'test split (src.real)', x0_calib: 'training batches (src.batch)',
});

// 3. tensorfield's own time for one float32 forward at batch B (the sigma = 1 input): warm-up, then the median
const x = tensors.get('eval_x1'), c = tensors.get('eval_c1');
const once = () => { const y = tf.noGrad(() => net.forward(x, c)); y.dataSync(); y.dispose(); };
for (let i = 0; i < 3; i++) once();
const ts = [];
for (let r = 0; r < R; r++) { const s = performance.now(); once(); ts.push(performance.now() - s); }
const med = [...ts].sort((a, b) => a - b)[ts.length >> 1];
const rec = {
  run: path.resolve(dir), step, method: cfg.method, data: cfg.data, unetConfig: net.unet.cfg, batch: B, threads: T, rounds: R,
  inputShape: shape, levels, sigmaData: sd, cpu: info.cpu, isa: info.isa, addon: process.env.TENSORFIELD_ADDON ?? null,
  parameters: net.numParameters(), float32MedianMs: med, imagesPerS: B / med * 1e3, timesMs: ts,
};
fs.writeFileSync(path.join(out, 'tf.json'), JSON.stringify(rec, null, 1));
console.log(`${dir} (step ${step}): U-Net ${JSON.stringify(net.unet.cfg)}, ${rec.parameters} parameters, ${state.size} tensors`);
console.log(`tensorfield float32 forward, batch ${B}, ${T} thread(s), ${info.isa} on ${info.cpu}: median ${med.toFixed(1)} ms ` +
  `(${rec.imagesPerS.toFixed(0)} images/s) over ${R} rounds`);
console.log(`wrote ${out}/weights.safetensors, inputs.safetensors, tf.json`);
