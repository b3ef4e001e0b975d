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

void fill_vnni_int8(KernelTable& t) {
  t.gemm_u8s8 = GemmU8S8{"vnni", &packed_bytes, &pack, &gemm, &conv_tile, kConvNV, &code_x4, &pack_padded};
}

}  // namespace cpu
}  // namespace tf
