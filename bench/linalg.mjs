// Batched Cholesky and triangular solve (the row: 64 x 48 x 48), a single 512 x 512 factor (the blocked
// path) and a solve with 16 right-hand sides. Medians of REPS runs after a warm-up.
// Run: node bench/linalg.mjs (after `npm run build:ts`); PyTorch side: /usr/bin/python3 bench/linalg_torch.py [threads].
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const reps = Number(process.env.REPS ?? 21);
tf.manualSeed(0);

function median(fn) {
  const run = () => tf.tidy(() => { fn(); });
  run();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    run();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

const spd = (b, n) => tf.tidy(() => { const m = tf.randn([b, n, n]); return m.matmul(m.transpose(-2, -1)).div(n).add(tf.eye(n, n)); });
const A = tf.keep(spd(64, 48)), A1 = tf.keep(spd(1, 512));
const L = tf.keep(tf.linalg.cholesky(A)), L1 = tf.keep(tf.linalg.cholesky(A1));
const B = tf.keep(tf.randn([64, 48, 16])), B1 = tf.keep(tf.randn([1, 512, 16]));
const rows = {
  cholesky_64x48x48_ms: median(() => tf.linalg.cholesky(A)),
  trisolve_64x48x48_k16_ms: median(() => tf.linalg.solveTriangular(L, B, { upper: false })),
  cholesky_512_ms: median(() => tf.linalg.cholesky(A1)),
  trisolve_512_k16_ms: median(() => tf.linalg.solveTriangular(L1, B1, { upper: false })),
};
const info = tf.info();
console.log(JSON.stringify({ engine: 'tensorfield', isa: info.isa, threads: info.threads, cpu: info.cpu, reps, ...rows }, null, 1));
