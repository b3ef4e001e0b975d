// FDP sampling memory: the peak live bytes (allocator) and the time of one adaptation of the INR to a batch of
// noisy functions, as the sampler does it ('inference': each inner step in its own scope) against the first-order
// ablation's path ('first': every inner step's graph kept until the read-out), which the sampler used before.
// Default size = the 2-D Fashion run's sampling chunk: 125 functions on a 16x16 grid, Gabor INR 8 x 64.
// Orders alternate, warm-up first. Run: `npm run build:ts && TENSORFIELD_NUM_THREADS=1 node bench/fdp_sample_memory.mjs [n] [rounds]`.
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const fdp = require('../dist/models/fdp/index.js');

const n = Number(process.argv[2] || 125), rounds = Number(process.argv[3] || 2);
const info = tf.info();
console.log(`tensorfield ${info.isa} | ${info.cpu} | ${info.threads} threads | node ${process.version} | n ${n}, 16x16, INR 8 x 64`);
tf.manualSeed(3);
const sde = new fdp.HeatSDE({ grid: [16, 16] });
const net = new fdp.FdpDenoiser({ grid: [16, 16], channels: 1, hidden: 64, layers: 8 }, sde);
const y = tf.randn([n, 1, 16, 16]), t = new Array(n).fill(0.3);
for (let r = 0; r <= rounds; r++) {
  for (const order of ['inference', 'first']) {
    tf.resetPeakMemory();
    const base = tf.memory().bytes, t0 = performance.now();
    tf.tidy(() => { net.predict(y, t, order).sum().item(); });
    const ms = performance.now() - t0, mib = (tf.memory().peakBytes - base) / 2 ** 20;
    console.log(`${r === 0 ? 'warm-up ' : ''}${order}: peak ${mib.toFixed(0)} MiB above the start, ${ms.toFixed(0)} ms`);
  }
}
