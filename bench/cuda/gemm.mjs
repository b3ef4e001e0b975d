// fp32 GEMM on the GPU (native/cuda/matmul.cu v2, SIMT fp32), 4096^3 and 8192^3, TFLOP/s from the median.
// Side by side with bench/cuda/gemm_torch.py (PyTorch fp32 / TF32 / BF16) in bench/cuda/check.sh.
import { tf, requireGpu, medianMs, emit } from './common.mjs';
requireGpu();
for (const n of [4096, 8192]) {
  const a = tf.randn([n, n], { device: 'cuda' }), b = tf.randn([n, n], { device: 'cuda' });
  const ms = medianMs(() => a.matmul(b).dispose(), { reps: n >= 8192 ? 10 : 20 });
  emit({ row: 'gemm_fp32', shape: `${n}^3`, ms, tflops: (2 * n ** 3) / ms / 1e9 });
  a.dispose(); b.dispose();
}
