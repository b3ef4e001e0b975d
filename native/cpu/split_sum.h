// Split-K over the pool with a result that does not depend on the thread count: `parts` partial results of `len`
// elements, part q computed by body(q, partial_q) into its own zeroed buffer, then out += partial_0 + partial_1 +
// ... in part order. The caller fixes `parts` from the shapes alone, never from the pool size. For reductions over
// a long axis into a small result (a convolution's weight gradient sums over every image and pixel into O x K
// numbers): one GEMM of that shape leaves a thread per few output rows, while the split keeps every thread on its
// own slice of the long axis with its operands in cache.
#pragma once
#include <cstdint>
#include <cstring>
#include "../core/allocator.h"
#include "threadpool.h"

namespace tf::cpu {

template <class T, class Body>
void split_sum(int64_t parts, int64_t len, T* out, Body body) {
  if (parts <= 0 || len <= 0) return;
  alloc::Scratch buf(sizeof(T) * size_t(parts * len));
  T* pp = buf.as<T>();
  parallel_for(0, parts, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t q = lo; q < hi; ++q) {
      std::memset(pp + q * len, 0, sizeof(T) * size_t(len));
      body(q, pp + q * len);
    }
  });
  parallel_for(0, len, 2048, [&](int64_t lo, int64_t hi) {
    for (int64_t q = 0; q < parts; ++q) {
      const T* src = pp + q * len;
      for (int64_t i = lo; i < hi; ++i) out[i] += src[i];
    }
  });
}

}  // namespace tf::cpu
