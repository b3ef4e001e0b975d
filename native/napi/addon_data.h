// Per-environment state (main thread and each worker_thread get their own): the tensor constructor and
// how many external bytes this environment has reported to V8.
#pragma once
#include <napi.h>

namespace tfn {

struct AddonData {
  Napi::FunctionReference tensor_ctor;
  int64_t reported_bytes = 0;
};

inline AddonData* addon_data(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

}  // namespace tfn
