// Scalar reference kernels for unary, binary, where, isfinite and casts: plain strided loops over the per-element
// bodies of math/elementwise.h (the CUDA kernels run the same bodies).
#include "../kernels.h"
#include "../../math/elementwise.h"
#include <cmath>
#include <cstring>
#include <algorithm>
#include <limits>
#include <utility>

namespace tf {
namespace cpu {

namespace {

template <class T, int OP>
void unary_row(int64_t n, const char* x, int64_t sx, char* y, int64_t sy, const UnaryParams* p) {
  const T* X = reinterpret_cast<const T*>(x);
  T* Y = reinterpret_cast<T*>(y);
  for (int64_t i = 0; i < n; ++i) Y[i * sy] = ew::unary_apply<T, OP>(X[i * sx], p);
}

template <class T, int OP>
void binary_row(int64_t n, const char* a, int64_t sa, const char* b, int64_t sb, char* o, int64_t so) {
  const T* A = reinterpret_cast<const T*>(a);
  const T* B = reinterpret_cast<const T*>(b);
  T* O = reinterpret_cast<T*>(o);
  for (int64_t i = 0; i < n; ++i) O[i * so] = ew::binary_apply<T, OP>(A[i * sa], B[i * sb]);
}

template <class T, int OP>
void compare_row(int64_t n, const char* a, int64_t sa, const char* b, int64_t sb, char* o, int64_t so) {
  const T* A = reinterpret_cast<const T*>(a);
  const T* B = reinterpret_cast<const T*>(b);
  uint8_t* O = reinterpret_cast<uint8_t*>(o);
  for (int64_t i = 0; i < n; ++i) {
    O[i * so] = ew::compare_apply<T, OP>(A[i * sa], B[i * sb]);
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
  for (int64_t i = 0; i < n; ++i) O[i * so] = ew::isfinite_apply(X[i * sx]);
}

template <class S, class D>
void cast_row(int64_t n, const char* x, int64_t sx, char* y, int64_t sy) {
  const S* X = reinterpret_cast<const S*>(x);
  D* Y = reinterpret_cast<D*>(y);
  for (int64_t i = 0; i < n; ++i) Y[i * sy] = ew::cast_apply<S, D>(X[i * sx]);
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
