#include "step_table.h"
#include <functional>
#include "steps.h"
#include "../core/error.h"

namespace tf::fused {

namespace {

using Args = TensorList;
using Nums = std::vector<double>;
struct StepEntry {
  const char* name;
  size_t tensors, numbers;
  std::function<Tensor(const Args&, const Nums&, Tensor)> run;
};

const StepEntry kSteps[] = {
    {"euler", 2, 2, [](const Args& a, const Nums& n, Tensor o) { return euler(a[0], a[1], n[0], n[1], o); }},
    {"heun", 4, 2, [](const Args& a, const Nums& n, Tensor o) { return heun_correct(a[0], a[1], a[2], a[3], n[0], n[1], o); }},
    {"edmChurn", 1, 3, [](const Args& a, const Nums& n, Tensor o) { return edm_churn(a[0], n[0], n[1], n[2], o); }},
    {"ddim", 2, 3, [](const Args& a, const Nums& n, Tensor o) { return ddim(a[0], a[1], n[0], n[1], n[2], o); }},
    {"ddpm", 2, 3, [](const Args& a, const Nums& n, Tensor o) { return ddpm(a[0], a[1], n[0], n[1], n[2], o); }},
    {"eulerMaruyama", 3, 2, [](const Args& a, const Nums& n, Tensor o) { return euler_maruyama(a[0], a[1], a[2], n[0], n[1], o); }},
    {"interpolantSde", 3, 3, [](const Args& a, const Nums& n, Tensor o) { return interpolant_sde(a[0], a[1], a[2], n[0], n[1], n[2], o); }},
    {"trigflow", 2, 3, [](const Args& a, const Nums& n, Tensor o) { return trigflow_consistency(a[0], a[1], n[0], n[1], n[2], o); }},
    {"trigflowDdim", 2, 3, [](const Args& a, const Nums& n, Tensor o) { return trigflow_ddim(a[0], a[1], n[0], n[1], n[2], o); }},
    {"dpmpp2m", 3, 5, [](const Args& a, const Nums& n, Tensor o) { return dpmpp_2m(a[0], a[1], a[2], n[0], n[1], n[2], n[3], n[4], o); }},
    {"binomialBridge", 2, 3, [](const Args& a, const Nums& n, Tensor o) { return binomial_bridge(a[0], a[1], n[0], n[1], n[2], o); }},
    {"tauLeap", 2, 3, [](const Args& a, const Nums& n, Tensor o) { return tau_leap(a[0], a[1], n[0], n[1], n[2], o); }},
};

}  // namespace

std::string step_names() {
  std::string s;
  for (const StepEntry& e : kSteps) s += (s.empty() ? "" : ", ") + std::string(e.name);
  return s;
}

Tensor run_step(const std::string& name, const TensorList& tensors, const std::vector<double>& numbers, Tensor out) {
  const StepEntry* e = nullptr;
  for (const StepEntry& s : kSteps)
    if (name == s.name) e = &s;
  TF_CHECK(e, InvalidArgument, "fusedStep: unknown step '", name, "' (known: ", step_names(), ")");
  TF_CHECK(tensors.size() == e->tensors && tensors[0].defined(), InvalidArgument, "fusedStep ", name, ": expected ",
           e->tensors, " tensors, the state first");
  TF_CHECK(numbers.size() == e->numbers, InvalidArgument, "fusedStep ", name, ": expected ", e->numbers,
           " numbers, got ", numbers.size());
  return e->run(tensors, numbers, out);
}

}  // namespace tf::fused
