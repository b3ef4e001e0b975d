// float32 kernels for AVX-512 (compiled with -mavx512f/bw/vl/dq); see cpu/simd/kernels_f32.inc.
#define TF_VW 16
#define TF_FILL_NAME fill_avx512
#include "../simd/kernels_f32.inc"
