// The scalar arithmetic of quantization, shared by quantize, fake_quantize and the int8 epilogue so the
// integer path and its float simulation round identically.
#pragma once
#include <cmath>
#include <cstdint>

namespace tf {
namespace quant {

// Round half to even in the default rounding mode, for |v| < 2^22: adding 1.5 * 2^23 leaves no fraction bits,
// so the FPU rounds (ties to even); subtracting it back is exact. Larger |v| is already an integer or will be
// clamped. Inlined and vectorisable, unlike a call to nearbyintf on baseline x86-64.
inline float round_even(float v) {
  if (!(std::fabs(v) < 4194304.f)) return v;
  const float b = 12582912.f;  // (v + b) - b is not folded: the engine never builds with -ffast-math
  return (v + b) - b;
}
inline double round_even(double v) { return std::nearbyint(v); }

// q = clamp(round(x / s) + z, lo, hi); NaN maps to z (the code of 0.0), never to an undefined integer.
template <class T>
inline T quant_code(T x, T s, T z, T lo, T hi) {
  T v = round_even(x / s) + z;
  if (!(v == v)) return z;
  return v < lo ? lo : v > hi ? hi : v;
}

// quant_code for float32 without branches, so loops of it vectorise: |x / s| is clamped below 2^22 first (where
// the round trick is exact), which cannot change a result the final clamp to [lo, hi] keeps. Same results as
// quant_code for every input, NaN included.
inline float quant_code_fast(float x, float s, float z, float lo, float hi) {
  const float big = 12582912.f, lim = 4194304.f;
  float v = x / s;
  v = v < -lim ? -lim : v > lim ? lim : v;
  v = (v + big) - big + z;
  v = v < lo ? lo : v > hi ? hi : v;
  return v == v ? v : z;
}

}  // namespace quant
}  // namespace tf
