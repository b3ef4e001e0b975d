// Walks an N-d index space over several operands with their own element strides, calling a row kernel on the
// innermost run. Dims are coalesced first, and the linear range is split across the thread pool, so a
// broadcast, transposed or sliced operand costs no copy.
#pragma once
#include <array>
#include <vector>
#include "../core/tensor.h"
#include "threadpool.h"

namespace tf {

template <int N>
struct StridedLoop {
  Shape shape;                              // coalesced, innermost last
  std::vector<std::array<int64_t, N>> st;   // element strides per dim per operand
  std::array<char*, N> base;
  std::array<int64_t, N> esize;

  StridedLoop(const Shape& full_shape, const std::array<const Shape*, N>& strides, std::array<char*, N> ptrs,
              std::array<int64_t, N> esz)
      : base(ptrs), esize(esz) {
    for (size_t d = 0; d < full_shape.size(); ++d) {
      if (full_shape[d] == 1) continue;
      std::array<int64_t, N> s;
      for (int k = 0; k < N; ++k) s[k] = (*strides[k])[d];
      if (!shape.empty()) {
        bool merge = true;
        for (int k = 0; k < N; ++k)
          if (st.back()[k] != s[k] * full_shape[d]) { merge = false; break; }
        if (merge) { shape.back() *= full_shape[d]; st.back() = s; continue; }
      }
      shape.push_back(full_shape[d]);
      st.push_back(s);
    }
    if (shape.empty()) { shape.push_back(1); st.push_back({}); }
  }

  int64_t numel() const {
    int64_t n = 1;
    for (auto s : shape) n *= s;
    return n;
  }

  // row(ptrs, inner_strides, n)
  template <class F>
  void run(F row, int64_t grain = 32768) const {
    int64_t total = numel();
    if (total == 0) return;
    int64_t nd = int64_t(shape.size());
    int64_t inner = shape[nd - 1];
    std::array<int64_t, N> inner_st = st[nd - 1];
    parallel_for(0, total, grain, [&](int64_t lo, int64_t hi) {
      // multi-index of lo
      std::vector<int64_t> idx(nd, 0);
      int64_t rem = lo;
      for (int64_t d = nd - 1; d >= 0; --d) { idx[d] = rem % shape[d]; rem /= shape[d]; }
      int64_t pos = lo;
      while (pos < hi) {
        std::array<char*, N> p;
        for (int k = 0; k < N; ++k) {
          int64_t off = 0;
          for (int64_t d = 0; d < nd; ++d) off += idx[d] * st[d][k];
          p[k] = base[k] + off * esize[k];
        }
        int64_t n = std::min(inner - idx[nd - 1], hi - pos);
        row(p, inner_st, n);
        pos += n;
        idx[nd - 1] += n;
        for (int64_t d = nd - 1; d > 0 && idx[d] >= shape[d]; --d) { idx[d] = 0; idx[d - 1]++; }
      }
    });
  }
};

}  // namespace tf
