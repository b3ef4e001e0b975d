// A scalar model of the AVX-512 intrinsics the bf16 GEMM (native/cpu/avx512bf16/gemm_bf16.cpp) uses, on top of
// the integer ones in avx512_emulation.h. vdpbf16ps follows the Intel SDM's definition: per float32 lane,
// srcdest += a.bf16[2i+1] * b.bf16[2i+1], then srcdest += a.bf16[2i] * b.bf16[2i], each product exact and each
// add rounded to float32 (nearest even); bf16 subnormal inputs are read as zero and subnormal results flushed.
#pragma once
#include "avx512_emulation.h"
#include <math.h>

struct __m512 { float v[16]; };

static inline __m512 _mm512_setzero_ps() { __m512 r; memset(&r, 0, sizeof(r)); return r; }
static inline __m512 _mm512_loadu_ps(const void* p) { __m512 r; memcpy(&r, p, sizeof(r)); return r; }
static inline void _mm512_storeu_ps(void* p, __m512 a) { memcpy(p, &a, sizeof(a)); }
static inline __m512 _mm512_add_ps(__m512 a, __m512 b) {
  __m512 r;
  for (int i = 0; i < 16; ++i) r.v[i] = a.v[i] + b.v[i];
  return r;
}
static inline float tf_emulated_bf16_daz(uint16_t h) {
  if ((h & 0x7f80) == 0) h &= 0x8000;  // subnormal (or zero) -> signed zero
  uint32_t u = uint32_t(h) << 16;
  float x;
  memcpy(&x, &u, 4);
  return x;
}
static inline float tf_emulated_ftz(float x) { return fpclassify(x) == FP_SUBNORMAL ? copysignf(0.0f, x) : x; }
static inline __m512 tf_emulated_dpbf16_ps(__m512 acc, __m512i a, __m512i b) {
  __m512 r;
  for (int i = 0; i < 16; ++i) {
    const uint32_t la = uint32_t(a.v[i]), lb = uint32_t(b.v[i]);
    float s = acc.v[i];
    s = tf_emulated_ftz(s + tf_emulated_bf16_daz(uint16_t(la >> 16)) * tf_emulated_bf16_daz(uint16_t(lb >> 16)));
    s = tf_emulated_ftz(s + tf_emulated_bf16_daz(uint16_t(la)) * tf_emulated_bf16_daz(uint16_t(lb)));
    r.v[i] = s;
  }
  return r;
}
