#include "common.h"
#include "../autograd/grad_mode.h"
#include "../autograd/forward_ad.h"

namespace tf::fused {

namespace {
void check_no_grad(const char* op, const Tensor& t) {
  TF_CHECK(!(GradMode::enabled() && t.requires_grad()), Autograd, op, ": fused steps record no gradients, and an input "
           "requires grad; sample inside noGrad(), pass detached tensors, or compose the update from ops to differentiate it");
  TF_CHECK(!tangent(t).defined(), Autograd, op, ": an input carries a forward-mode tangent, which a fused step would drop");
}
}  // namespace

Tensor checked_input(const char* op, const Tensor& t, const Tensor& x) {
  TF_CHECK(t.defined(), InvalidArgument, op, ": missing tensor");
  TF_CHECK(is_floating(x.dtype()), DType, op, ": the state must be float32 or float64, got ", dtype_name(x.dtype()));
  check_same_device(x, t, op);
  TF_CHECK(t.dtype() == x.dtype(), DType, op, ": inputs must share the state's dtype ", dtype_name(x.dtype()), ", got ",
           dtype_name(t.dtype()));
  TF_CHECK(t.shape() == x.shape(), ShapeMismatch, op, ": input of shape ", shape_str(t.shape()), " differs from the state's ",
           shape_str(x.shape()));
  check_no_grad(op, t);
  return contiguous(detach(t));
}

Tensor broadcast_input(const char* op, const Tensor& t, const Tensor& x) {
  check_same_device(x, t, op);
  TF_CHECK(t.dtype() == x.dtype(), DType, op, ": inputs must share the state's dtype ", dtype_name(x.dtype()), ", got ",
           dtype_name(t.dtype()));
  check_no_grad(op, t);
  Shape b = broadcast_shapes(t.shape(), x.shape());
  TF_CHECK(b == x.shape(), ShapeMismatch, op, ": a tensor of shape ", shape_str(t.shape()),
           " does not broadcast to the state's shape ", shape_str(x.shape()));
  return contiguous(expand(detach(t), x.shape()));
}

Tensor prepare_out(const char* op, Tensor out, const Tensor& x, const std::vector<Tensor>& inputs) {
  if (!out.defined()) return empty(x.shape(), x.dtype());
  check_same_device(x, out, op);
  TF_CHECK(out.dtype() == x.dtype() && out.shape() == x.shape(), ShapeMismatch, op, ": out must have the state's shape ",
           shape_str(x.shape()), " and dtype ", dtype_name(x.dtype()), ", got ", shape_str(out.shape()), " ",
           dtype_name(out.dtype()));
  TF_CHECK(out.is_contiguous(), InvalidArgument, op, ": out must be contiguous");
  TF_CHECK(!(GradMode::enabled() && out.requires_grad()), InPlace, op, ": out requires grad; sample inside noGrad()");
  TF_CHECK(!tangent(out).defined(), InPlace, op, ": out carries a forward-mode tangent");
  const char* o = static_cast<const char*>(out.raw_ptr());
  const size_t bytes = size_t(out.numel()) * dtype_size(out.dtype());
  for (const Tensor& in : inputs) {
    if (!in.defined() || in.storage() != out.storage()) continue;
    const char* p = static_cast<const char*>(in.raw_ptr());
    // Same element for same element is safe (each is read before it is written); a shifted overlap is not.
    TF_CHECK(p == o || p + bytes <= o || o + bytes <= p, InPlace, op,
             ": out overlaps an input at a different offset; pass the input itself or a separate tensor");
  }
  return out;
}

}  // namespace tf::fused
