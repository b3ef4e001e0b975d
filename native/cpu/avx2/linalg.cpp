// The linalg rows for AVX2 + FMA: 8 float32 / 4 float64 lanes (cpu/simd/linalg.inc).
#define TF_LA_VW32 8
#define TF_LA_VW64 4
#define TF_LA_FILL fill_linalg_avx2
#include "../simd/linalg.inc"
