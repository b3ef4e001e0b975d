// Fused optimizer updates: one native call updates a whole parameter group, reading and writing each
// parameter, gradient and moment once. Optimizer state is not part of the autograd graph.
#include <cmath>
#include "ops.h"
#include "../cpu/threadpool.h"

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
  double bc1 = 1 - std::pow(h.beta1, double(h.step)), bc2 = 1 - std::pow(h.beta2, double(h.step));
  double step_size = h.lr / bc1, sqrt_bc2 = std::sqrt(bc2);
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor g = contiguous(detach(grads0[i]));
    TF_DISPATCH_FLOAT(params[i].dtype(), T, {
      T* p = params[i].data_ptr<T>();
      const T* gp = g.data_ptr<T>();
      T* m = ms[i].data_ptr<T>();
      T* v = vs[i].data_ptr<T>();
      const T b1 = T(h.beta1), b2 = T(h.beta2), eps = T(h.eps), wd = T(h.weight_decay), lr = T(h.lr);
      const T ss = T(step_size), sb = T(sqrt_bc2);
      const bool decoupled = h.decoupled;
      parallel_for(0, params[i].numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
        for (int64_t k = lo; k < hi; ++k) {
          T gk = gp[k];
          if (decoupled) p[k] -= lr * wd * p[k];       // AdamW: decay the weight itself
          else if (wd != T(0)) gk += wd * p[k];         // Adam: L2 penalty in the gradient
          m[k] = b1 * m[k] + (T(1) - b1) * gk;
          v[k] = b2 * v[k] + (T(1) - b2) * gk * gk;
          p[k] -= ss * m[k] / (std::sqrt(v[k]) / sb + eps);
        }
      });
    });
    params[i].storage()->version++;
    ms[i].storage()->version++;
    vs[i].storage()->version++;
  }
}

void sgd_update(const TensorList& params, const TensorList& grads0, const TensorList& bufs, double lr, double momentum,
                double dampening, double weight_decay, bool nesterov, bool first_step) {
  check_group(params, grads0, bufs, {}, "sgd");
  for (size_t i = 0; i < params.size(); ++i) {
    Tensor g = contiguous(detach(grads0[i]));
    TF_DISPATCH_FLOAT(params[i].dtype(), T, {
      T* p = params[i].data_ptr<T>();
      const T* gp = g.data_ptr<T>();
      T* b = bufs[i].data_ptr<T>();
      const T mu = T(momentum), damp = T(dampening), wd = T(weight_decay), lrT = T(lr);
      parallel_for(0, params[i].numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
        for (int64_t k = lo; k < hi; ++k) {
          T d = gp[k] + wd * p[k];
          if (mu != T(0)) {
            b[k] = first_step ? d : mu * b[k] + (T(1) - damp) * d;  // PyTorch: the first step stores d
            d = nesterov ? d + mu * b[k] : b[k];
          }
          p[k] -= lrT * d;
        }
      });
    });
    params[i].storage()->version++;
    bufs[i].storage()->version++;
  }
}

}  // namespace tf
