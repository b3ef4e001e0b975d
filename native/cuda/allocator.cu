// Device memory: a stream-ordered caching allocator, and host <-> device copies through pinned staging buffers.
//
// Why a cache: cudaMalloc and cudaFree synchronise the device and cost tens of microseconds; a training step frees
// and reallocates the same sizes every iteration. Sizes are rounded up to a size class (four classes per power of
// two, at most 25 % waste, 512 bytes at least), and a freed block waits in its class for the next allocation.
//
// Why that is safe without waiting for the GPU: every kernel of a host thread runs on that thread's stream
// (common.cuh), so work queued after a block is freed and handed out again runs after the work that used it. A
// block freed by one thread is therefore reused only by the same thread; emptyCache (and an allocation that
// failed) first waits for the whole device, after which any block may go back to the driver.
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <vector>
#include "common.cuh"
#include "entries.h"
#include "../backend/cuda_api.h"

namespace tf {
namespace cuda {

namespace {

size_t size_class(size_t n) {
  if (n <= 512) return 512;
  int hb = 63 - __builtin_clzll(uint64_t(n - 1));  // the highest set bit of n - 1: 2^hb < n <= 2^(hb+1)
  size_t quarter = size_t(1) << (hb - 1);           // four classes between 2^hb and 2^(hb+1)
  return (n + quarter - 1) / quarter * quarter;
}

struct Cache {
  std::mutex mu;
  // (owner thread, class) -> free blocks
  std::map<std::pair<std::thread::id, size_t>, std::vector<void*>> free;
  int64_t allocated = 0, cached = 0, peak = 0, live = 0, hits = 0, misses = 0;
};
Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: blocks may be released during static destruction at exit
  return *c;
}

void free_all_cached(Cache& c) {  // c.mu held; the device has been synchronised
  for (auto& kv : c.free)
    for (void* p : kv.second) cudaFree(p);
  c.free.clear();
  c.cached = 0;
}

void* acquire(size_t bytes, size_t* capacity) {
  require_available();
  const size_t cls = size_class(bytes);
  Cache& c = cache();
  const auto key = std::make_pair(std::this_thread::get_id(), cls);
  {
    std::lock_guard<std::mutex> g(c.mu);
    auto it = c.free.find(key);
    if (it != c.free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= int64_t(cls);
      c.allocated += int64_t(cls);
      c.peak = std::max(c.peak, c.allocated);
      ++c.live;
      ++c.hits;
      *capacity = cls;
      return p;
    }
  }
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, cls);
  if (e == cudaErrorMemoryAllocation) {
    // give the cache back to the driver and try once more
    cudaGetLastError();
    std::lock_guard<std::mutex> g(c.mu);
    cudaDeviceSynchronize();
    free_all_cached(c);
    e = cudaMalloc(&p, cls);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    cudaGetLastError();
    std::lock_guard<std::mutex> g(c.mu);
    if (e == cudaErrorMemoryAllocation)
      fail(ErrorCode::OutOfMemory, "CUDA out of memory: tried to allocate ", bytes, " bytes (a block of ", cls,
           "); tensors hold ", c.allocated, " bytes, the cache ", c.cached, ", the GPU has ", free_b,
           " bytes free of ", total_b);
    fail_cuda(e, "cudaMalloc");
  }
  std::lock_guard<std::mutex> g(c.mu);
  c.allocated += int64_t(cls);
  c.peak = std::max(c.peak, c.allocated);
  ++c.live;
  ++c.misses;
  *capacity = cls;
  return p;
}

void release(void* p, size_t capacity) {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mu);
  c.free[std::make_pair(std::this_thread::get_id(), capacity)].push_back(p);
  c.allocated -= int64_t(capacity);
  c.cached += int64_t(capacity);
  --c.live;
}

// Pinned staging: two buffers per thread, so the CPU fills (or drains) one while the DMA engine moves the other.
constexpr size_t kStage = size_t(4) << 20;
struct Staging {
  char* buf[2] = {nullptr, nullptr};
  cudaEvent_t done[2];
  bool ready = false;
  void setup() {
    if (ready) return;
    for (int k = 0; k < 2; ++k) {
      check(cudaMallocHost(reinterpret_cast<void**>(&buf[k]), kStage), "cudaMallocHost (staging)");
      check(cudaEventCreateWithFlags(&done[k], cudaEventDisableTiming), "cudaEventCreate");
    }
    ready = true;
  }
  ~Staging() {
    if (!ready) return;  // at exit the runtime may be gone already: errors are ignored
    for (int k = 0; k < 2; ++k) { cudaFreeHost(buf[k]); cudaEventDestroy(done[k]); }
  }
};
Staging& staging() {
  thread_local Staging s;
  s.setup();
  return s;
}

// Small host-to-device copies (a scalar operand, a shape's worth of indices) through a ring of pinned slots: the
// slot's previous copy was issued kRing copies ago and is long done, so the host never waits for the stream here.
// Through the two large buffers instead, a scalar written between kernels would wait for every kernel queued
// before the buffer's previous copy.
constexpr int kRing = 1024;
constexpr size_t kSlot = 256;
struct SmallRing {
  char* buf = nullptr;
  cudaEvent_t done[kRing];
  int next = 0;
  bool ready = false;
  void setup() {
    if (ready) return;
    check(cudaMallocHost(reinterpret_cast<void**>(&buf), kRing * kSlot), "cudaMallocHost (staging)");
    for (int k = 0; k < kRing; ++k) check(cudaEventCreateWithFlags(&done[k], cudaEventDisableTiming), "cudaEventCreate");
    ready = true;
  }
  ~SmallRing() {
    if (!ready) return;
    cudaFreeHost(buf);
    for (int k = 0; k < kRing; ++k) cudaEventDestroy(done[k]);
  }
};

void from_host(void* dst, const void* src, size_t n) {
  require_available();
  if (n <= kSlot) {
    thread_local SmallRing r;
    r.setup();
    const int k = r.next;
    r.next = (k + 1) % kRing;
    check(cudaEventSynchronize(r.done[k]), "host to device copy");
    char* slot = r.buf + size_t(k) * kSlot;
    std::memcpy(slot, src, n);
    check(cudaMemcpyAsync(dst, slot, n, cudaMemcpyHostToDevice, stream()), "host to device copy");
    check(cudaEventRecord(r.done[k], stream()), "host to device copy");
    return;
  }
  Staging& s = staging();
  const char* from = static_cast<const char*>(src);
  char* to = static_cast<char*>(dst);
  for (size_t off = 0, k = 0; off < n; off += kStage, k ^= 1) {
    size_t len = std::min(kStage, n - off);
    check(cudaEventSynchronize(s.done[k]), "host to device copy");  // the previous copy out of this buffer is done
    std::memcpy(s.buf[k], from + off, len);
    check(cudaMemcpyAsync(to + off, s.buf[k], len, cudaMemcpyHostToDevice, stream()), "host to device copy");
    check(cudaEventRecord(s.done[k], stream()), "host to device copy");
  }
  // No wait at the end: the source was copied into staging, and kernels on this stream run after the copy.
}

void to_host(void* dst, const void* src, size_t n) {
  require_available();
  Staging& s = staging();
  const char* from = static_cast<const char*>(src);
  char* to = static_cast<char*>(dst);
  // issue chunk i into buffer i % 2, then drain chunk i - 1 while chunk i is in flight
  size_t prev_off = 0, prev_len = 0;
  int prev_k = -1;
  for (size_t off = 0, k = 0; off < n; off += kStage, k ^= 1) {
    size_t len = std::min(kStage, n - off);
    check(cudaMemcpyAsync(s.buf[k], from + off, len, cudaMemcpyDeviceToHost, stream()), "device to host copy");
    check(cudaEventRecord(s.done[k], stream()), "device to host copy");
    if (prev_k >= 0) {
      check(cudaEventSynchronize(s.done[prev_k]), "device to host copy");
      std::memcpy(to + prev_off, s.buf[prev_k], prev_len);
    }
    prev_off = off; prev_len = len; prev_k = int(k);
  }
  if (prev_k >= 0) {
    check(cudaEventSynchronize(s.done[prev_k]), "device to host copy");
    std::memcpy(to + prev_off, s.buf[prev_k], prev_len);
  }
}

const DeviceAllocator kDevice{&acquire, &release, &to_host, &from_host};

}  // namespace

const DeviceAllocator* allocator() { return &kDevice; }

}  // namespace cuda

CudaMemoryStats cuda_memory_stats() {
  cuda::Cache& c = cuda::cache();
  CudaMemoryStats m{};
  {
    std::lock_guard<std::mutex> g(c.mu);
    m = {c.allocated, c.cached, c.peak, c.live, c.hits, c.misses, 0, 0};
  }
  if (cuda_status().available) {
    size_t f = 0, t = 0;
    if (cudaMemGetInfo(&f, &t) == cudaSuccess) { m.device_free_bytes = int64_t(f); m.device_total_bytes = int64_t(t); }
    cudaGetLastError();
  }
  return m;
}

void cuda_empty_cache() {
  if (!cuda_status().available) return;
  cuda::Cache& c = cuda::cache();
  std::lock_guard<std::mutex> g(c.mu);
  cuda::check(cudaDeviceSynchronize(), "emptyCache");
  cuda::free_all_cached(c);
}

}  // namespace tf
