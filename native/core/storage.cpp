#include "storage.h"
#include "error.h"
#include "allocator.h"
#include "context.h"
#include <cstdlib>
#include <cstring>
#include <vector>
#include <unistd.h>

namespace tf {

namespace {
std::atomic<int64_t> g_storages{0};
std::atomic<int64_t> g_bytes{0};
std::atomic<int64_t> g_peak{0};
std::atomic<int64_t> g_tensors{0};

uint64_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return uint64_t(1) << 40;
  return uint64_t(pages) * uint64_t(page);
}
std::atomic<uint64_t> g_limit{physical_memory()};

// Host memory serves both host devices; other devices register theirs.
void host_copy(void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); }
const DeviceAllocator kHost{&alloc::acquire, &alloc::release, &host_copy, &host_copy};
std::atomic<const DeviceAllocator*> g_allocators[4] = {{&kHost}, {nullptr}, {&kHost}, {nullptr}};
}  // namespace

void register_allocator(Device d, const DeviceAllocator* a) { g_allocators[int(d)].store(a); }
const DeviceAllocator* device_allocator(Device d) { return int(d) < 4 ? g_allocators[int(d)].load() : nullptr; }

void copy_bytes(void* dst, Device dd, const void* src, Device sd, size_t n) {
  if (n == 0) return;
  const DeviceAllocator* da = device_allocator(dd);
  const DeviceAllocator* sa = device_allocator(sd);
  TF_CHECK(da && sa, Device, "copy between '", device_name(sd), "' and '", device_name(dd), "': a device this build lacks");
  if (is_host(sd)) return da->from_host(dst, src, n);
  if (is_host(dd)) return sa->to_host(dst, src, n);
  std::vector<char> bounce(n);  // device to another device: through the host (one GPU today, so rare)
  sa->to_host(bounce.data(), src, n);
  da->from_host(dst, bounce.data(), n);
}

Storage::Storage(void* d, size_t n, size_t cap, Device dev, const DeviceAllocator* a)
    : data(d), nbytes(n), capacity(cap), device(dev), allocator(a) {
  g_storages.fetch_add(1, std::memory_order_relaxed);
  int64_t now = g_bytes.fetch_add(int64_t(n), std::memory_order_relaxed) + int64_t(n);
  int64_t peak = g_peak.load(std::memory_order_relaxed);
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {}
  if (is_host(dev)) ctx().external_bytes += int64_t(n);  // V8's external memory is host memory
}

Storage::~Storage() {
  allocator->release(data, capacity);
  g_storages.fetch_sub(1, std::memory_order_relaxed);
  g_bytes.fetch_sub(int64_t(nbytes), std::memory_order_relaxed);
  if (is_host(device)) ctx().external_bytes -= int64_t(nbytes);
}

std::shared_ptr<Storage> Storage::allocate(size_t nbytes, Device dev) {
  const DeviceAllocator* a = device_allocator(dev);
  TF_CHECK(a, Device, "allocation on device '", device_name(dev), "' is not available in this build (tf.cuda.status() says why)");
  uint64_t limit = g_limit.load();
  if (nbytes > limit)
    fail(ErrorCode::OutOfMemory, "cannot allocate ", nbytes, " bytes: over the allocation limit of ", limit,
         " bytes (physical memory); tensors this large do not fit on this machine");
  size_t cap = 0;
  void* p = a->acquire(nbytes, &cap);
  if (!p) fail(ErrorCode::OutOfMemory, "out of memory allocating ", nbytes, " bytes on ", device_name(dev));
  return std::make_shared<Storage>(p, nbytes, cap, dev, a);
}

MemoryStats memory_stats() {
  return {g_storages.load(), g_bytes.load(), g_tensors.load(), g_peak.load()};
}
int64_t reset_peak_bytes() {
  // exchange, not store: an allocation racing with the reset still raises the new window's peak afterwards
  return g_peak.exchange(g_bytes.load(std::memory_order_relaxed));
}
int64_t thread_external_bytes() { return ctx().external_bytes; }
void set_allocation_limit(uint64_t b) { g_limit.store(b); }
uint64_t allocation_limit() { return g_limit.load(); }

namespace detail {
void count_tensor(int delta) { g_tensors.fetch_add(delta, std::memory_order_relaxed); }
}  // namespace detail

}  // namespace tf
