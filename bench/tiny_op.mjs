// Per-op overhead: microseconds per `add` of two 4-element float32 tensors from JS, the result disposed (what a
// loop of small ops pays), median of 21 rounds of 20,000 calls. PyTorch's counterpart: bench/tiny_op_torch.py.
// Run: npm run build:ts && node bench/tiny_op.mjs
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
tf.setNumThreads(1);
const a = tf.randn([4]), b = tf.randn([4]);
const reps = 20000, ts = [];
for (let r = 0; r < 23; r++) {
  const s = performance.now();
  for (let i = 0; i < reps; i++) a.add(b).dispose();
  ts.push(((performance.now() - s) * 1000) / reps);
}
ts.sort((x, y) => x - y);
console.log(JSON.stringify({ engine: 'tensorfield', op: 'add 4+4 float32', usPerOp: ts[11] }));
