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

// The data-dependent draws' input rules, one definition for the CPU and CUDA entries (host_draws.cpp, cuda/draws.cu),
// so every device refuses the same inputs. draw_finite is isfinite written so device code can use it (x - x is NaN
// exactly for inf and NaN).
TF_HD inline bool draw_finite(double x) { return x - x == 0; }
TF_HD inline bool valid_probability(double p) { return p >= 0 && p <= 1; }
TF_HD inline bool valid_count(double c) { return c >= 0 && TF_M(floor)(c) == c && draw_finite(c); }
TF_HD inline bool valid_rate(double r) { return r >= 0 && draw_finite(r); }
TF_HD inline bool valid_weight(double w) { return w >= 0 && draw_finite(w); }  // a multinomial weight
TF_HD inline bool valid_count_state(double c, double n_max) { return c >= 0 && c <= n_max && TF_M(floor)(c) == c; }

// Exact integer draws for one element's stream (BTRS / PTRS beyond small means). TF_HD: the CUDA draw kernels run
// these too, with the device's libm (log, lgamma, pow within a few ulp of the host's), so a draw can differ from
// the CPU's only where a rejection test lands within that rounding of its boundary.
TF_HD inline double binomial_draw(ElementStream& s, double n, double p) {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  bool flip = p > 0.5;
  if (flip) p = 1 - p;
  double q = 1 - p, k;
  if (n * p < 10) {
    // inversion by sequential search from 0 (expected n p steps)
    // The search stops far in the tail (np + 10 sqrt(np) + 30, probability < 1e-20): reaching it means the
    // running sum lost to rounding, and the draw restarts instead of walking up to n.
    double s_ = p / q, a = (n + 1) * s_, limit = n * p + 10 * TF_M(sqrt)(n * p) + 30;
    if (limit > n) limit = n;
    for (;;) {
      double r = TF_M(pow)(q, n), u = s.uniform();
      k = 0;
      while (u > r && k < limit) {
        u -= r;
        k += 1;
        r *= a / k - s_;
      }
      if (u <= r || limit == n) break;
    }
  } else {
    // BTRS: transformed rejection with squeeze (Hormann 1993)
    double spq = TF_M(sqrt)(n * p * q), b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * p;
    double c = n * p + 0.5, vr = 0.92 - 4.2 / b, alpha = (2.83 + 5.1 / b) * spq, lpq = TF_M(log)(p / q);
    double m = TF_M(floor)((n + 1) * p), h = TF_M(lgamma)(m + 1) + TF_M(lgamma)(n - m + 1);
    for (;;) {
      double u = s.uniform() - 0.5, v = s.uniform(), us = 0.5 - TF_M(fabs)(u);
      k = TF_M(floor)((2 * a / us + b) * u + c);
      if (k < 0 || k > n) continue;
      if (us >= 0.07 && v <= vr) break;
      v = TF_M(log)(v * alpha / (a / (us * us) + b));
      if (v <= h - TF_M(lgamma)(k + 1) - TF_M(lgamma)(n - k + 1) + (k - m) * lpq) break;
    }
  }
  return flip ? n - k : k;
}

TF_HD inline double poisson_draw(ElementStream& s, double lam) {
  if (lam <= 0) return 0;
  if (lam < 10) {
    double L = TF_M(exp)(-lam), p = 1;
    double k = 0;
    for (;;) {
      p *= s.uniform();
      if (p <= L) return k;
      k += 1;
    }
  }
  // PTRS: transformed rejection (Hormann 1993)
  double slam = TF_M(sqrt)(lam), loglam = TF_M(log)(lam), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
  double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    double u = s.uniform() - 0.5, v = s.uniform_open(), us = 0.5 - TF_M(fabs)(u);
    double k = TF_M(floor)((2 * a / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (TF_M(log)(v) + TF_M(log)(invalpha) - TF_M(log)(a / (us * us) + b) <= -lam + k * loglam - TF_M(lgamma)(k + 1)) return k;
  }
}


}  // namespace tf
