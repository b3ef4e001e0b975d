// int8 GEMM for AVX2 (see cpu/simd/gemm_u8s8.inc). vpmaddubsw (u8 x s8 pairs summed into int16) saturates:
// 255*127 + 255*127 exceeds 32767. Instead both operands are widened to int16 (activations at packing, weights
// once at weight packing) and multiplied with vpmaddwd, whose pair sums (at most 2 * 255 * 128) cannot
// saturate, into int32 lanes. This is exact for every input and issues the same number of multiply uops per MAC
// as the vpmaddubsw + vpmaddwd(ones) chain; the price is weights stored at 16 bits in the packed panels.
#include "../kernels.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

namespace tf {
namespace cpu {
namespace {

struct I8 {
  typedef __m256i Reg;
  typedef int16_t BElem;
  typedef uint16_t AElem;
  // 4 rows x 2 registers: 8 accumulators, no spills with 16 ymm registers (8 x 1 for a panel of <= 8 columns)
  static const int kLanes = 8, kGroup = 2, MR = 4, MRn = 8, NV = 2, KC = 256, MC = 96;
  static Reg zero() { return _mm256_setzero_si256(); }
  static Reg load(const int16_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static Reg loadc(const int32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(int32_t* p, Reg r) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), r); }
  static Reg add(Reg a, Reg b) { return _mm256_add_epi32(a, b); }
  static Reg bcast(int32_t v) { return _mm256_set1_epi32(v); }
  static Reg dot(Reg acc, Reg a, Reg b) { return _mm256_add_epi32(_mm256_madd_epi16(a, b), acc); }
};

}  // namespace
}  // namespace cpu
}  // namespace tf

namespace tf {
namespace cpu {
#include "../simd/gemm_u8s8.inc"

void fill_avx2_int8(KernelTable& t) {
  t.gemm_u8s8 = GemmU8S8{"avx2-s16", &packed_bytes, &pack, &gemm, nullptr, 0, nullptr, nullptr};  // convolutions: im2col + GEMM
}

}  // namespace cpu
}  // namespace tf
