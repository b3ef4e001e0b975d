#include "handles.h"
#include <cstdint>
#include <mutex>
#include <vector>
#include "../core/error.h"

namespace tfc {

namespace {

struct Slot {
  tf::Tensor t;
  uint32_t gen = 1;   // bumped on release, so an old handle of a reused slot no longer matches
  int64_t refs = 0;   // 0: free
};

struct Table {
  std::mutex mu;
  std::vector<Slot> slots;
  std::vector<uint32_t> free;
  size_t live = 0;
};

Table& table() {
  static Table* t = new Table;  // never destroyed: handles may be released from static destructors of the caller
  return *t;
}

uintptr_t pack(uint32_t slot, uint32_t gen) { return (uintptr_t(gen) << 32) | uintptr_t(slot + 1); }

// The slot a handle names, with the table locked; throws for a handle that is not (or no longer) live.
Slot& find(Table& tb, const tf_tensor* h, const char* what) {
  uintptr_t v = reinterpret_cast<uintptr_t>(h);
  uint64_t idx = (v & 0xffffffffu) - 1;
  uint32_t gen = uint32_t(uint64_t(v) >> 32);
  TF_CHECK(idx < tb.slots.size() && gen != 0, InvalidArgument, what, " is not a tensor handle");
  Slot& s = tb.slots[idx];
  TF_CHECK(s.gen == gen && s.refs > 0, Disposed, what, " has been released and can no longer be used");
  return s;
}

}  // namespace

tf_tensor* new_handle(tf::Tensor t) {
  Table& tb = table();
  std::lock_guard<std::mutex> lock(tb.mu);
  uint32_t idx;
  if (!tb.free.empty()) {
    idx = tb.free.back();
    tb.free.pop_back();
  } else {
    TF_CHECK(tb.slots.size() < 0xfffffffeu, OutOfMemory, "too many live tensor handles");
    idx = uint32_t(tb.slots.size());
    tb.slots.emplace_back();
  }
  Slot& s = tb.slots[idx];
  s.t = std::move(t);
  s.refs = 1;
  ++tb.live;
  return reinterpret_cast<tf_tensor*>(pack(idx, s.gen));
}

tf::Tensor lookup(const tf_tensor* h, const char* what) {
  Table& tb = table();
  std::lock_guard<std::mutex> lock(tb.mu);
  return find(tb, h, what).t;
}

void retain(const tf_tensor* h) {
  Table& tb = table();
  std::lock_guard<std::mutex> lock(tb.mu);
  ++find(tb, h, "tensor").refs;
}

void release(const tf_tensor* h) {
  tf::Tensor dropped;  // destroyed after the lock is released: freeing a graph may take a while
  Table& tb = table();
  std::lock_guard<std::mutex> lock(tb.mu);
  Slot& s = find(tb, h, "tensor");
  if (--s.refs > 0) return;
  dropped = std::move(s.t);
  s.t = tf::Tensor();
  if (++s.gen == 0) s.gen = 1;  // generation 0 never names a live slot
  tb.free.push_back(uint32_t(&s - tb.slots.data()));
  --tb.live;
}

size_t live_handles() {
  Table& tb = table();
  std::lock_guard<std::mutex> lock(tb.mu);
  return tb.live;
}

}  // namespace tfc
