// Elementwise add of 2^28 float32 on the GPU (native/cuda/elementwise.cu v2: 16-byte loads), GB/s counting two
// reads and one write, against PyTorch's device copy bandwidth (bench/cuda/gemm_torch.py, read + write).
import { tf, requireGpu, medianMs, emit } from './common.mjs';
requireGpu();
const n = 2 ** 28;
const a = tf.randn([n], { device: 'cuda' }), b = tf.randn([n], { device: 'cuda' });
const ms = medianMs(() => a.add(b).dispose());
emit({ row: 'add_2^28', ms, gbps: (3 * 4 * n) / ms / 1e6 });
const ms2 = medianMs(() => a.clone().dispose());
emit({ row: 'copy_2^28', ms: ms2, gbps: (2 * 4 * n) / ms2 / 1e6 });
