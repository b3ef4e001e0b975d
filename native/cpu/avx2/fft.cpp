// The FFT rows for AVX2 + FMA: 8 float32 / 4 float64 transforms per vector (cpu/simd/fft.inc).
#define TF_FFT_VW32 8
#define TF_FFT_VW64 4
#define TF_FFT_FILL fill_fft_avx2
#include "../simd/fft.inc"
