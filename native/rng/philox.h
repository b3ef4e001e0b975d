// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator. Output depends only on (key, counter), so any element can be drawn independently — the same
// seed gives the same tensor whatever the thread count or the device: the block function and the uniform
// transforms are TF_HD (math/hd.h), one definition for the CPU and the CUDA kernels.
#pragma once
#include <cstdint>
#include <cmath>
#include "../math/hd.h"

namespace tf {

struct Philox {
  TF_HD static inline void round(uint32_t c[4], uint32_t k0, uint32_t k1) {
    uint64_t p0 = uint64_t(0xD2511F53u) * c[0], p1 = uint64_t(0xCD9E8D57u) * c[2];
    uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0), hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    uint32_t n0 = hi1 ^ c[1] ^ k0, n2 = hi0 ^ c[3] ^ k1;
    c[0] = n0; c[1] = lo1; c[2] = n2; c[3] = lo0;
  }
  // out = Philox4x32-10(counter, key)
  TF_HD static inline void block(const uint32_t ctr[4], uint64_t key, uint32_t out[4]) {
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k0 = uint32_t(key), k1 = uint32_t(key >> 32);
    for (int r = 0; r < 10; ++r) {
      round(c, k0, k1);
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    out[0] = c[0]; out[1] = c[1]; out[2] = c[2]; out[3] = c[3];
  }
};

// Uniform in [0, 1) with 24 (float) or 53 (double) random bits; and in (0, 1] for logs.
TF_HD inline float u01f(uint32_t x) { return float(x >> 8) * (1.0f / 16777216.0f); }
TF_HD inline double u01d(uint32_t a, uint32_t b) { return double((uint64_t(a) << 21) ^ (b >> 11)) * (1.0 / 9007199254740992.0); }
TF_HD inline double u01d_open(uint32_t a, uint32_t b) { return (double((uint64_t(a) << 21) ^ (b >> 11)) + 1.0) * (1.0 / 9007199254740992.0); }

// A stream of uniforms for one element (or row): counter = (element lo, element hi, draw index, call id).
struct ElementStream {
  uint64_t key;
  uint32_t elem_lo, elem_hi, call;
  uint32_t draw = 0;
  uint32_t buf[4];
  int used = 4;
  TF_HD ElementStream(uint64_t k, uint64_t elem, uint32_t call_id)
      : key(k), elem_lo(uint32_t(elem)), elem_hi(uint32_t(elem >> 32)), call(call_id) {}
  TF_HD uint32_t next_u32() {
    if (used == 4) {
      uint32_t ctr[4] = {elem_lo, elem_hi, draw++, call};
      Philox::block(ctr, key, buf);
      used = 0;
    }
    return buf[used++];
  }
  TF_HD double uniform() { uint32_t a = next_u32(), b = next_u32(); return u01d(a, b); }
  TF_HD double uniform_open() { uint32_t a = next_u32(), b = next_u32(); return u01d_open(a, b); }
};

}  // namespace tf
