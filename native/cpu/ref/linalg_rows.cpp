// The scalar linalg rows (one lane): the same code as the SIMD rows (cpu/simd/linalg.inc). The readable
// reference every row is checked against is cpu/ref/linalg.cpp (sums in double).
#define TF_LA_VW32 1
#define TF_LA_VW64 1
#define TF_LA_FILL fill_linalg_scalar
#include "../simd/linalg.inc"
