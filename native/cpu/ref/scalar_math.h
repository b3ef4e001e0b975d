// The scalar definition of every elementwise function: the oracle that SIMD kernels are tested against.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

namespace tf {
namespace ref {

template <class T> inline T sigmoid(T x) {
  // Split by sign so exp never overflows.
  if (x >= 0) { T e = std::exp(-x); return T(1) / (T(1) + e); }
  T e = std::exp(x);
  return e / (T(1) + e);
}
template <class T> inline T softplus(T x, T beta, T threshold) {
  T bx = beta * x;
  if (bx > threshold) return x;
  return std::log1p(std::exp(bx)) / beta;
}
template <class T> inline T gelu(T x) { return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440))); }
template <class T> inline T gelu_tanh(T x) {
  const T k = T(0.79788456080286535588);  // sqrt(2/pi)
  return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
}
template <class T> inline T sign(T x) { return T((x > T(0)) - (x < T(0))); }

}  // namespace ref
}  // namespace tf
