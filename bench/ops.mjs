// Engine micro-benchmarks (tinybench): per-op overhead across N-API, elementwise throughput, GEMM GFLOP/s,
// one MLP training step. Run: `npm run bench` (TENSORFIELD_NUM_THREADS=1 for one thread).
// Results and the PyTorch side-by-side comparison go in bench/RESULTS.md.
import { Bench } from 'tinybench';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');

const info = tf.info();
console.log(`tensorfield ${info.isa} | ${info.cpu} | ${info.threads} threads | node ${process.version}`);
tf.manualSeed(0);

const bench = new Bench({ time: 1000, warmupTime: 200 });
const tiny = tf.ones([1]);
bench.add('add [1] + [1] (per-op overhead)', () => { tiny.add(tiny).dispose(); });

const v = tf.randn([1 << 20]);
bench.add('exp 1M float32', () => { v.exp().dispose(); });
bench.add('silu 1M float32', () => { v.silu().dispose(); });
bench.add('sum 1M float32', () => { v.sum().dispose(); });

const gemm = {};
for (const n of [256, 512, 1024]) {
  const a = tf.randn([n, n]), b = tf.randn([n, n]);
  gemm[`matmul ${n}^3`] = 2 * n * n * n;
  bench.add(`matmul ${n}^3`, () => { a.matmul(b).dispose(); });
}

const w1 = tf.randn([66, 256], { requiresGrad: true }), w2 = tf.randn([256, 256], { requiresGrad: true });
const w3 = tf.randn([256, 2], { requiresGrad: true });
const x = tf.randn([4096, 66]), y = tf.randn([4096, 2]);
bench.add('MLP step fwd+bwd, batch 4096 (66->256->256->2)', () => {
  tf.tidy(() => {
    const l = x.matmul(w1).silu().matmul(w2).silu().matmul(w3).sub(y).square().mean();
    l.backward();
    for (const w of [w1, w2, w3]) w.grad = null;
  });
});

await bench.run();
const rows = bench.tasks.map((t) => {
  const med = t.result.latency.p50;  // ms
  const row = { task: t.name, 'median ms': med.toFixed(4) };
  if (gemm[t.name]) row['GFLOP/s'] = (gemm[t.name] / (med * 1e-3) / 1e9).toFixed(1);
  return row;
});
console.table(rows);
