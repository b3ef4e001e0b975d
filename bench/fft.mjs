// FFT cost: rfft of 1,024 x 256 float32 along the last dim (the row), a middle-dim rfft, a Bluestein
// length, irfft, the complex fft, and the temporal spectral layer (nn.SpectralConv1d) forward and forward +
// backward at a DSNO-like shape. Medians of REPS runs after a warm-up.
// Run: node bench/fft.mjs (after `npm run build:ts`); PyTorch side: /usr/bin/python3 bench/fft_torch.py [threads].
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const reps = Number(process.env.REPS ?? 21);
tf.manualSeed(0);

function median(fn) {
  // the result is dropped inside the tidy (a returned tensor would be kept, and every rep would take fresh pages)
  const run = () => tf.tidy(() => { fn(); });
  run();  // warm-up (plans are built here)
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    run();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

const x = tf.keep(tf.randn([1024, 256]));
const xm = tf.keep(tf.randn([64, 256, 16]));
const xb = tf.keep(tf.randn([1024, 251]));
const X = tf.keep(tf.fft.rfft(x));
const z = tf.keep(tf.randn([1024, 256, 2]));
// DSNO temporal layer: batch 16, 64 channels, M = 8 times, 8 x 8 pixels, 4 modes
const layer = new tf.nn.SpectralConv1d(64, 64, 4);
const h = tf.keep(tf.randn([16, 64, 8, 8, 8]));
const rows = {
  rfft_1024x256_ms: median(() => tf.fft.rfft(x)),
  rfft_middle_64x256x16_ms: median(() => tf.fft.rfft(xm, { dim: 1 })),
  rfft_bluestein_1024x251_ms: median(() => tf.fft.rfft(xb)),
  irfft_1024x256_ms: median(() => tf.fft.irfft(X, { n: 256 })),
  fft_c2c_1024x256_ms: median(() => tf.fft.fft(z)),
  spectral_fwd_ms: median(() => tf.noGrad(() => layer.forward(h))),
  spectral_fwd_bwd_ms: median(() => { layer.forward(h).square().mean().backward(); layer.weight.grad = null; }),
};
const info = tf.info();
console.log(JSON.stringify({ engine: 'tensorfield', isa: info.isa, threads: info.threads, cpu: info.cpu, reps, ...rows }, null, 1));
