// The reductions' accumulators and combination rules (cuda/reduce.cu): an identity, the value of element r, an
// associative combination and the output. The kernels combine partials in a fixed tree; the rules are written so the
// result is the CPU reference's whatever the tree (argmax/argmin: the first index of the extreme, a NaN counting as
// the extreme; max/min: NaN wins), which test/native/hd_check.cpp checks on the host with random trees.
#pragma once
#include <cstdint>
#include "hd.h"

namespace tf {
namespace red {

template <class T> struct AccOf { using type = int64_t; };
template <> struct AccOf<float> { using type = double; };
template <> struct AccOf<double> { using type = double; };

template <class T> TF_HD inline bool nan_of(T v) { return v != v; }

// A reduction: the accumulator A, its identity, the value of element r, the combination, the output.
template <class T> struct SumR {
  using A = typename AccOf<T>::type;
  using Out = T;
  TF_HD static A identity() { return A(0); }
  TF_HD static A load(T x, int64_t) { return A(x); }
  TF_HD static A combine(A a, A b) { return a + b; }
  TF_HD static Out finish(A a) { return T(a); }
};
template <class T> struct ProdR {
  using A = typename AccOf<T>::type;
  using Out = T;
  TF_HD static A identity() { return A(1); }
  TF_HD static A load(T x, int64_t) { return A(x); }
  TF_HD static A combine(A a, A b) { return a * b; }
  TF_HD static Out finish(A a) { return T(a); }
};
// max/min with an "empty" flag so no sentinel value is needed for integer dtypes; NaN wins.
template <class T> struct Ext {
  T v;
  int32_t empty;  // 1: holds no element yet
};
template <class T, bool MAX> struct ExtremeR {
  using A = Ext<T>;
  using Out = T;
  TF_HD static A identity() { return A{T(0), 1}; }
  TF_HD static A load(T x, int64_t) { return A{x, 0}; }
  TF_HD static A combine(A a, A b) {
    if (a.empty) return b;
    if (b.empty) return a;
    if (nan_of(a.v)) return a;
    if (nan_of(b.v)) return b;
    return (MAX ? b.v > a.v : b.v < a.v) ? b : a;
  }
  TF_HD static Out finish(A a) { return a.v; }
};
template <class T> struct Arg {
  T v;
  int64_t i;  // -1: empty
};
template <class T, bool MAX> struct ArgR {
  using A = Arg<T>;
  using Out = int32_t;
  TF_HD static A identity() { return A{T(0), -1}; }
  TF_HD static A load(T x, int64_t r) { return A{x, r}; }
  // the first index of the extreme, whatever order partials meet in: ties and NaNs go to the lower index
  TF_HD static A combine(A a, A b) {
    if (a.i < 0) return b;
    if (b.i < 0) return a;
    bool an = nan_of(a.v), bn = nan_of(b.v);
    if (an || bn) {
      if (an && bn) return a.i < b.i ? a : b;
      return an ? a : b;
    }
    if (a.v == b.v) return a.i < b.i ? a : b;
    return (MAX ? b.v > a.v : b.v < a.v) ? b : a;
  }
  TF_HD static Out finish(A a) { return int32_t(a.i < 0 ? 0 : a.i); }
};

}  // namespace red
}  // namespace tf
