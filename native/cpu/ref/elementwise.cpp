// Scalar reference kernels for unary, binary, where, isfinite and casts: plain strided loops.
#include "../kernels.h"
#include "scalar_math.h"
#include <cmath>
#include <cstring>
#include <algorithm>
#include <limits>
#include <utility>

namespace tf {
namespace cpu {

namespace {

template <class T, int OP>
T unary_apply(T x, const UnaryParams* p) {
  using std::exp; using std::log;
  if constexpr (std::is_floating_point<T>::value) {
    switch (static_cast<UnaryOp>(OP)) {  // exhaustive: every row of ops/op_table.h has a reference body
      case U_NEG: return -x;
      case U_EXP: return std::exp(x);
      case U_LOG: return std::log(x);
      case U_LOG1P: return std::log1p(x);
      case U_EXPM1: return std::expm1(x);
      case U_SQRT: return std::sqrt(x);
      case U_RSQRT: return T(1) / std::sqrt(x);
      case U_ABS: return std::fabs(x);
      case U_SIGN: return ref::sign(x);
      case U_SIN: return std::sin(x);
      case U_COS: return std::cos(x);
      case U_TANH: return std::tanh(x);
      case U_SIGMOID: return ref::sigmoid(x);
      case U_RELU: return x < T(0) ? T(0) : x;  // NaN propagates, as in PyTorch
      case U_LEAKY_RELU: return x < T(0) ? T(p->a) * x : x;
      case U_ELU: return x > T(0) ? x : T(p->a) * std::expm1(x);
      case U_SILU: return x * ref::sigmoid(x);
      case U_GELU: return ref::gelu(x);
      case U_GELU_TANH: return ref::gelu_tanh(x);
      case U_SOFTPLUS: return ref::softplus(x, T(p->a), T(p->b));
      case U_CLAMP: return std::min(std::max(x, T(p->a)), T(p->b));
      case U_ERF: return std::erf(x);
      case U_RECIPROCAL: return T(1) / x;
      case U_SQUARE: return x * x;
      case U_POW_SCALAR: return std::pow(x, T(p->a));
      case U_FLOOR: return std::floor(x);
      case U_COPY: return x;
    }
  } else {
    switch (OP) {
      case U_NEG: return T(-x);
      case U_ABS: return T(x < 0 ? -x : x);
      case U_SIGN: return T((x > 0) - (x < 0));
      case U_RELU: return x > 0 ? x : T(0);
      case U_CLAMP: return T(std::min<double>(std::max<double>(x, p->a), p->b));
      case U_SQUARE: return T(x * x);
      case U_FLOOR: case U_COPY: return x;
    }
  }
  return x;
}

template <class T, int OP>
void unary_row(int64_t n, const char* x, int64_t sx, char* y, int64_t sy, const UnaryParams* p) {
  const T* X = reinterpret_cast<const T*>(x);
  T* Y = reinterpret_cast<T*>(y);
  for (int64_t i = 0; i < n; ++i) Y[i * sy] = unary_apply<T, OP>(X[i * sx], p);
}

template <class T, int OP>
inline auto binary_apply(T a, T b) {
  switch (OP) {
    case B_ADD: return T(a + b);
    case B_SUB: return T(a - b);
    case B_MUL: return T(a * b);
    case B_DIV:
      if constexpr (std::is_floating_point<T>::value) return T(a / b);
      else return T(b == 0 ? 0 : a / b);  // never reached: the op layer divides in floating point
    case B_POW: return T(std::pow(double(a), double(b)));
    case B_MAX:
      if constexpr (std::is_floating_point<T>::value) { if (std::isnan(a) || std::isnan(b)) return T(NAN); }
      return a > b ? a : b;
    case B_MIN:
      if constexpr (std::is_floating_point<T>::value) { if (std::isnan(a) || std::isnan(b)) return T(NAN); }
      return a < b ? a : b;
  }
  return a;
}

template <class T, int OP>
void binary_row(int64_t n, const char* a, int64_t sa, const char* b, int64_t sb, char* o, int64_t so) {
  const T* A = reinterpret_cast<const T*>(a);
  const T* B = reinterpret_cast<const T*>(b);
  T* O = reinterpret_cast<T*>(o);
  for (int64_t i = 0; i < n; ++i) O[i * so] = binary_apply<T, OP>(A[i * sa], B[i * sb]);
}

template <class T, int OP>
void compare_row(int64_t n, const char* a, int64_t sa, const char* b, int64_t sb, char* o, int64_t so) {
  const T* A = reinterpret_cast<const T*>(a);
  const T* B = reinterpret_cast<const T*>(b);
  uint8_t* O = reinterpret_cast<uint8_t*>(o);
  for (int64_t i = 0; i < n; ++i) {
    T x = A[i * sa], y = B[i * sb];
    bool r = OP == B_EQ ? x == y : OP == B_NE ? x != y : OP == B_LT ? x < y : OP == B_LE ? x <= y : OP == B_GT ? x > y : x >= y;
    O[i * so] = r;
  }
}

template <class T>
void where_row(int64_t n, const char* c, int64_t sc, const char* a, int64_t sa, const char* b, int64_t sb, char* o,
               int64_t so) {
  const uint8_t* C = reinterpret_cast<const uint8_t*>(c);
  const T* A = reinterpret_cast<const T*>(a);
  const T* B = reinterpret_cast<const T*>(b);
  T* O = reinterpret_cast<T*>(o);
  for (int64_t i = 0; i < n; ++i) O[i * so] = C[i * sc] ? A[i * sa] : B[i * sb];
}

template <class T>
void isfinite_row(int64_t n, const char* x, int64_t sx, char* o, int64_t so) {
  const T* X = reinterpret_cast<const T*>(x);
  uint8_t* O = reinterpret_cast<uint8_t*>(o);
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_floating_point<T>::value) O[i * so] = std::isfinite(X[i * sx]);
    else O[i * so] = 1;
  }
}

template <class S, class D>
void cast_row(int64_t n, const char* x, int64_t sx, char* y, int64_t sy) {
  const S* X = reinterpret_cast<const S*>(x);
  D* Y = reinterpret_cast<D*>(y);
  for (int64_t i = 0; i < n; ++i) {
    S v = X[i * sx];
    if constexpr (std::is_floating_point<S>::value && !std::is_floating_point<D>::value) {
      // float -> int truncates toward zero; NaN and out-of-range values saturate instead of being UB
      double d = double(v);
      if (std::isnan(d)) d = 0;
      d = std::min<double>(std::max<double>(d, double(std::numeric_limits<D>::min())), double(std::numeric_limits<D>::max()));
      Y[i * sy] = D(d);
    } else {
      Y[i * sy] = D(v);
    }
  }
}

template <class T, int... OPS>
void fill_unary(KernelTable& t, int dt, std::integer_sequence<int, OPS...>) {
  ((t.unary[OPS][dt] = &unary_row<T, OPS>), ...);
}
template <class T, int... OPS>
void fill_binary(KernelTable& t, int dt, std::integer_sequence<int, OPS...>) {
  ((t.binary[OPS][dt] = OPS >= B_EQ ? &compare_row<T, OPS> : &binary_row<T, OPS>), ...);
}

template <class T>
void fill_dtype(KernelTable& t, int dt) {
  fill_binary<T>(t, dt, std::make_integer_sequence<int, B_COUNT>{});
  if constexpr (std::is_floating_point<T>::value) {
    fill_unary<T>(t, dt, std::make_integer_sequence<int, U_COUNT>{});
  } else {
    t.unary[U_NEG][dt] = &unary_row<T, U_NEG>;
    t.unary[U_ABS][dt] = &unary_row<T, U_ABS>;
    t.unary[U_SIGN][dt] = &unary_row<T, U_SIGN>;
    t.unary[U_RELU][dt] = &unary_row<T, U_RELU>;
    t.unary[U_CLAMP][dt] = &unary_row<T, U_CLAMP>;
    t.unary[U_SQUARE][dt] = &unary_row<T, U_SQUARE>;
    t.unary[U_FLOOR][dt] = &unary_row<T, U_FLOOR>;
    t.unary[U_COPY][dt] = &unary_row<T, U_COPY>;
    t.binary[B_POW][dt] = nullptr;
  }
  t.where[dt] = &where_row<T>;
  t.isfinite[dt] = &isfinite_row<T>;
}

template <class S>
void fill_cast_from(KernelTable& t, int s) {
  t.cast[s][0] = &cast_row<S, float>;
  t.cast[s][1] = &cast_row<S, double>;
  t.cast[s][2] = &cast_row<S, int32_t>;
  t.cast[s][3] = &cast_row<S, int8_t>;
  t.cast[s][4] = &cast_row<S, uint8_t>;
}

}  // namespace

void fill_reference_elementwise(KernelTable& t) {
  fill_dtype<float>(t, 0);
  fill_dtype<double>(t, 1);
  fill_dtype<int32_t>(t, 2);
  fill_dtype<int8_t>(t, 3);
  fill_dtype<uint8_t>(t, 4);
  fill_cast_from<float>(t, 0);
  fill_cast_from<double>(t, 1);
  fill_cast_from<int32_t>(t, 2);
  fill_cast_from<int8_t>(t, 3);
  fill_cast_from<uint8_t>(t, 4);
}

}  // namespace cpu
}  // namespace tf
