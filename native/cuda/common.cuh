// What every CUDA kernel file shares: error checks that become TF_* errors, the calling thread's stream, launch
// sizes, and warp/block reductions. Included by .cu files only.
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include "../core/error.h"
#include "../core/tensor.h"

namespace tf {
namespace cuda {

// One stream per host thread (the runtime's per-thread default stream): work from one JS environment runs in
// order, and the caching allocator can hand a freed block to the next allocation of the same thread without
// waiting (cuda/allocator.cu).
inline cudaStream_t stream() { return cudaStreamPerThread; }

[[noreturn]] void fail_cuda(cudaError_t e, const char* what);
inline void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail_cuda(e, what);
}
// After a launch: a bad configuration shows here; a fault inside the kernel shows at the next synchronising call.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

constexpr int kThreads = 256;
// Blocks for n work items at `per_block` items each, capped (kernels loop grid-stride beyond the cap).
inline unsigned blocks_for(int64_t n, int64_t per_block) {
  int64_t b = (n + per_block - 1) / per_block;
  if (b < 1) b = 1;
  return unsigned(b > (int64_t(1) << 20) ? (int64_t(1) << 20) : b);
}

// Shuffles any trivially copyable value of a multiple of 4 bytes down the warp, word by word.
template <class V>
__device__ inline V shfl_down(V v, int delta) {
  static_assert(sizeof(V) % 4 == 0, "shfl_down: pad the value to whole words");
  V r;
  const int* src = reinterpret_cast<const int*>(&v);
  int* dst = reinterpret_cast<int*>(&r);
#pragma unroll
  for (int w = 0; w < int(sizeof(V) / 4); ++w) dst[w] = __shfl_down_sync(0xffffffffu, src[w], delta);
  return r;
}

// Tree reduction of one value per thread over the block, in a fixed order (the same result every run): a
// shuffle tree in each warp, then the warp results through shared memory and one more shuffle tree. Every
// thread of the block must call it; the result is valid in thread 0. blockDim.x a multiple of 32, <= 1024.
template <class V, class Op>
__device__ inline V block_reduce(V v, Op op) {
  __shared__ __align__(16) unsigned char raw[32 * sizeof(V)];  // aligned for 8-byte members (double, int64)
  V* part = reinterpret_cast<V*>(raw);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) v = op(v, shfl_down(v, d));
  if (lane == 0) part[warp] = v;
  __syncthreads();
  if (warp == 0) {
    V w = part[lane < warps ? lane : 0];
    // lanes past the last warp repeat warp 0's value but are never combined into lane 0's result: each step
    // combines lane l with lane l + d only while l + d < warps
    for (int d = 16; d > 0; d >>= 1) {
      V o = shfl_down(w, d);
      if (lane + d < warps) w = op(w, o);
    }
    v = w;
  }
  __syncthreads();  // part[] may be reused by the caller's next block_reduce
  return v;
}

template <class T> inline T* ptr(const Tensor& t) { return reinterpret_cast<T*>(t.raw_ptr()); }
template <class T> inline const T* cptr(const Tensor& t) { return reinterpret_cast<const T*>(t.raw_ptr()); }

}  // namespace cuda
}  // namespace tf
