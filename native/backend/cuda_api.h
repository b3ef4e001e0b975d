// The CUDA device's management surface for the front doors (tf.cuda.* in the addon): whether this build has CUDA,
// whether a GPU is usable and why not, the caching allocator's counters, emptying the cache, waiting for the
// device. Plain C++ (no CUDA headers): cuda/runtime.cu implements it in the CUDA build, backend/cuda_absent.cpp
// in the default CPU build.
#pragma once
#include <cstdint>
#include <string>

namespace tf {

struct CudaStatus {
  bool built;          // this build has the CUDA device compiled in
  bool available;      // a GPU and a driver are there, and the runtime initialised
  std::string reason;  // why not; when available, the GPU (name, compute capability, memory)
  int devices;         // GPUs the runtime sees (0 when not available)
};
// The first call initialises the runtime (lazily: loading the addon never touches the driver); later calls are
// cheap and give the same answer.
CudaStatus cuda_status();

struct CudaMemoryStats {
  int64_t allocated_bytes;   // held by live tensors (rounded up to their size class)
  int64_t cached_bytes;      // freed blocks kept for reuse
  int64_t peak_allocated_bytes;
  int64_t live_blocks;
  int64_t cache_hits;        // allocations served from the cache
  int64_t cache_misses;      // allocations that called cudaMalloc
  int64_t device_free_bytes; // cudaMemGetInfo, 0 when no GPU
  int64_t device_total_bytes;
};
CudaMemoryStats cuda_memory_stats();
// Waits for the device, then returns every cached block to the driver. No-op without a GPU.
void cuda_empty_cache();
// Waits until the calling thread's stream has finished its work. No-op without a GPU.
void cuda_synchronize();

}  // namespace tf
