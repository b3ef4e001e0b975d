// Per-environment state (main thread and each worker_thread get their own): the handle class, the tensors its
// handles hold, and how many external bytes this environment has reported to V8.
#pragma once
#include <napi.h>
#include "handle_table.h"

namespace tfn {

struct AddonData {
  Napi::FunctionReference handle_ctor;
  Napi::Reference<Napi::External<void>> handle_key;  // the constructor's argument: only the addon has it
  HandleTable handles;
  int64_t reported_bytes = 0;
};

inline AddonData* addon_data(napi_env env) {
  void* d = nullptr;
  napi_get_instance_data(env, &d);
  return static_cast<AddonData*>(d);
}

}  // namespace tfn
