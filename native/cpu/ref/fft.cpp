// The scalar FFT rows (one lane): the same Stockham/Bluestein code as the SIMD rows (cpu/simd/fft.inc). The
// readable reference every row is checked against is the naive DFT of cpu/ref/dft.cpp.
#define TF_FFT_VW32 1
#define TF_FFT_VW64 1
#define TF_FFT_FILL fill_fft_scalar
#include "../simd/fft.inc"
