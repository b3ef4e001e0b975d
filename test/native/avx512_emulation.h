// A scalar model of the AVX-512 intrinsics the VNNI int8 kernel uses, following their definitions in the
// Intel Intrinsics Guide. With it the kernel's own source (packing, blocking, tails) runs on any CPU and is
// compared with the reference (gemm_u8s8_check.cpp); the real instruction is only reached on VNNI hardware.
#pragma once
#include <stdint.h>
#include <string.h>

struct __m512i { int32_t v[16]; };

static inline __m512i _mm512_setzero_si512() { __m512i r; memset(&r, 0, sizeof(r)); return r; }
static inline __m512i _mm512_loadu_si512(const void* p) { __m512i r; memcpy(&r, p, sizeof(r)); return r; }
static inline void _mm512_storeu_si512(void* p, __m512i a) { memcpy(p, &a, sizeof(a)); }
static inline __m512i _mm512_add_epi32(__m512i a, __m512i b) {
  __m512i r;
  for (int i = 0; i < 16; ++i) r.v[i] = int32_t(uint32_t(a.v[i]) + uint32_t(b.v[i]));
  return r;
}
static inline __m512i _mm512_set1_epi32(int a) { __m512i r; for (int i = 0; i < 16; ++i) r.v[i] = a; return r; }
// dst[i] = src[i] + sum_{j<4} zero_extend(a.byte[4i+j]) * sign_extend(b.byte[4i+j]), wrapping (no saturation)
static inline __m512i _mm512_dpbusd_epi32(__m512i src, __m512i a, __m512i b) {
  const uint8_t* ua = reinterpret_cast<const uint8_t*>(a.v);
  const int8_t* sb = reinterpret_cast<const int8_t*>(b.v);
  __m512i r;
  for (int i = 0; i < 16; ++i) {
    int64_t s = src.v[i];
    for (int j = 0; j < 4; ++j) s += int32_t(ua[4 * i + j]) * int32_t(sb[4 * i + j]);
    r.v[i] = int32_t(uint32_t(s));
  }
  return r;
}
