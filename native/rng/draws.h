// The engine generator's draws, shared by the random ops and the fused denoising steps so a fused step's noise
// is bit-identical to randn/binomial/poisson called with the same generator state: the fused step can then be
// tested against the same update composed from ordinary ops. The block draws are TF_HD (math/hd.h): the CUDA
// random kernels call these same functions, so a seed gives the same tensor on every device.
#pragma once
#include <cmath>
#include <cstdint>
#include "philox.h"

namespace tf {

// One random op call: its Philox key and call id (the generator advances by one call).
struct CallKey {
  uint64_t key;
  uint32_t call;
};
CallKey next_call();  // ops/random.cpp: the current context's generator (core/context.h)
// A call refused by its checks gives its number back (when it is the last one drawn), so a refused random op
// leaves the generator as it was.
void unwind_call(const CallKey& ck);

TF_HD inline void block_words(const CallKey& ck, uint64_t b, uint32_t out[4]) {
  uint32_t ctr[4] = {uint32_t(b), uint32_t(b >> 32), 0xffffffffu, ck.call};
  Philox::block(ctr, ck.key, out);
}

// Standard normals for elements 4b..4b+3 (float32 tensors): two Box-Muller pairs from one Philox block.
TF_HD inline void normal_block_f32(const CallKey& ck, uint64_t b, float z[4]) {
  const double two_pi = 6.283185307179586;
  uint32_t w[4];
  block_words(ck, b, w);
  for (int pair = 0; pair < 2; ++pair) {
    double u1 = (double(w[2 * pair] >> 8) + 1.0) / 16777216.0, u2 = double(w[2 * pair + 1] >> 8) / 16777216.0;
    double r = TF_M(sqrt)(-2.0 * TF_M(log)(u1));
    z[2 * pair] = float(r * TF_M(cos)(two_pi * u2));
    z[2 * pair + 1] = float(r * TF_M(sin)(two_pi * u2));
  }
}

// Standard normals for elements 2b, 2b+1 (float64 tensors): one Box-Muller pair with 53-bit uniforms.
TF_HD inline void normal_block_f64(const CallKey& ck, uint64_t b, double z[2]) {
  const double two_pi = 6.283185307179586;
  uint32_t w[4];
  block_words(ck, b, w);
  double u1 = u01d_open(w[0], w[1]), u2 = u01d(w[2], w[3]);
  double r = TF_M(sqrt)(-2.0 * TF_M(log)(u1));
  z[0] = r * TF_M(cos)(two_pi * u2);
  z[1] = r * TF_M(sin)(two_pi * u2);
}

// Exact integer draws for one element's stream (BTRS / PTRS beyond small means).
double binomial_draw(ElementStream& s, double n, double p);
double poisson_draw(ElementStream& s, double lam);

}  // namespace tf
