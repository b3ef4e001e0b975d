// int8 GEMM (see cpu/simd/gemm_u8s8.inc) and direct convolution (conv_u8s8.inc) for AVX-512 VNNI: vpdpbusd
// multiplies four u8 x s8 pairs and adds them to an int32 lane without intermediate saturation (the non-"s"
// form), so it is exact as it stands.
// test/native compiles this file against an emulation of the intrinsics it uses (TF_EMULATE_AVX512), so
// its indexing is checked against the reference even on CPUs without AVX-512.
#ifndef TF_EMULATE_AVX512
#include <immintrin.h>
#endif
#include "../kernels.h"
#include <stdint.h>
#include <string.h>
#include <vector>

// Blocking, measured on a Zen 5 core with bench/vnni_tile.sh (MR 4-6 x KC 64-128; MR 6 spills: 24 accumulators
// + 4 weight registers + the broadcasts exceed 32 zmm). The -D overrides are for that sweep only.
#ifndef TF_VNNI_KC
#define TF_VNNI_KC 128
#endif
#ifndef TF_VNNI_MR
#define TF_VNNI_MR 5
#endif

namespace tf {
namespace cpu {
namespace {

struct I8 {
  typedef __m512i Reg;
  typedef int8_t BElem;
  typedef uint8_t AElem;
  // 5 rows x 4 registers: 20 accumulators; per k group 4 weight loads + 5 broadcasts feed 20 vpdpbusd (the
  // former 8 x 2 tile needed 10 loads for 16). A panel with at most 32 columns (a 32-channel layer) runs the
  // narrow 8 x 2 tile instead. KC = 128 groups: a panel slice is 32 KiB, in a 48 KiB L1.
  static const int kLanes = 16, kGroup = 4, MR = TF_VNNI_MR, MRn = 8, NV = 4, KC = TF_VNNI_KC, MC = 16 * MR;
  static Reg zero() { return _mm512_setzero_si512(); }
  static Reg load(const int8_t* p) { return _mm512_loadu_si512(p); }
  static Reg loadc(const int32_t* p) { return _mm512_loadu_si512(p); }
  static void store(int32_t* p, Reg r) { _mm512_storeu_si512(p, r); }
  static Reg add(Reg a, Reg b) { return _mm512_add_epi32(a, b); }
  static Reg bcast(int32_t v) { return _mm512_set1_epi32(v); }
#ifdef TF_EMULATE_AVX512
  static Reg dot(Reg acc, Reg a, Reg b) { return _mm512_dpbusd_epi32(acc, a, b); }
#else
  // The instruction itself, accumulator tied in place: through the intrinsic GCC 12 copies every accumulator
  // each k step (and spills some to the stack): 600 GOP/s instead of 830 on one Zen 5 core.
  static Reg dot(Reg acc, Reg a, Reg b) {
    __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b));
    return acc;
  }
#endif
};

}  // namespace
}  // namespace cpu
}  // namespace tf

namespace tf {
namespace cpu {
#include "../simd/gemm_u8s8.inc"
#include "conv_u8s8.inc"

namespace {
// kernels.h GemmU8S8::dot_chains: 12 independent vpdpbusd zmm chains per step (more than latency x ports on
// current cores, so the ports set the rate), registers only, as the kernel issues them. Not in the emulation
// build (no instruction to time there).
#ifndef TF_EMULATE_AVX512
int32_t dot_chains(int64_t iters) {
  __m512i a = _mm512_set1_epi32(0x01020304), b = _mm512_set1_epi32(0x01010101);
  __m512i c0 = _mm512_setzero_si512(), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0,
          c9 = c0, c10 = c0, c11 = c0;
  for (int64_t i = 0; i < iters; ++i)
    __asm__("vpdpbusd %12, %13, %0\n vpdpbusd %12, %13, %1\n vpdpbusd %12, %13, %2\n vpdpbusd %12, %13, %3\n"
            "vpdpbusd %12, %13, %4\n vpdpbusd %12, %13, %5\n vpdpbusd %12, %13, %6\n vpdpbusd %12, %13, %7\n"
            "vpdpbusd %12, %13, %8\n vpdpbusd %12, %13, %9\n vpdpbusd %12, %13, %10\n vpdpbusd %12, %13, %11\n"
            : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5), "+v"(c6), "+v"(c7), "+v"(c8), "+v"(c9),
              "+v"(c10), "+v"(c11)
            : "v"(b), "v"(a));
  __m512i s = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(c0, c1), _mm512_add_epi32(c2, c3)),
                               _mm512_add_epi32(_mm512_add_epi32(c4, c5), _mm512_add_epi32(c6, c7)));
  s = _mm512_add_epi32(s, _mm512_add_epi32(_mm512_add_epi32(c8, c9), _mm512_add_epi32(c10, c11)));
  alignas(64) int32_t t[16];
  _mm512_storeu_si512(t, s);
  return t[0];
}
constexpr int kDotOps = 12 * 16 * 4 * 2;  // per step: 12 instructions x 16 lanes x 4 products x 2
#define TF_VNNI_DOT_CHAINS &dot_chains
#else
constexpr int kDotOps = 0;
#define TF_VNNI_DOT_CHAINS nullptr
#endif
}  // namespace

void fill_vnni_int8(KernelTable& t) {
  t.gemm_u8s8 = GemmU8S8{"vnni", &packed_bytes, &pack, &gemm, &conv_tile, kConvNV, &code_x4, &pack_padded, TF_VNNI_DOT_CHAINS, kDotOps};
}

}  // namespace cpu
}  // namespace tf
