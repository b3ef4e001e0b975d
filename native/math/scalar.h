// The scalar definition of the elementwise functions that are more than one call (sigmoid, softplus, GELU, sign):
// the oracle the SIMD kernels are tested against, and the body the CUDA kernels run (math/hd.h).
#pragma once
#include "hd.h"

namespace tf {
namespace ref {

template <class T> TF_HD inline T sigmoid(T x) {
  // Split by sign so exp never overflows.
  if (x >= 0) { T e = TF_M(exp)(-x); return T(1) / (T(1) + e); }
  T e = TF_M(exp)(x);
  return e / (T(1) + e);
}
template <class T> TF_HD inline T softplus(T x, T beta, T threshold) {
  T bx = beta * x;
  if (bx > threshold) return x;
  return TF_M(log1p)(TF_M(exp)(bx)) / beta;
}
template <class T> TF_HD inline T gelu(T x) { return T(0.5) * x * (T(1) + TF_M(erf)(x * T(0.70710678118654752440))); }
template <class T> TF_HD inline T gelu_tanh(T x) {
  const T k = T(0.79788456080286535588);  // sqrt(2/pi)
  return T(0.5) * x * (T(1) + TF_M(tanh)(k * (x + T(0.044715) * x * x * x)));
}
template <class T> TF_HD inline T sign(T x) { return T((x > T(0)) - (x < T(0))); }

}  // namespace ref
}  // namespace tf
