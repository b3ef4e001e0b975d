// The tensors a JS environment holds, in a slab: a JS handle carries a token (tag | generation | slot), never a
// pointer, so a token from anywhere else, or one whose slot was freed and reused, is recognised and refused.
// Adding and releasing are O(1) with no allocation once the slab has grown to the environment's peak.
#pragma once
#include <node_api.h>
#include <cstdint>
#include <vector>
#include "../core/tensor.h"

namespace tfn {

class HandleTable {
 public:
  using Token = uintptr_t;
  Token add(tf::Tensor t);
  // The live tensor of a token, or nullptr (not a token of this table, or released). Valid until the next add.
  tf::Tensor* get(Token tok);
  // Frees the slot (the engine tensor is dropped now) and returns the finalizer reference it held, for the
  // caller to delete; a stale or foreign token is ignored (null).
  napi_ref release(Token tok);
  // The finalizer reference of a live token's JS handle (handle.cc deletes it at dispose, so no finalizer runs).
  void set_ref(Token tok, napi_ref r);
  // tok carries this table's tag: a handle of this environment, live or disposed.
  static bool ours(Token tok) { return (tok & (Token(0xFFFF) << 48)) == kTag; }
  size_t live() const { return slots_.size() - free_.size(); }

 private:
  // 16 tag bits above any user-space address, 20 generation bits, 28 slot bits (268M live handles).
  static constexpr Token kTag = Token(0x7E5F) << 48;
  static constexpr int kSlotBits = 28;
  static constexpr Token kSlotMask = (Token(1) << kSlotBits) - 1;
  static constexpr uint32_t kGenMask = (1u << 20) - 1;
  struct Slot {
    tf::Tensor t;
    napi_ref ref = nullptr;
    uint32_t gen = 0;
  };
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_;
};

}  // namespace tfn
