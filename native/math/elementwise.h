// The per-element bodies of the elementwise family, written once for every backend (math/hd.h): the scalar
// reference rows (cpu/ref/elementwise.cpp) loop over them on the host, the CUDA kernels (cuda/elementwise.cu)
// run the same functions per thread. A switch over the op is exhaustive (-Werror=switch): every row of
// ops/op_table.h has a body here.
#pragma once
#include <cstdint>
#include <type_traits>
#include "hd.h"
#include "scalar.h"
#include "../ops/op_table.h"

namespace tf {
namespace ew {

template <class T> constexpr bool kFloat = std::is_floating_point<T>::value;

// The unary ops. Integer dtypes have only neg, abs, sign, relu, clamp, square, floor and copy (the others are
// not in their kernel rows; the body returns x for them).
template <class T, int OP>
TF_HD inline T unary_apply(T x, const UnaryParams* p) {
  if constexpr (kFloat<T>) {
    switch (static_cast<UnaryOp>(OP)) {
      case U_NEG: return -x;
      case U_EXP: return TF_M(exp)(x);
      case U_LOG: return TF_M(log)(x);
      case U_LOG1P: return TF_M(log1p)(x);
      case U_EXPM1: return TF_M(expm1)(x);
      case U_SQRT: return TF_M(sqrt)(x);
      case U_RSQRT: return T(1) / TF_M(sqrt)(x);
      case U_ABS: return TF_M(fabs)(x);
      case U_SIGN: return ref::sign(x);
      case U_SIN: return TF_M(sin)(x);
      case U_COS: return TF_M(cos)(x);
      case U_TANH: return TF_M(tanh)(x);
      case U_SIGMOID: return ref::sigmoid(x);
      case U_RELU: return x < T(0) ? T(0) : x;  // NaN propagates, as in PyTorch
      case U_LEAKY_RELU: return x < T(0) ? T(p->a) * x : x;
      case U_ELU: return x > T(0) ? x : T(p->a) * TF_M(expm1)(x);
      case U_SILU: return x * ref::sigmoid(x);
      case U_GELU: return ref::gelu(x);
      case U_GELU_TANH: return ref::gelu_tanh(x);
      case U_SOFTPLUS: return ref::softplus(x, T(p->a), T(p->b));
      case U_CLAMP: {  // min(max(x, lo), hi) as std::min/std::max order it: a NaN x stays NaN
        T lo = T(p->a), hi = T(p->b);
        T m = x < lo ? lo : x;
        return hi < m ? hi : m;
      }
      case U_ERF: return TF_M(erf)(x);
      case U_RECIPROCAL: return T(1) / x;
      case U_SQUARE: return x * x;
      case U_POW_SCALAR: return TF_M(pow)(x, T(p->a));
      case U_FLOOR: return TF_M(floor)(x);
      case U_COPY: return x;
    }
  } else {
    switch (OP) {
      case U_NEG: return T(-x);
      case U_ABS: return T(x < 0 ? -x : x);
      case U_SIGN: return T((x > 0) - (x < 0));
      case U_RELU: return x > 0 ? x : T(0);
      case U_CLAMP: {
        double m = double(x) < p->a ? p->a : double(x);
        return T(p->b < m ? p->b : m);
      }
      case U_SQUARE: return T(x * x);
      case U_FLOOR: case U_COPY: return x;
    }
  }
  return x;
}
// Which (op, dtype) pairs have a body: every op for float dtypes, the list above for integers.
template <class T>
TF_HD constexpr bool unary_defined(int op) {
  if (kFloat<T>) return true;
  return op == U_NEG || op == U_ABS || op == U_SIGN || op == U_RELU || op == U_CLAMP || op == U_SQUARE ||
         op == U_FLOOR || op == U_COPY;
}

template <class T> TF_HD inline bool is_nan(T v) {
  if constexpr (kFloat<T>) return TF_M(isnan)(v); else return false;
}

// The arithmetic binary ops (add..minimum); the comparisons are compare_apply.
template <class T, int OP>
TF_HD inline T binary_apply(T a, T b) {
  switch (OP) {
    case B_ADD: return T(a + b);
    case B_SUB: return T(a - b);
    case B_MUL: return T(a * b);
    case B_DIV:
      if constexpr (kFloat<T>) return T(a / b);
      else return T(b == 0 ? 0 : a / b);  // never reached: the op layer divides in floating point
    case B_POW: return T(TF_M(pow)(double(a), double(b)));
    case B_MAX:
      if constexpr (kFloat<T>) { if (is_nan(a) || is_nan(b)) return T(NAN); }  // NaN propagates, as in PyTorch
      return a > b ? a : b;
    case B_MIN:
      if constexpr (kFloat<T>) { if (is_nan(a) || is_nan(b)) return T(NAN); }
      return a < b ? a : b;
  }
  return a;
}

template <class T, int OP>
TF_HD inline uint8_t compare_apply(T x, T y) {
  return OP == B_EQ ? x == y : OP == B_NE ? x != y : OP == B_LT ? x < y : OP == B_LE ? x <= y : OP == B_GT ? x > y : x >= y;
}

template <class T> TF_HD inline uint8_t isfinite_apply(T v) {
  if constexpr (kFloat<T>) return TF_M(isfinite)(v);
  else return 1;
}

// The range of an integer dtype, for saturating float -> int casts (no std::numeric_limits: not constexpr-callable
// in device code without relaxed constexpr).
template <class D> struct IntRange;
template <> struct IntRange<int32_t> { static constexpr double lo = -2147483648.0, hi = 2147483647.0; };
template <> struct IntRange<int8_t> { static constexpr double lo = -128.0, hi = 127.0; };
template <> struct IntRange<uint8_t> { static constexpr double lo = 0.0, hi = 255.0; };

template <class S, class D>
TF_HD inline D cast_apply(S v) {
  if constexpr (kFloat<S> && !kFloat<D>) {
    // float -> int truncates toward zero; NaN and out-of-range values saturate instead of being UB
    double d = double(v);
    if (d != d) d = 0;
    d = d < IntRange<D>::lo ? IntRange<D>::lo : d;
    d = d > IntRange<D>::hi ? IntRange<D>::hi : d;
    return D(d);
  } else {
    return D(v);
  }
}

}  // namespace ew
}  // namespace tf
