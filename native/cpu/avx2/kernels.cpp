// float32 kernels for AVX2 + FMA (compiled with -mavx2 -mfma); see cpu/simd/kernels_f32.inc.
#define TF_VW 8
#define TF_FILL_NAME fill_avx2
#include "../simd/kernels_f32.inc"
