#include "forward_ad.h"
#include "../ops/ops.h"
#include "../core/context.h"

namespace tf {

namespace {
// The level state lives in the current context (core/context.h).
struct Suspend {
  Suspend() { ++ctx().fw_suspended; }
  ~Suspend() { --ctx().fw_suspended; }
};
}  // namespace

uint64_t enter_dual_level() {
  TF_CHECK(ctx().fw_level == 0, Autograd, "jvp: nested forward-mode levels are not supported (a jvp inside a jvp); "
           "compose with reverse mode instead (e.g. func.hvp)");
  ctx().fw_level = ctx().fw_next_level++;
  return ctx().fw_level;
}

void exit_dual_level(uint64_t level) {
  if (ctx().fw_level == level) ctx().fw_level = 0;
}

bool forward_ad_active() { return ctx().fw_level != 0 && ctx().fw_suspended == 0; }

Tensor tangent(const Tensor& t) {
  if (!t.defined() || ctx().fw_level == 0) return Tensor();
  TensorImpl* impl = t.impl();
  if (impl->fw_level != ctx().fw_level) return Tensor();
  return impl->fw_grad;
}

bool has_tangent(std::initializer_list<const Tensor*> ts) {
  if (!forward_ad_active()) return false;
  for (const Tensor* t : ts)
    if (tangent(*t).defined()) return true;
  return false;
}
bool has_tangent(const TensorList& ts) {
  if (!forward_ad_active()) return false;
  for (const Tensor& t : ts)
    if (tangent(t).defined()) return true;
  return false;
}

void set_tangent(const Tensor& out, const Tensor& tan) {
  TF_CHECK(ctx().fw_level != 0, Autograd, "tangents can only be set inside a jvp (a dual level)");
  TF_CHECK(tan.shape() == out.shape(), ShapeMismatch, "tangent has shape ", shape_str(tan.shape()),
           " but the primal has shape ", shape_str(out.shape()));
  TF_CHECK(tan.dtype() == out.dtype(), DType, "tangent has dtype ", dtype_name(tan.dtype()), " but the primal has dtype ",
           dtype_name(out.dtype()));
  TF_CHECK(is_floating(out.dtype()), DType, "only floating-point tensors can carry tangents");
  out.impl()->fw_grad = tan;
  out.impl()->fw_level = ctx().fw_level;
}

Tensor make_dual(const Tensor& primal, const Tensor& tan) {
  check_same_device(primal, tan, "jvp");
  Tensor d = view(primal, primal.shape());  // an alias that keeps primal's reverse-mode history
  if (d.ptr() == primal.ptr()) d = make_view(primal, primal.shape(), primal.strides(), primal.offset());
  set_tangent(d, tan);
  return d;
}

std::pair<Tensor, Tensor> unpack_dual(const Tensor& t) {
  Tensor tan = tangent(t);
  if (!tan.defined()) return {t, tan};
  if (!t.impl()->grad_fn && t.requires_grad()) return {t, tan};  // a leaf: itself, so gradients reach it
  Tensor primal = make_view(t, t.shape(), t.strides(), t.offset());
  primal.impl()->grad_fn = t.impl()->grad_fn;  // keep the reverse-mode history of the primal
  primal.impl()->output_nr = t.impl()->output_nr;
  primal.impl()->requires_grad = t.requires_grad();
  return {primal, tan};
}

Tensor bilinear_tangent(const Tensor& a, const Tensor& b, const std::function<Tensor(const Tensor&, const Tensor&)>& f) {
  Tensor ta = tangent(a), tb = tangent(b), t;
  if (ta.defined()) t = f(ta, b);
  if (tb.defined()) t = t.defined() ? add(t, f(a, tb)) : f(a, tb);
  return t;
}

Tensor tangent_or_zeros(const Tensor& like) {
  Tensor t = tangent(like);
  return t.defined() ? t : zeros(like.shape(), like.dtype());
}

void run_tangent_rule(const Tensor& out, const std::function<Tensor()>& rule) {
  Tensor t;
  {
    Suspend s;
    t = rule();
  }
  if (!t.defined()) return;
  if (t.shape() != out.shape()) {
    Suspend s;
    t = contiguous(expand(t, out.shape()));  // rules may return a broadcastable tangent
  }
  if (t.dtype() != out.dtype()) {
    Suspend s;
    t = to_dtype(t, out.dtype());
  }
  set_tangent(out, t);
}


}  // namespace tf
