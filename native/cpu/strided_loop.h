// Walks an N-d index space over several operands with their own element strides, calling a row kernel on the
// innermost run. Dims are coalesced first, and the linear range is split across the thread pool, so a
// broadcast, transposed or sliced operand costs no copy. No heap allocation: the coalesced dims live in fixed
// arrays (a shape has at most kMaxDims dims), and a range that fits one row of one chunk calls the row directly,
// so a small op pays for no pool dispatch.
#pragma once
#include <algorithm>
#include <array>
#include "../core/tensor.h"
#include "threadpool.h"

namespace tf {

template <int N>
struct StridedLoop {
  int nd = 0;                                   // coalesced dims, innermost last
  std::array<int64_t, kMaxDims> shape;
  std::array<std::array<int64_t, N>, kMaxDims> st;  // element strides per dim per operand
  std::array<char*, N> base;
  std::array<int64_t, N> esize;

  StridedLoop(const Shape& full_shape, const std::array<const Shape*, N>& strides, std::array<char*, N> ptrs,
              std::array<int64_t, N> esz)
      : base(ptrs), esize(esz) {
    TF_CHECK(full_shape.size() <= size_t(kMaxDims), InvalidSize, "at most ", kMaxDims, " dimensions");
    for (size_t d = 0; d < full_shape.size(); ++d) {
      if (full_shape[d] == 1) continue;
      std::array<int64_t, N> s;
      for (int k = 0; k < N; ++k) s[k] = (*strides[k])[d];
      if (nd > 0) {
        bool merge = true;
        for (int k = 0; k < N; ++k)
          if (st[nd - 1][k] != s[k] * full_shape[d]) { merge = false; break; }
        if (merge) { shape[nd - 1] *= full_shape[d]; st[nd - 1] = s; continue; }
      }
      shape[nd] = full_shape[d];
      st[nd] = s;
      ++nd;
    }
    if (nd == 0) { shape[0] = 1; st[0] = {}; nd = 1; }
    // A short innermost run (the (re, im) pair of a permuted spectrum, a channel dim of 3) would cost a row call
    // per few elements: run a long dim innermost instead, the one whose strides are smallest over all operands
    // (so the walk stays within cache lines). Each element is computed on its own, so the order of the walk
    // does not change any result. A run of 4 or more whose steps are at most 16 bytes in every operand stays
    // innermost: it uses most of each cache line it touches, while a long dim of larger strides would sweep memory
    // once per element of the short run (rows of a 2x upsampling, [.., H, 2, W], ran 3x longer and did not scale).
    bool inner_dense = true;
    for (int k = 0; k < N; ++k) inner_dense &= (st[nd - 1][k] < 0 ? -st[nd - 1][k] : st[nd - 1][k]) * esize[k] <= 16;
    if (nd >= 2 && shape[nd - 1] < 16 && !(inner_dense && shape[nd - 1] >= 4)) {
      int best = -1;
      int64_t best_cost = 0;
      for (int d = 0; d < nd - 1; ++d) {
        if (shape[d] < 16) continue;
        int64_t cost = 0;
        for (int k = 0; k < N; ++k) cost += st[d][k] < 0 ? -st[d][k] : st[d][k];
        if (best < 0 || cost < best_cost) { best = d; best_cost = cost; }
      }
      if (best >= 0 && best_cost <= 64 * N) {
        int64_t s0 = shape[best];
        std::array<int64_t, N> t0 = st[best];
        for (int d = best; d < nd - 1; ++d) { shape[d] = shape[d + 1]; st[d] = st[d + 1]; }
        shape[nd - 1] = s0;
        st[nd - 1] = t0;
      }
    }
  }

  int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < nd; ++d) n *= shape[d];
    return n;
  }

  // row(ptrs, inner_strides, n)
  template <class F>
  void run(F row, int64_t grain = 32768) const {
    int64_t total = numel();
    if (total == 0) return;
    int64_t inner = shape[nd - 1];
    std::array<int64_t, N> inner_st = st[nd - 1];
    if (nd == 1 && total <= grain) {  // one row, one chunk: no pool dispatch
      row(base, inner_st, total);
      return;
    }
    parallel_for(0, total, grain, [&](int64_t lo, int64_t hi) {
      // multi-index of lo
      std::array<int64_t, kMaxDims> idx;
      int64_t rem = lo;
      for (int d = nd - 1; d >= 0; --d) { idx[d] = rem % shape[d]; rem /= shape[d]; }
      std::array<char*, N> p;
      for (int k = 0; k < N; ++k) {
        int64_t off = 0;
        for (int d = 0; d < nd; ++d) off += idx[d] * st[d][k];
        p[k] = base[k] + off * esize[k];
      }
      // the pointers move with the index: one add per operand per row, plus one per wrapped dim (a permuted
      // copy with a short innermost run spent most of its time recomputing every offset from every dim)
      int64_t pos = lo;
      while (pos < hi) {
        int64_t n = std::min(inner - idx[nd - 1], hi - pos);
        row(p, inner_st, n);
        pos += n;
        idx[nd - 1] += n;
        for (int k = 0; k < N; ++k) p[k] += n * inner_st[k] * esize[k];
        for (int d = nd - 1; d > 0 && idx[d] >= shape[d]; --d) {
          for (int k = 0; k < N; ++k) p[k] += (st[d - 1][k] - shape[d] * st[d][k]) * esize[k];
          idx[d] = 0;
          idx[d - 1]++;
        }
      }
    });
  }
};

}  // namespace tf
