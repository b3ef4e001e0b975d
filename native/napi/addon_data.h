// Per-environment state (main thread and each worker_thread get their own): the engine context (grad mode,
// dual level, generator, byte count), the tensors its handles hold, and how many external
// bytes this environment has reported to V8.
#pragma once
#include <napi.h>
#include "handle_table.h"
#include "../core/context.h"

namespace tfn {

struct AddonData {
  // First member, so it outlives the handles below (freeing a tensor counts its bytes in the context). Made
  // current for this environment's thread at load; no longer current once the environment is torn down.
  tf::Context context;
  ~AddonData();
  HandleTable handles;
  int64_t reported_bytes = 0;
};

// This thread's environment's data, set at load: Node runs each environment on its own thread, and a small op
// looks it up several times (napi_get_instance_data is a call into Node each time).
extern thread_local AddonData* t_addon TF_TLS_MODEL;  // core/context.h: initial-exec except in the CUDA build

inline AddonData* addon_data(napi_env env) {
  if (AddonData* d = t_addon) return d;
  void* d = nullptr;
  napi_get_instance_data(env, &d);
  return static_cast<AddonData*>(d);
}

inline AddonData::~AddonData() {
  handles = HandleTable();
  if (&tf::ctx() == &context) tf::set_current_context(nullptr);
  if (t_addon == this) t_addon = nullptr;
}

}  // namespace tfn
