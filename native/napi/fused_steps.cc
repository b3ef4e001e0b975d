// Binding for the fused denoising steps: fusedStep(name, tensors, numbers, out?) -> Tensor; the table of steps
// (names, tensor and number counts) is the engine's (fused/step_table.h), shared with the C API.
#include <napi.h>
#include <functional>
#include <string>
#include <vector>
#include "convert.h"
#include "fused_steps.h"
#include "../fused/step_table.h"

namespace tfn {

Napi::Value FusedStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tf::CallScope call;
  TFN_GUARD(env, {
    std::string name = string_arg(info, 0, "step");
    tf::TensorList ts = tensor_list_arg(info, 1, "tensors", true);
    if (!info[2].IsArray()) arg_error(env, "fusedStep " + name + ": numbers must be an array");
    Napi::Array na = info[2].As<Napi::Array>();
    std::vector<double> nums;
    for (uint32_t k = 0; k < na.Length(); ++k) {
      Napi::Value v = na.Get(k);
      if (!v.IsNumber()) arg_error(env, "fusedStep " + name + ": number " + std::to_string(k) + " is not a number");
      nums.push_back(v.As<Napi::Number>().DoubleValue());
    }
    tf::Tensor out;
    if (info.Length() > 3 && !info[3].IsNull() && !info[3].IsUndefined()) out = tensor_arg(info, 3, "out");
    tf::Tensor r = tf::fused::run_step(name, ts, nums, out);  // names, counts and checks: fused/step_table.cpp
    if (out.defined()) return info[3];  // the caller's tensor, updated
    Napi::Value w = wrap(env, r);
    sync_external_memory(env);
    return w;
  })
  return env.Undefined();
}

}  // namespace tfn
