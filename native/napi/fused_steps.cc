// Binding for the fused denoising steps: fusedStep(name, tensors, numbers, out?) -> Tensor. One entry per step
// says which tensors (null allowed where optional) and schedule numbers it takes, in the order of lib/samplers/steps.ts.
#include <napi.h>
#include <functional>
#include <string>
#include <vector>
#include "convert.h"
#include "fused_steps.h"
#include "../fused/steps.h"

namespace tfn {

namespace {

using Args = std::vector<tf::Tensor>;
using Nums = std::vector<double>;
struct StepEntry {
  const char* name;
  size_t tensors, numbers;
  std::function<tf::Tensor(const Args&, const Nums&, tf::Tensor)> run;
};

const StepEntry kSteps[] = {
    {"euler", 2, 2, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::euler(a[0], a[1], n[0], n[1], o); }},
    {"heun", 4, 2, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::heun_correct(a[0], a[1], a[2], a[3], n[0], n[1], o); }},
    {"edmChurn", 1, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::edm_churn(a[0], n[0], n[1], n[2], o); }},
    {"ddim", 2, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::ddim(a[0], a[1], n[0], n[1], n[2], o); }},
    {"ddpm", 2, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::ddpm(a[0], a[1], n[0], n[1], n[2], o); }},
    {"eulerMaruyama", 3, 2, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::euler_maruyama(a[0], a[1], a[2], n[0], n[1], o); }},
    {"interpolantSde", 3, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::interpolant_sde(a[0], a[1], a[2], n[0], n[1], n[2], o); }},
    {"trigflow", 2, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::trigflow_consistency(a[0], a[1], n[0], n[1], n[2], o); }},
    {"trigflowDdim", 2, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::trigflow_ddim(a[0], a[1], n[0], n[1], n[2], o); }},
    {"dpmpp2m", 3, 5, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::dpmpp_2m(a[0], a[1], a[2], n[0], n[1], n[2], n[3], n[4], o); }},
    {"binomialBridge", 2, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::binomial_bridge(a[0], a[1], n[0], n[1], n[2], o); }},
    {"tauLeap", 2, 3, [](const Args& a, const Nums& n, tf::Tensor o) { return tf::fused::tau_leap(a[0], a[1], n[0], n[1], n[2], o); }},
};

}  // namespace

Napi::Value FusedStep(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tf::CallScope call;
  TFN_GUARD(env, {
    std::string name = string_arg(info, 0, "step");
    const StepEntry* e = nullptr;
    std::string known;
    for (const StepEntry& s : kSteps) {
      if (name == s.name) e = &s;
      known += (known.empty() ? "" : ", ") + std::string(s.name);
    }
    if (!e) arg_error(env, "fusedStep: unknown step '" + name + "' (known: " + known + ")");
    tf::TensorList ts = tensor_list_arg(info, 1, "tensors", true);
    if (ts.size() != e->tensors || !ts[0].defined())
      arg_error(env, "fusedStep " + name + ": expected " + std::to_string(e->tensors) + " tensors, the state first");
    if (!info[2].IsArray()) arg_error(env, "fusedStep " + name + ": numbers must be an array");
    Napi::Array na = info[2].As<Napi::Array>();
    if (na.Length() != e->numbers)
      arg_error(env, "fusedStep " + name + ": expected " + std::to_string(e->numbers) + " numbers, got " + std::to_string(na.Length()));
    Nums nums;
    for (uint32_t k = 0; k < na.Length(); ++k) {
      Napi::Value v = na.Get(k);
      if (!v.IsNumber()) arg_error(env, "fusedStep " + name + ": number " + std::to_string(k) + " is not a number");
      nums.push_back(v.As<Napi::Number>().DoubleValue());
    }
    tf::Tensor out;
    if (info.Length() > 3 && !info[3].IsNull() && !info[3].IsUndefined()) out = tensor_arg(info, 3, "out");
    tf::Tensor r = e->run(ts, nums, out);
    if (out.defined()) return info[3];  // the caller's tensor, updated
    Napi::Value w = wrap(env, r);
    sync_external_memory(env);
    return w;
  })
  return env.Undefined();
}

}  // namespace tfn
