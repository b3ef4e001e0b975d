#include "handle_table.h"

namespace tfn {

HandleTable::Token HandleTable::add(tf::Tensor t) {
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    if (slots_.size() > kSlotMask) throw tf::Error(tf::ErrorCode::OutOfMemory, "too many live tensor handles");
    i = uint32_t(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[i];
  s.t = std::move(t);
  return kTag | (Token(s.gen) << kSlotBits) | Token(i);
}

tf::Tensor* HandleTable::get(Token tok) {
  if (!ours(tok)) return nullptr;
  Token i = tok & kSlotMask;
  if (i >= slots_.size()) return nullptr;
  Slot& s = slots_[i];
  if (uint32_t((tok >> kSlotBits) & kGenMask) != s.gen || !s.t.defined()) return nullptr;
  return &s.t;
}

napi_ref HandleTable::release(Token tok) {
  tf::Tensor* t = get(tok);
  if (!t) return nullptr;
  Token i = tok & kSlotMask;
  tf::Tensor dead = std::move(*t);  // dropped after the slot is consistent again (a destructor cannot re-enter)
  napi_ref r = slots_[i].ref;
  slots_[i].ref = nullptr;
  slots_[i].gen = (slots_[i].gen + 1) & kGenMask;
  free_.push_back(uint32_t(i));
  return r;
}

void HandleTable::set_ref(Token tok, napi_ref r) {
  if (get(tok)) slots_[tok & kSlotMask].ref = r;
}

}  // namespace tfn
