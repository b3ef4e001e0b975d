// float32 GEMM at bf16 precision (the matmul precision 'bf16', cpu/dispatch.h) for AVX512-BF16: A and B are
// rounded to bf16 while they are packed (cpu/bf16.h: nearest, ties to even), and vdpbf16ps multiplies pairs of
// them into float32 accumulators: acc += a[2p] b[2p] + a[2p+1] b[2p+1]. A bf16 x bf16 product is exact in
// float32, so the only errors are the input rounding (2^-8 relative each) and float32 accumulation; the test
// states the bound (test/bf16-matmul.test.ts). The instruction treats bf16 subnormals as zero and flushes
// subnormal results, which the bound's absolute term covers.
//
// Same structure as the int8 kernel (cpu/simd/gemm_u8s8.inc), with k pairs in place of k groups of four:
//   packed B: for each block of KP k pairs and each panel of NR = 64 columns, per pair p the 64 columns' 32-bit
//             lanes (bf16(b[2p][n]) low, bf16(b[2p+1][n]) high); zero past N and K;
//   packed A: MC rows x KP pairs, the same lanes along k; the micro-kernel broadcasts one lane per row.
// test/native/gemm_bf16_check.cpp compiles this file against a scalar model of the intrinsics (TF_EMULATE_AVX512)
// so the packing and tails are checked against the reference on every CPU.
#ifndef TF_EMULATE_AVX512
#include <immintrin.h>
#endif
#include "../kernels.h"
#include "../bf16.h"
#include <stdint.h>
#include <string.h>

namespace tf {
namespace cpu {
namespace {

constexpr int kLanes = 16, NV = 4, NR = NV * kLanes, MR = 5;
// KP pairs per block: a panel slice is KP * NR * 4 = 32 KiB (L1); MC rows of packed A 40 KiB and NC columns of
// packed B 512 KiB (L2). MR x NV = 5 x 4 as in the int8 kernel (20 accumulators; 6 rows spill).
constexpr int64_t KP = 128, MC = 16 * MR, NC = 1024;

#ifdef TF_EMULATE_AVX512
inline __m512 dot(__m512 acc, __m512i a, __m512i b) { return tf_emulated_dpbf16_ps(acc, a, b); }
#else
// The instruction with its accumulator tied in place (the intrinsic makes GCC copy accumulators every step).
inline __m512 dot(__m512 acc, __m512i a, __m512i b) {
  __asm__("vdpbf16ps %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
  return acc;
}
#endif

#include "../simd/bf16_pack.inc"

// One MR x NR tile over P pairs; rows past `rows` re-read the last valid row (computed, never stored). The
// accumulators are named variables: GCC keeps an array of them in memory.
#define TF_BF_FOR_V(X, r) X(r, 0) X(r, 1) X(r, 2) X(r, 3)
#define TF_BF_FOR_RV(X) TF_BF_FOR_V(X, 0) TF_BF_FOR_V(X, 1) TF_BF_FOR_V(X, 2) TF_BF_FOR_V(X, 3) TF_BF_FOR_V(X, 4)
#define TF_BF_DECL(r, v) __m512 c##r##_##v = _mm512_setzero_ps();
#define TF_BF_DOT(r, v) c##r##_##v = dot(c##r##_##v, a##r, b##v);
#define TF_BF_OUT(r, v) _mm512_storeu_ps(&tile[r][v * kLanes], c##r##_##v);
static_assert(MR == 5 && NV == 4, "the macros above name 5 x 4 accumulators");
void micro(int64_t P, const uint32_t* ap, const uint32_t* bp, float* C, int64_t ldc, int rows, int cols, bool acc) {
  const uint32_t* a[MR];
  for (int r = 0; r < MR; ++r) a[r] = ap + (r < rows ? r : rows - 1) * P;
  TF_BF_FOR_RV(TF_BF_DECL)
  for (int64_t p = 0; p < P; ++p) {
    const __m512i b0 = _mm512_loadu_si512(bp), b1 = _mm512_loadu_si512(bp + kLanes),
                  b2 = _mm512_loadu_si512(bp + 2 * kLanes), b3 = _mm512_loadu_si512(bp + 3 * kLanes);
    const __m512i a0 = _mm512_set1_epi32(int(a[0][p])), a1 = _mm512_set1_epi32(int(a[1][p])),
                  a2 = _mm512_set1_epi32(int(a[2][p])), a3 = _mm512_set1_epi32(int(a[3][p])),
                  a4 = _mm512_set1_epi32(int(a[4][p]));
    TF_BF_FOR_RV(TF_BF_DOT)
    bp += NR;
  }
  alignas(64) float tile[MR][NR];
  TF_BF_FOR_RV(TF_BF_OUT)
  if (cols == NR) {
    for (int r = 0; r < rows; ++r)
      for (int v = 0; v < NV; ++v) {
        float* p = C + r * ldc + v * kLanes;
        const __m512 t = _mm512_loadu_ps(&tile[r][v * kLanes]);
        _mm512_storeu_ps(p, acc ? _mm512_add_ps(_mm512_loadu_ps(p), t) : t);
      }
    return;
  }
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) C[r * ldc + c] = acc ? C[r * ldc + c] + tile[r][c] : tile[r][c];
}
#undef TF_BF_FOR_V
#undef TF_BF_FOR_RV
#undef TF_BF_DECL
#undef TF_BF_DOT
#undef TF_BF_OUT

void gemm_bf16(int64_t M, int64_t N, int64_t K, const char* ac, int64_t rsA, int64_t csA, const char* bc,
               int64_t rsB, int64_t csB, char* cc, int64_t ldc, int accumulate) {
  float* C = reinterpret_cast<float*>(cc);
  bf16_gemm_blocked(M, N, K, reinterpret_cast<const float*>(ac), rsA, csA, reinterpret_cast<const float*>(bc), rsB,
                    csB, C, ldc, accumulate, NR, KP, MC, NC, 1, 1,
                    [&](const uint32_t* ap, const uint32_t* bp, int64_t P, int64_t i0, int64_t mc, int64_t j0,
                        int64_t nc, bool acc) {
                      for (int64_t jp = 0; jp < nc; jp += NR) {
                        const int cols = int(nc - jp < NR ? nc - jp : NR);
                        for (int64_t r0 = 0; r0 < mc; r0 += MR)
                          micro(P, ap + r0 * P, bp + (jp / NR) * P * NR, C + (i0 + r0) * ldc + j0 + jp, ldc,
                                int(mc - r0 < MR ? mc - r0 : MR), cols, acc);
                      }
                    });
}

}  // namespace

void fill_bf16_gemm(KernelTable& t) {
  t.gemm_bf16 = &gemm_bf16;
  t.gemm_bf16_name = "avx512-bf16";
}

}  // namespace cpu
}  // namespace tf
