// The FFT rows for AVX-512: 16 float32 / 8 float64 transforms per vector (cpu/simd/fft.inc).
#define TF_FFT_VW32 16
#define TF_FFT_VW64 8
#define TF_FFT_FILL fill_fft_avx512
#include "../simd/fft.inc"
