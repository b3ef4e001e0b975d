// GEMM on the GPU, 4096^3 and 8192^3, TFLOP/s from the median: fp32 (native/cuda/matmul.cu v2, SIMT) and the
// tensor-core kernels (v3) under the matmul precisions 'tf32' and 'bf16' (float32 operands rounded in the kernel,
// fp32 accumulation and output; PyTorch's bf16 row multiplies bf16 tensors, so it reads half the bytes).
// Side by side with bench/cuda/gemm_torch.py (PyTorch fp32 / TF32 / BF16) in bench/cuda/check.sh.
import { tf, requireGpu, medianMs, emit } from './common.mjs';
requireGpu();
for (const precision of ['fp32', 'tf32', 'bf16']) {
  tf.backend.setMatmulPrecision(precision);
  for (const n of [4096, 8192]) {
    const a = tf.randn([n, n], { device: 'cuda' }), b = tf.randn([n, n], { device: 'cuda' });
    const ms = medianMs(() => a.matmul(b).dispose(), { reps: n >= 8192 ? 10 : 20 });
    emit({ row: `gemm_${precision}`, shape: `${n}^3`, ms, tflops: (2 * n ** 3) / ms / 1e9 });
    a.dispose(); b.dispose();
  }
}
tf.backend.setMatmulPrecision('fp32');
