// The linalg rows for AVX-512: 16 float32 / 8 float64 lanes (cpu/simd/linalg.inc).
#define TF_LA_VW32 16
#define TF_LA_VW64 8
#define TF_LA_FILL fill_linalg_avx512
#include "../simd/linalg.inc"
