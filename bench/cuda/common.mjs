// Shared by the CUDA benchmarks: load the CUDA addon, time a GPU step (synchronised), print JSON lines.
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
export const tf = require('../../dist/index.js');

export function requireGpu() {
  const s = tf.cuda.status();
  if (!s.available) {
    console.log(JSON.stringify({ engine: 'tensorfield', skipped: true, reason: s.reason, built: s.built }));
    process.exit(0);
  }
  return s;
}

// Median wall time (ms) of fn() followed by a device synchronise, after warm-up: the same rule as the PyTorch
// side's CUDA-event medians (the synchronise makes the host time cover the kernels).
export function medianMs(fn, { warm = 3, reps = 20 } = {}) {
  for (let i = 0; i < warm; i++) fn();
  tf.cuda.synchronize();
  const ts = [];
  for (let i = 0; i < reps; i++) {
    const s = performance.now();
    fn();
    tf.cuda.synchronize();
    ts.push(performance.now() - s);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}

export const emit = (r) => console.log(JSON.stringify({ engine: 'tensorfield', device: tf.cuda.status().reason, ...r }));
