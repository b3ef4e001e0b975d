// Scalar reference reductions and scans over the [R, I] block layout (see kernels.h). Floating sums accumulate
// in double, so the reference is at least as accurate as any fast kernel it checks.
#include "../kernels.h"
#include <cmath>
#include <type_traits>

namespace tf {
namespace cpu {

namespace {

template <class T> using Acc = typename std::conditional<std::is_floating_point<T>::value, double, int64_t>::type;

template <class T>
void sum_k(const char* x, int64_t R, int64_t I, int64_t sr, char* out) {
  const T* X = reinterpret_cast<const T*>(x);
  T* O = reinterpret_cast<T*>(out);
  for (int64_t i = 0; i < I; ++i) {
    Acc<T> s = 0;
    for (int64_t r = 0; r < R; ++r) s += X[r * sr + i];
    O[i] = T(s);
  }
}
template <class T>
void prod_k(const char* x, int64_t R, int64_t I, int64_t sr, char* out) {
  const T* X = reinterpret_cast<const T*>(x);
  T* O = reinterpret_cast<T*>(out);
  for (int64_t i = 0; i < I; ++i) {
    Acc<T> s = 1;
    for (int64_t r = 0; r < R; ++r) s *= X[r * sr + i];
    O[i] = T(s);
  }
}
template <class T> inline bool is_nan(T v) {
  if constexpr (std::is_floating_point<T>::value) return std::isnan(v); else return false;
}
// MAX=true: max, else min. NaN propagates (as in PyTorch).
template <class T, bool MAX>
void extreme_k(const char* x, int64_t R, int64_t I, int64_t sr, char* out) {
  const T* X = reinterpret_cast<const T*>(x);
  T* O = reinterpret_cast<T*>(out);
  for (int64_t i = 0; i < I; ++i) {
    T m = X[i];
    for (int64_t r = 1; r < R && !is_nan(m); ++r) {
      T v = X[r * sr + i];
      if (is_nan(v) || (MAX ? v > m : v < m)) m = v;
    }
    O[i] = m;
  }
}
// First index of the extreme; a NaN counts as the extreme.
template <class T, bool MAX>
void argextreme_k(const char* x, int64_t R, int64_t I, int64_t sr, char* out) {
  const T* X = reinterpret_cast<const T*>(x);
  int32_t* O = reinterpret_cast<int32_t*>(out);
  for (int64_t i = 0; i < I; ++i) {
    T m = X[i];
    int64_t k = 0;
    for (int64_t r = 1; r < R && !is_nan(m); ++r) {
      T v = X[r * sr + i];
      if (is_nan(v) || (MAX ? v > m : v < m)) { m = v; k = r; }
    }
    O[i] = int32_t(k);
  }
}
template <class T>
void cumsum_k(const char* x, int64_t R, int64_t I, int64_t sr, char* out) {
  const T* X = reinterpret_cast<const T*>(x);
  T* O = reinterpret_cast<T*>(out);
  for (int64_t i = 0; i < I; ++i) {
    Acc<T> s = 0;
    for (int64_t r = 0; r < R; ++r) { s += X[r * sr + i]; O[r * sr + i] = T(s); }
  }
}

template <class T>
void fill(KernelTable& t, int dt) {
  t.reduce[R_SUM][dt] = &sum_k<T>;
  t.reduce[R_PROD][dt] = &prod_k<T>;
  t.reduce[R_MAX][dt] = &extreme_k<T, true>;
  t.reduce[R_MIN][dt] = &extreme_k<T, false>;
  t.reduce[R_ARGMAX][dt] = &argextreme_k<T, true>;
  t.reduce[R_ARGMIN][dt] = &argextreme_k<T, false>;
  t.cumsum[dt] = &cumsum_k<T>;
}

}  // namespace

void fill_reference_reduce(KernelTable& t) {
  fill<float>(t, 0);
  fill<double>(t, 1);
  fill<int32_t>(t, 2);
  fill<int8_t>(t, 3);
  fill<uint8_t>(t, 4);
}

}  // namespace cpu
}  // namespace tf
