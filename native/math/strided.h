// Index math for a strided loop run one element per thread: the output's flat index i -> each operand's element
// offset. The host builds a StridedIndex from the shape and every operand's strides (broadcast dims have stride
// 0), dropping size-1 dims and merging dims that are contiguous for every operand, so the usual cases (contiguous,
// a broadcast row, a transposed 2-D view) need one to three divisions per element. The device kernels
// (cuda/elementwise.cu) and the host test (test/native/hd_check.cpp) call the same offsets().
#pragma once
#include <cstdint>
#include "hd.h"

namespace tf {

constexpr int kMaxKernelDims = 12;  // dims after merging; more is refused (TF_NOT_IMPLEMENTED) by the builder

template <int N>
struct StridedIndex {
  int nd = 0;                              // 0: a single element
  int64_t size[kMaxKernelDims];            // outermost first
  int64_t stride[N][kMaxKernelDims];       // per operand, in elements

  TF_HD inline void offsets(int64_t i, int64_t off[N]) const {
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = nd - 1; d >= 0; --d) {
      int64_t c = i % size[d];
      i /= size[d];
      for (int k = 0; k < N; ++k) off[k] += c * stride[k][d];
    }
  }
  // Every operand walks its memory in order with stride 1 (one merged dim of unit strides).
  TF_HD inline bool contiguous() const {
    if (nd == 0) return true;
    if (nd != 1) return false;
    for (int k = 0; k < N; ++k)
      if (stride[k][0] != 1) return false;
    return true;
  }
};

// Builds the index for `nd` dims of `shape` and N operands' strides. Returns false when more than kMaxKernelDims
// dims remain after merging (the caller refuses the op). A shape with a zero dim is the caller's to skip.
template <int N>
inline bool make_strided_index(const int64_t* shape, int nd, const int64_t* const* strides, StridedIndex<N>* out) {
  StridedIndex<N> s;
  s.nd = 0;
  for (int d = 0; d < nd; ++d) {
    if (shape[d] == 1) continue;  // a size-1 dim moves no operand
    if (s.nd > 0) {
      // merge into the previous kept dim when, for every operand, stepping the previous dim once equals stepping
      // this one shape[d] times
      bool merge = true;
      for (int k = 0; k < N && merge; ++k) merge = strides[k][d] * shape[d] == s.stride[k][s.nd - 1];
      if (merge) {
        s.size[s.nd - 1] *= shape[d];
        for (int k = 0; k < N; ++k) s.stride[k][s.nd - 1] = strides[k][d];
        continue;
      }
    }
    if (s.nd == kMaxKernelDims) return false;
    s.size[s.nd] = shape[d];
    for (int k = 0; k < N; ++k) s.stride[k][s.nd] = strides[k][d];
    ++s.nd;
  }
  *out = s;
  return true;
}

}  // namespace tf
