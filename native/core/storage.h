// Reference-counted, 64-byte-aligned native buffers (from core/allocator). Byte totals are tracked process-wide (for memory())
// and per thread (so each JS environment can tell V8 how much external memory it holds).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include "dtype.h"

namespace tf {

// A device's memory: where its buffers come from and go back to. Host devices (cpu, ref) use core/allocator; a
// device backend registers its own (register_allocator), and every Storage frees through the one that made it.
struct DeviceAllocator {
  void* (*acquire)(size_t bytes, size_t* capacity);  // nullptr when out of memory (or throws TF_* with the sizes)
  void (*release)(void* p, size_t capacity);
  // Byte copies between this device's memory and host memory; they return when `dst` holds the bytes and the
  // host side may be reused (host devices: memcpy).
  void (*to_host)(void* host_dst, const void* src, size_t n);
  void (*from_host)(void* dst, const void* host_src, size_t n);
};
void register_allocator(Device d, const DeviceAllocator* a);
const DeviceAllocator* device_allocator(Device d);  // nullptr: this build has no memory for d
// n bytes from src (on device sd) to dst (on device dd), through host memory when neither side is the host.
void copy_bytes(void* dst, Device dd, const void* src, Device sd, size_t n);

struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  size_t capacity = 0;  // the allocator's block size (>= nbytes)
  Device device = Device::CPU;
  const DeviceAllocator* allocator = nullptr;  // frees `data`
  // Bumped by every in-place write, so autograd can refuse to use a saved tensor that changed.
  std::atomic<uint64_t> version{0};

  Storage(void* d, size_t n, size_t cap, Device dev, const DeviceAllocator* a);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Uninitialised memory; throws TF_OUT_OF_MEMORY beyond the allocation limit or when the OS refuses.
  static std::shared_ptr<Storage> allocate(size_t nbytes, Device dev);
};

struct MemoryStats {
  int64_t storages;
  int64_t bytes;
  int64_t tensors;
  int64_t peak_bytes;
};
MemoryStats memory_stats();
// Starts a new peak window: the peak becomes the bytes live now, so the next memory_stats().peak_bytes is the most
// held at once since this call (per training step, say). Returns the peak of the window it closes.
int64_t reset_peak_bytes();
// Net bytes allocated minus freed under the current context (core/context.h): what its JS environment reports to V8.
int64_t thread_external_bytes();
// Largest single allocation allowed (default: physical memory). Guards against lazily-committed giant mallocs.
void set_allocation_limit(uint64_t bytes);
uint64_t allocation_limit();

namespace detail {
void count_tensor(int delta);
}

}  // namespace tf
