// Forward-mode AD: a tensor may carry a tangent (its directional derivative) for the current dual level.
// Every op that sees an input with a tangent computes its output's tangent with its own rule, written with
// engine ops — dual numbers carried through the native ops.
#pragma once
#include <functional>
#include <initializer_list>
#include "../core/tensor.h"

namespace tf {

// Levels: jvp() enters one, and tangents set in an earlier (exited) level are ignored afterwards, so a
// tensor kept from an old jvp never contributes a stale tangent. Nesting is not supported (TF_AUTOGRAD).
uint64_t enter_dual_level();
void exit_dual_level(uint64_t level);
bool forward_ad_active();  // inside a level and not inside a tangent rule

// The tangent of t in the current level, or an undefined tensor.
Tensor tangent(const Tensor& t);
bool has_tangent(std::initializer_list<const Tensor*> ts);
bool has_tangent(const TensorList& ts);
// A view of `primal` carrying `tan` as its tangent (shape/dtype checked).
Tensor make_dual(const Tensor& primal, const Tensor& tan);
void set_tangent(const Tensor& out, const Tensor& tan);
// {primal, tangent}: the primal without its tangent (sharing storage and keeping its reverse-mode history; a
// leaf that requires grad is returned as is), and the tangent or an undefined tensor.
std::pair<Tensor, Tensor> unpack_dual(const Tensor& t);

// Runs `rule` (which returns the output tangent) when forward AD is active and an input has a tangent.
// Tangent rules run with forward AD suspended, so the ops inside a rule do not compute tangents themselves.
// Inline and generic so that an op outside forward mode (nearly every call) builds no std::function.
void run_tangent_rule(const Tensor& out, const std::function<Tensor()>& rule);
template <class F>
inline void jvp_rule(const Tensor& out, std::initializer_list<const Tensor*> inputs, F&& rule) {
  if (forward_ad_active() && has_tangent(inputs) && is_floating(out.dtype())) run_tangent_rule(out, rule);
}
template <class F>
inline void jvp_rule(const Tensor& out, const TensorList& inputs, F&& rule) {
  if (forward_ad_active() && has_tangent(inputs) && is_floating(out.dtype())) run_tangent_rule(out, rule);
}
// The tangent of a bilinear op f(a, b): f(ta, b) + f(a, tb), leaving out terms whose tangent is undefined.
Tensor bilinear_tangent(const Tensor& a, const Tensor& b, const std::function<Tensor(const Tensor&, const Tensor&)>& f);
// A tangent where defined, zeros shaped like `like` otherwise (rules that need every input's tangent).
Tensor tangent_or_zeros(const Tensor& like);

}  // namespace tf
