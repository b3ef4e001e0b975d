#include "allocator.h"
#include <sys/mman.h>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace tf::alloc {

namespace {

constexpr size_t kLarge = size_t(64) << 10;  // below this, the C heap (cheap, and its fragmentation is bounded)
// Up to this size, malloc with 64 bytes of room and align by hand: glibc serves such blocks from its per-thread
// cache, while aligned_alloc always takes the slow memalign path (a tiny op spent ~15 % of its time there).
constexpr size_t kTiny = 960;

void* tiny_acquire(size_t rounded) {
  char* raw = static_cast<char*>(std::malloc(rounded + 64));
  if (!raw) return nullptr;
  char* p = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + 64) & ~uintptr_t(63));
  p[-1] = char(p - raw);  // 1..64: the distance back to the block malloc gave
  return p;
}
void tiny_release(void* p) {
  char* q = static_cast<char*>(p);
  std::free(q - uint8_t(q[-1]));
}
constexpr size_t kPage = 4096;

// Size classes: 8 per power of two (at most 12.5% slack), whole pages.
size_t size_class(size_t bytes) {
  size_t b = (bytes + kPage - 1) / kPage * kPage;
  int hi = 63 - __builtin_clzll(b);
  size_t step = hi >= 3 ? (size_t(1) << (hi - 3)) : 1;
  step = step < kPage ? kPage : step;
  return (b + step - 1) / step * step;
}

uint64_t default_limit() {
  const char* e = std::getenv("TENSORFIELD_CACHE_MB");
  if (e && *e) {
    char* end = nullptr;
    unsigned long long mb = std::strtoull(e, &end, 10);
    if (end && *end == '\0') return uint64_t(mb) << 20;
  }
  return uint64_t(1) << 30;
}

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<void*>> free;  // class size -> blocks
  uint64_t limit = default_limit();
  int64_t cached_bytes = 0, cached_blocks = 0, hits = 0, misses = 0;
};
// Never destroyed: tensors freed during process teardown (static destructors, worker exit) must still find it.
Cache& cache() {
  static Cache* c = new Cache();
  return *c;
}

void unmap(void* p, size_t n) { munmap(p, n); }

}  // namespace

void* acquire(size_t bytes, size_t* capacity) {
  // Small or large is decided on the rounded size, the same number release() sees: deciding on `bytes` sent a
  // heap block of 65473-65535 bytes (rounded to exactly kLarge) into the mmap cache, to be munmap'd later.
  size_t rounded = bytes == 0 ? 64 : (bytes + 63) / 64 * 64;
  if (rounded <= kTiny) {
    *capacity = rounded;
    return tiny_acquire(rounded);
  }
  if (rounded < kLarge) {
    *capacity = rounded;
    return std::aligned_alloc(64, rounded);
  }
  size_t cls = size_class(bytes);
  *capacity = cls;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> g(c.mu);
    auto it = c.free.find(cls);
    if (it != c.free.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached_bytes -= int64_t(cls);
      c.cached_blocks--;
      c.hits++;
      return p;
    }
    c.misses++;
  }
  void* p = mmap(nullptr, cls, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    empty_cache();  // cached blocks may be what stands in the way
    p = mmap(nullptr, cls, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  return p == MAP_FAILED ? nullptr : p;
}

void release(void* p, size_t capacity) {
  if (!p) return;
  if (capacity <= kTiny) {
    tiny_release(p);
    return;
  }
  if (capacity < kLarge) {
    std::free(p);
    return;
  }
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> g(c.mu);
    if (uint64_t(c.cached_bytes) + capacity <= c.limit) {
      c.free[capacity].push_back(p);
      c.cached_bytes += int64_t(capacity);
      c.cached_blocks++;
      return;
    }
  }
  unmap(p, capacity);
}

CacheStats cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mu);
  return {c.cached_bytes, c.cached_blocks, int64_t(c.limit), c.hits, c.misses};
}

void empty_cache() {
  Cache& c = cache();
  std::vector<std::pair<void*, size_t>> blocks;
  {
    std::lock_guard<std::mutex> g(c.mu);
    for (auto& [cls, v] : c.free)
      for (void* p : v) blocks.emplace_back(p, cls);
    c.free.clear();
    c.cached_bytes = c.cached_blocks = 0;
  }
  for (auto& [p, n] : blocks) unmap(p, n);
}

void set_cache_limit(uint64_t bytes) {
  {
    std::lock_guard<std::mutex> g(cache().mu);
    cache().limit = bytes;
  }
  if (uint64_t(cache_stats().cached_bytes) > bytes) empty_cache();
}

}  // namespace tf::alloc
