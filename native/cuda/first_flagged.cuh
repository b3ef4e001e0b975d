// Input checks of the entries that must refuse bad data before writing (index.cu, draws.cu): a check kernel marks
// every offending element (or row) with note_first, which keeps the smallest position in one device word; the host
// waits for that word. A find then gets worded on the host from the offender's own values, as the CPU words it.
// These entries synchronise for it; none sits in a hot loop.
#pragma once
#include "common.cuh"
#include "entries.h"

namespace tf {
namespace cuda {

__device__ inline void note_first(unsigned long long* first, int64_t i) { atomicMin(first, (unsigned long long)i); }

// Runs launch(first) on a fresh word (all ones) and returns the smallest position it noted, or -1 for none.
template <class Launch>
int64_t first_flagged(Launch launch, const char* what) {
  Tensor word = empty(Shape{1}, DType::F64, Device::CUDA);  // 8 bytes of device scratch
  unsigned long long* first = reinterpret_cast<unsigned long long*>(word.raw_ptr());
  check(cudaMemsetAsync(first, 0xff, 8, stream()), what);
  launch(first);
  check_launch(what);
  unsigned long long at = ~0ull;
  allocator()->to_host(&at, first, 8);  // waits for the stream
  return at == ~0ull ? -1 : int64_t(at);
}

// One element of device memory, copied to the host (the offender's value, for the message).
template <class T> T host_value(const T* dev, int64_t i) {
  T v;
  allocator()->to_host(&v, dev + i, sizeof(T));
  return v;
}

}  // namespace cuda
}  // namespace tf
