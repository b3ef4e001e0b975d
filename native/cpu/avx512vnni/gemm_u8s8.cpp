// int8 GEMM for AVX-512 VNNI (see cpu/simd/gemm_u8s8.inc): vpdpbusd multiplies four u8 x s8 pairs and adds
// them to an int32 lane without intermediate saturation (the non-"s" form), so it is exact as it stands.
// test/native compiles this file against an emulation of the six intrinsics it uses (TF_EMULATE_AVX512), so
// its indexing is checked against the reference even on CPUs without AVX-512.
#ifndef TF_EMULATE_AVX512
#include <immintrin.h>
#endif
#include "../kernels.h"
#include <stdint.h>
#include <string.h>

namespace tf {
namespace cpu {
namespace {

struct I8 {
  typedef __m512i Reg;
  typedef int8_t BElem;
  typedef uint8_t AElem;
  static const int kLanes = 16, kGroup = 4, MR = 8, NR = 32;
  static Reg zero() { return _mm512_setzero_si512(); }
  static Reg load(const int8_t* p) { return _mm512_loadu_si512(p); }
  static void store(int32_t* p, Reg r) { _mm512_storeu_si512(p, r); }
  static Reg bcast(int32_t v) { return _mm512_set1_epi32(v); }
  static Reg dot(Reg acc, Reg a, Reg b) { return _mm512_dpbusd_epi32(acc, a, b); }
};

}  // namespace
}  // namespace cpu
}  // namespace tf

namespace tf {
namespace cpu {
#include "../simd/gemm_u8s8.inc"

void fill_vnni_int8(KernelTable& t) { t.gemm_u8s8 = GemmU8S8{"vnni", &packed_bytes, &pack, &gemm}; }

}  // namespace cpu
}  // namespace tf
