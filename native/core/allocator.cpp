#include "allocator.h"
#include <sys/mman.h>
#include <unistd.h>
#include <algorithm>
#include <cstdlib>
#include <map>
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

// Medium blocks (kTiny < size < kLarge) come from per-thread free lists, one per size class (1, 2, 4, 8, 16, 32
// KiB and the largest medium size). glibc serves aligned_alloc of these sizes through _int_memalign, and each
// such request first consolidates every fastbin: a GEMM's two pack buffers, allocated per call and thousands of
// calls per convolution, spent 5-8 % of a 3x3 conv forward there (measured by running with glibc's fastbins off).
// Each list keeps at most kMediumKeep blocks, so a thread holds < 0.6 MiB; blocks released on another thread than
// the one that took them simply join that thread's lists.
constexpr int kMediumClasses = 7;
constexpr size_t kMediumKeep = 8;
size_t medium_class_size(int i) { return i < kMediumClasses - 1 ? size_t(1024) << i : kLarge - 64; }
int medium_class(size_t rounded) {
  for (int i = 0; i < kMediumClasses - 1; ++i)
    if (rounded <= medium_class_size(i)) return i;
  return kMediumClasses - 1;
}
// Set when this thread's lists are destroyed: at exit, static objects destroyed after the main thread's
// thread_locals may still release blocks, which then go straight back to the heap.
thread_local bool t_medium_gone = false;
struct MediumCache {
  std::vector<void*> lists[kMediumClasses];
  MediumCache() {
    for (auto& l : lists) l.reserve(kMediumKeep);  // release() then never allocates
  }
  ~MediumCache() {
    for (auto& l : lists)
      for (void* p : l) std::free(p);
    t_medium_gone = true;
  }
};
MediumCache* medium_cache() {
  if (t_medium_gone) return nullptr;
  thread_local MediumCache c;
  return &c;
}

// Size classes: 8 per power of two (at most 12.5% slack), whole pages.
size_t size_class(size_t bytes) {
  size_t b = (bytes + kPage - 1) / kPage * kPage;
  int hi = 63 - __builtin_clzll(b);
  size_t step = hi >= 3 ? (size_t(1) << (hi - 3)) : 1;
  step = step < kPage ? kPage : step;
  return (b + step - 1) / step * step;
}

// The limit set by TENSORFIELD_CACHE_MB, or kCacheLimitAuto: follow the program's working set (auto_limit below).
uint64_t env_limit() {
  const char* e = std::getenv("TENSORFIELD_CACHE_MB");
  if (e && *e) {
    char* end = nullptr;
    unsigned long long mb = std::strtoull(e, &end, 10);
    if (end && *end == '\0') return uint64_t(mb) << 20;
  }
  return kCacheLimitAuto;
}

// The automatic limit: twice the most large-block bytes the program has had live at once, at least 1 GiB and at
// most a quarter of physical memory. Why: a loop whose step frees and reallocates more than the cache holds evicts
// and re-faults every block each step (a U-Net sampled at batch 1000 at 28x28: 2 GB live per step against a fixed
// 1 GiB cache ran at 0.3x the speed per image of batch 256, half the time in the kernel zeroing pages). Twice,
// because blocks only serve their own size class: over one step the classes freed and asked for add up to more
// than the peak (that step kept 3.8 GB cached when unbounded; with 1x the peak it still ran at 0.4x). Resident
// memory stays within live bytes + 2x the peak.
uint64_t auto_limit(int64_t large_peak) {
  static const uint64_t cap = [] {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t phys = pages > 0 && page > 0 ? uint64_t(pages) * uint64_t(page) : uint64_t(4) << 30;
    return std::max<uint64_t>(uint64_t(1) << 30, phys / 4);
  }();
  return std::min(cap, std::max<uint64_t>(uint64_t(1) << 30, 2 * uint64_t(std::max<int64_t>(large_peak, 0))));
}

// A freed block waiting for reuse, stamped with when it was freed.
struct Cached { void* p; uint64_t seq; };

struct Cache {
  std::mutex mu;
  std::unordered_map<size_t, std::vector<Cached>> free;  // class size -> blocks, most recently freed last
  // Every cached block by age (seq -> class size): when a release would pass the limit, the oldest blocks are
  // unmapped to make room. Without this, a cache filled with classes the program no longer uses (shapes that grow
  // step by step, as a sliding context does) refused every new block and every acquire missed: mmap, page
  // faults and munmap per tensor (a char-LM's generation ran 5-10x slower than its forward passes).
  std::map<uint64_t, size_t> age;
  uint64_t next_seq = 0;
  uint64_t set_limit = env_limit();  // kCacheLimitAuto: auto_limit(large_peak)
  int64_t cached_bytes = 0, cached_blocks = 0, hits = 0, misses = 0;
  int64_t large_live = 0, large_peak = 0;  // large blocks handed out and not yet released
  uint64_t limit() const { return set_limit == kCacheLimitAuto ? auto_limit(large_peak) : set_limit; }
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
    const int i = medium_class(rounded);
    *capacity = medium_class_size(i);
    if (MediumCache* mc = medium_cache(); mc && !mc->lists[i].empty()) {
      void* p = mc->lists[i].back();
      mc->lists[i].pop_back();
      return p;
    }
    return std::aligned_alloc(64, *capacity);
  }
  size_t cls = size_class(bytes);
  *capacity = cls;
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> g(c.mu);
    // counted live before the block is found or mapped (a failed mapping takes it back below): the limit must see it
    c.large_live += int64_t(cls);
    c.large_peak = std::max(c.large_peak, c.large_live);
    auto it = c.free.find(cls);
    if (it != c.free.end() && !it->second.empty()) {
      void* p = it->second.back().p;
      c.age.erase(it->second.back().seq);
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
  if (p == MAP_FAILED) {
    std::lock_guard<std::mutex> g(c.mu);
    c.large_live -= int64_t(cls);
    return nullptr;
  }
  return p;
}

void release(void* p, size_t capacity) {
  if (!p) return;
  if (capacity <= kTiny) {
    tiny_release(p);
    return;
  }
  if (capacity < kLarge) {
    MediumCache* mc = medium_cache();
    std::vector<void*>* l = mc ? &mc->lists[medium_class(capacity)] : nullptr;
    if (l && l->size() < kMediumKeep) l->push_back(p);
    else std::free(p);
    return;
  }
  Cache& c = cache();
  std::vector<std::pair<void*, size_t>> evicted;  // unmapped after the lock is released
  bool cached = false;
  {
    std::lock_guard<std::mutex> g(c.mu);
    c.large_live -= int64_t(capacity);
    const uint64_t limit = c.limit();
    if (capacity <= limit) {
      // make room by dropping the oldest cached blocks (of any class) until this one fits
      while (uint64_t(c.cached_bytes) + capacity > limit && !c.age.empty()) {
        auto oldest = c.age.begin();
        auto& v = c.free[oldest->second];
        for (size_t i = 0; i < v.size(); ++i)
          if (v[i].seq == oldest->first) { evicted.emplace_back(v[i].p, oldest->second); v.erase(v.begin() + i); break; }
        c.cached_bytes -= int64_t(oldest->second);
        c.cached_blocks--;
        c.age.erase(oldest);
      }
      uint64_t seq = c.next_seq++;
      c.free[capacity].push_back({p, seq});
      c.age.emplace(seq, capacity);
      c.cached_bytes += int64_t(capacity);
      c.cached_blocks++;
      cached = true;
    }
  }
  for (auto& [q, n] : evicted) unmap(q, n);
  if (!cached) unmap(p, capacity);
}

CacheStats cache_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> g(c.mu);
  return {c.cached_bytes, c.cached_blocks, int64_t(c.limit()), c.hits, c.misses, c.set_limit == kCacheLimitAuto};
}

void empty_cache() {
  Cache& c = cache();
  std::vector<std::pair<void*, size_t>> blocks;
  {
    std::lock_guard<std::mutex> g(c.mu);
    for (auto& [cls, v] : c.free)
      for (const Cached& b : v) blocks.emplace_back(b.p, cls);
    c.free.clear();
    c.age.clear();
    c.cached_bytes = c.cached_blocks = 0;
  }
  for (auto& [p, n] : blocks) unmap(p, n);
}

void set_cache_limit(uint64_t bytes) {
  {
    std::lock_guard<std::mutex> g(cache().mu);
    cache().set_limit = bytes;
  }
  if (bytes != kCacheLimitAuto && uint64_t(cache_stats().cached_bytes) > bytes) empty_cache();
}

}  // namespace tf::alloc
