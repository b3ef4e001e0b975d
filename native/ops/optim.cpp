// Fused optimizer updates: one native call updates a whole parameter group, reading and writing each
// parameter, gradient and moment once (the backend's adam/sgd entries; host: cpu/host_optim.cpp). Optimizer state is not part of the autograd graph.
#include <cmath>
#include "ops.h"
#include "../backend/backend.h"

namespace tf {

namespace {
void check_group(const TensorList& params, const TensorList& grads, const TensorList& a, const TensorList& b, const char* op) {
  TF_CHECK(params.size() == grads.size() && params.size() == a.size() && (b.empty() || b.size() == params.size()),
           InvalidArgument, op, ": parameter, gradient and state lists differ in length");
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& p = params[i];
    TF_CHECK(is_floating(p.dtype()), DType, op, ": parameter ", i, " is not floating point");
    TF_CHECK(p.is_contiguous(), InvalidArgument, op, ": parameter ", i, " is not contiguous");
    auto same = [&](const Tensor& t, const char* what) {
      TF_CHECK(t.shape() == p.shape(), ShapeMismatch, op, ": ", what, " ", i, " has shape ", shape_str(t.shape()),
               ", the parameter ", shape_str(p.shape()));
      TF_CHECK(t.dtype() == p.dtype(), DType, op, ": ", what, " ", i, " has dtype ", dtype_name(t.dtype()));
    };
    same(grads[i], "gradient");
    same(a[i], "state");
    TF_CHECK(a[i].is_contiguous(), InvalidArgument, op, ": optimizer state must be contiguous");
    if (!b.empty()) { same(b[i], "state"); TF_CHECK(b[i].is_contiguous(), InvalidArgument, op, ": optimizer state must be contiguous"); }
  }
}
}  // namespace

void adam_update(const TensorList& params, const TensorList& grads0, const TensorList& ms, const TensorList& vs,
                 const AdamHyper& h) {
  check_group(params, grads0, ms, vs, "adam");
  TF_CHECK(h.step >= 1, InvalidArgument, "adam: step must be >= 1");
  for (size_t i = 0; i < params.size(); ++i) {
    current_backend().adam(params[i], contiguous(detach(grads0[i])), ms[i], vs[i], h);
    params[i].storage()->version++;
    ms[i].storage()->version++;
    vs[i].storage()->version++;
  }
}

void sgd_update(const TensorList& params, const TensorList& grads0, const TensorList& bufs, double lr, double momentum,
                double dampening, double weight_decay, bool nesterov, bool first_step) {
  check_group(params, grads0, bufs, {}, "sgd");
  const SgdHyper h{lr, momentum, dampening, weight_decay, nesterov, first_step};
  for (size_t i = 0; i < params.size(); ++i) {
    current_backend().sgd(params[i], contiguous(detach(grads0[i])), bufs[i], h);
    params[i].storage()->version++;
    bufs[i].storage()->version++;
  }
}

}  // namespace tf
