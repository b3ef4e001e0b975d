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

namespace {
// kernels.h GemmU8S8::dot_chains: the AVX2 kernel's multiply-add as it issues it, vpmaddwd (8 lanes x 2 int16
// products) into a temporary and vpaddd into an accumulator, 12 independent pairs per step, registers only.
int32_t dot_chains(int64_t iters) {
  __m256i a = _mm256_set1_epi32(0x00030004), b = _mm256_set1_epi32(0x00010001);
  __m256i c0 = _mm256_setzero_si256(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0,
          c9 = c0, c10 = c0, c11 = c0, tmp;
#define TF_PAIR(i) "vpmaddwd %13, %14, %12\n vpaddd %12, %" #i ", %" #i "\n"
  for (int64_t i = 0; i < iters; ++i)
    __asm__(TF_PAIR(0) TF_PAIR(1) TF_PAIR(2) TF_PAIR(3) TF_PAIR(4) TF_PAIR(5) TF_PAIR(6) TF_PAIR(7) TF_PAIR(8)
            TF_PAIR(9) TF_PAIR(10) TF_PAIR(11)
            : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5), "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9),
              "+x"(c10), "+x"(c11), "=&x"(tmp)
            : "x"(b), "x"(a));
#undef TF_PAIR
  __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(c0, c1), _mm256_add_epi32(c2, c3)),
                               _mm256_add_epi32(_mm256_add_epi32(c4, c5), _mm256_add_epi32(c6, c7)));
  s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_add_epi32(c8, c9), _mm256_add_epi32(c10, c11)));
  alignas(32) int32_t t[8];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(t), s);
  return t[0];
}
constexpr int kDotOps = 12 * 8 * 2 * 2;  // per step: 12 pairs x 8 lanes x 2 products x 2
}  // namespace

void fill_avx2_int8(KernelTable& t) {
  t.gemm_u8s8 = GemmU8S8{"avx2-s16", &packed_bytes, &pack, &gemm, nullptr, 0, nullptr, nullptr, &dot_chains, kDotOps};  // convolutions: im2col + GEMM
}

}  // namespace cpu
}  // namespace tf
