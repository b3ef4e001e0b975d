// fp32 GEMM GFLOP/s on the performance issue's shapes (M x K x N), median of timed calls after warm-up.
// Side by side with PyTorch: bench/compare.sh runs this and bench/gemm_torch.py alternately.
// Run: npm run build:ts && node bench/gemm.mjs [threads] [fp32|bf16]   (bf16: backend.setMatmulPrecision('bf16'),
// float32 tensors in and out; bench/gemm_torch.py T bf16 is PyTorch's bf16 tensors on the same shapes)
import { createRequire } from 'module';
const require = createRequire(import.meta.url);
const tf = require('../dist/index.js');
const T = Number(process.argv[2] ?? 1);
tf.setNumThreads(T);
const precision = process.argv[3] ?? 'fp32';
tf.backend.setMatmulPrecision(precision);
const shapes = [[256, 256, 256], [512, 512, 512], [1024, 1024, 1024], [2048, 2048, 2048], [256, 512, 512], [256, 1024, 1024]];
function median(fn, budgetMs = 2000) {
  for (let i = 0; i < 3; i++) fn();
  const ts = [];
  const t0 = performance.now();
  while (ts.length < 7 || (performance.now() - t0 < budgetMs && ts.length < 300)) { const s = performance.now(); fn(); ts.push(performance.now() - s); }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}
for (const [M, K, N] of shapes) {
  const a = tf.randn([M, K]), b = tf.randn([K, N]);
  const ms = median(() => a.matmul(b).dispose());
  console.log(JSON.stringify({ engine: 'tensorfield', precision, kernel: precision === 'bf16' ? tf.info().bf16Matmul : tf.info().isa, threads: T, shape: `${M}x${K}x${N}`, ms, gflops: (2 * M * K * N) / ms / 1e6 }));
  a.dispose(); b.dispose();
}
