#include "composite.h"
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include "forward_ad.h"

namespace tf {

void note_composite_fallback(const char* op, const char* what) {
  const char* d = std::getenv("TENSORFIELD_DEBUG");
  if (!d || !*d || *d == '0') return;
  static std::mutex m;
  static std::set<std::string> said;
  std::lock_guard<std::mutex> lk(m);
  if (said.insert(std::string(op) + what).second)
    std::fprintf(stderr, "[tensorfield] %s: %s uses the composite definition (no fused rule)\n", op, what);
}

TensorList composite_vjp(FnNode& node, const TensorList& inputs, const Tensor& grad,
                         const std::function<Tensor()>& composite, const char* op) {
  note_composite_fallback(op, "double backward");
  TensorList need;
  std::vector<size_t> which;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (node.needs_input_grad(i)) { need.push_back(inputs[i]); which.push_back(i); }
  TensorList out(inputs.size());
  if (need.empty()) return out;
  TensorList g = run_backward({composite()}, {grad}, true, true, need, true);
  for (size_t k = 0; k < which.size(); ++k) out[which[k]] = g[k];
  return out;
}

void composite_jvp(const Tensor& out, const TensorList& inputs, const std::function<Tensor()>& composite,
                   const char* op) {
  if (!has_tangent(inputs)) return;
  note_composite_fallback(op, "forward mode (jvp)");
  Tensor t = tangent(composite());
  if (t.defined()) set_tangent(out, t);
}

}  // namespace tf
