// Sampling throughput and memory against the batch size: one run's sampler (4 Euler steps) at each batch, one
// thread, reporting network evaluations per second per image, the peak live bytes, the allocator's cache and
// its hit / miss counts, and the process's user / system CPU seconds (system time is the kernel faulting fresh
// pages: a step whose buffers the cache cannot hold pays it on every step).
// Run: npm run build:ts && node bench/sample_batch.mjs <run> [batches=64,256,1000] [threads=1]
// (TENSORFIELD_CACHE_MB=1024 reproduces the fixed 1 GiB cache of before the automatic limit.)
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
require('../dist/models');
const { openPrecision } = require('../dist/cli/int8');

const [dir, list = '64,256,1000', threads = '1'] = process.argv.slice(2);
if (!dir) { console.error('usage: node bench/sample_batch.mjs <run> [batches=64,256,1000] [threads=1]'); process.exit(2); }
tf.setNumThreads(Number(threads));
const pr = openPrecision(dir, 'float32', undefined, 5, () => {});
const info = tf.info();
console.log(`${dir} | ${info.cpu} | ${info.isa} | ${threads} thread(s) | cache limit ${tf.memory().cacheLimitAuto ? 'auto' : `${tf.memory().cacheLimitBytes / 2 ** 20} MiB`}`);
const rows = [];
for (const n of list.split(',').map(Number)) {
  tf.manualSeed(0);
  const m0 = tf.memory(), c0 = process.cpuUsage(), t0 = performance.now();
  tf.resetPeakMemory();
  const r = pr.sample(n, { steps: 4, solver: 'euler' });
  const s = (performance.now() - t0) / 1e3, cu = process.cpuUsage(c0), m = tf.memory();
  r.x.dispose();
  rows.push({ batch: n, 'image-evals/s': (n * r.nfe / s).toFixed(1), 'peak live MB': ((m.peakBytes - m0.bytes) / 1e6).toFixed(0), 'cache limit MB': (m.cacheLimitBytes / 1e6).toFixed(0),
    'cached MB': (m.cachedBytes / 1e6).toFixed(0), 'cache hits': m.cacheHits - m0.cacheHits, 'cache misses': m.cacheMisses - m0.cacheMisses, 'user s': (cu.user / 1e6).toFixed(1), 'system s': (cu.system / 1e6).toFixed(1) });
}
console.table(rows);
