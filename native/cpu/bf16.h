// bfloat16: the top 16 bits of a float32 (8 exponent bits, 8 significant bits). One rounding rule for every path
// that makes bf16 from float32 (the matmul precision 'bf16': the reference, the AVX512-BF16 kernel's packing and,
// later, AMX and CUDA): round to nearest, ties to even, as vcvtneps2bf16 does; a NaN stays a (quiet) NaN. The
// unit roundoff is 2^-8, so |bf16(x) - x| <= 2^-8 |x| for normal x. The functions are static: ISA translation
// units include this too, and an inline function with external linkage compiled for AVX-512 could be the copy
// the linker keeps for baseline code. TF_HD (math/hd.h): the CUDA tensor-core GEMM's host model uses this rule too.
#pragma once
#include <stdint.h>
#include <string.h>
#include "../math/hd.h"

namespace tf {

TF_HD static inline uint16_t bf16_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x0040u);  // NaN: keep it, make it quiet
  u += 0x7fffu + ((u >> 16) & 1u);  // ties to even; carries into the exponent (up to inf) as rounding should
  return uint16_t(u >> 16);
}

TF_HD static inline float bf16_to_float(uint16_t h) {
  uint32_t u = uint32_t(h) << 16;
  float x;
  memcpy(&x, &u, 4);
  return x;
}

TF_HD static inline float bf16_round(float x) { return bf16_to_float(bf16_bits(x)); }

}  // namespace tf
