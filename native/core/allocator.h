// Where tensor buffers come from. Small buffers use the C heap; large ones (>= 64 KiB) are whole mmap'd
// regions in size classes, recycled through a bounded cache (by default sized from the working set's high-water).
// Why: a training or sampling loop frees and reallocates the same large sizes every step; through glibc malloc
// they either fault fresh pages each time (mmap'd chunks) or, once glibc's adaptive mmap threshold has risen, come
// from a heap whose fragmentation grew without bound (measured: +7 MB resident per U-Net step while the live bytes stayed flat). Recycled regions
// keep resident memory at live bytes + the cache, and skip the page faults.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>

namespace tf::alloc {

// A 64-byte-aligned block of at least `bytes`; `capacity` receives the block's real size (pass it to release).
void* acquire(size_t bytes, size_t* capacity);
void release(void* p, size_t capacity);

struct CacheStats {
  int64_t cached_bytes;  // free blocks held for reuse
  int64_t cached_blocks;
  int64_t limit_bytes;
  int64_t hits;    // large allocations served from the cache
  int64_t misses;  // large allocations that mapped fresh memory
  bool automatic;  // limit_bytes follows the working set (no TENSORFIELD_CACHE_MB, no set_cache_limit)
};
CacheStats cache_stats();
// Returns every cached block to the OS.
void empty_cache();
// Most bytes the cache may hold; 0 disables caching; kCacheLimitAuto (the default unless TENSORFIELD_CACHE_MB is
// set) follows the working set: twice the high-water of live large blocks, at least 1 GiB, at most RAM / 4.
constexpr uint64_t kCacheLimitAuto = ~uint64_t(0);
void set_cache_limit(uint64_t bytes);

// Kernel scratch (im2col columns) from the same recycled blocks: allocated per call and per thread, these
// medium-sized buffers are what fragmented glibc's heap. Not for ISA-specific translation units (an inline
// function compiled there could be the copy the linker keeps): they hold their own (cpu/simd PackBuffer).
class Scratch {
 public:
  explicit Scratch(size_t bytes) : p_(acquire(bytes, &cap_)) {
    if (!p_) throw std::bad_alloc();
  }
  ~Scratch() { release(p_, cap_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  template <class T> T* as() const { return static_cast<T*>(p_); }
 private:
  size_t cap_ = 0;
  void* p_;
};

}  // namespace tf::alloc
