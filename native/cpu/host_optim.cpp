// The optimizer-step entries of the host backends: Adam(W) and SGD with momentum, one pass over a parameter
// and its state, in place, split over the pool.
#include "host_backend.h"
#include <cmath>
#include "dispatch.h"
#include "threadpool.h"

namespace tf {
namespace host {

bool adam(const Tensor& param, const Tensor& grad, const Tensor& m_state, const Tensor& v_state, const AdamHyper& h) {
  if (!is_floating(param.dtype())) return false;
  double bc1 = 1 - std::pow(h.beta1, double(h.step)), bc2 = 1 - std::pow(h.beta2, double(h.step));
  TF_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data_ptr<T>();
    const T* gp = grad.data_ptr<T>();
    T* m = m_state.data_ptr<T>();
    T* v = v_state.data_ptr<T>();
    const T b1 = T(h.beta1), b2 = T(h.beta2), eps = T(h.eps), wd = T(h.weight_decay), lr = T(h.lr);
    const T ss = T(h.lr / bc1), sb = T(std::sqrt(bc2));
    const bool decoupled = h.decoupled;
    parallel_for(0, param.numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
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
  return true;
}

bool sgd(const Tensor& param, const Tensor& grad, const Tensor& buf, const SgdHyper& h) {
  if (!is_floating(param.dtype())) return false;
  TF_DISPATCH_FLOAT(param.dtype(), T, {
    T* p = param.data_ptr<T>();
    const T* gp = grad.data_ptr<T>();
    T* b = buf.defined() ? buf.data_ptr<T>() : nullptr;
    const T mu = T(h.momentum), damp = T(h.dampening), wd = T(h.weight_decay), lr = T(h.lr);
    const bool nesterov = h.nesterov, first = h.first_step;
    parallel_for(0, param.numel(), 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t k = lo; k < hi; ++k) {
        T d = gp[k] + wd * p[k];
        if (mu != T(0)) {
          b[k] = first ? d : mu * b[k] + (T(1) - damp) * d;  // PyTorch: the first step stores d
          d = nesterov ? d + mu * b[k] : b[k];
        }
        p[k] -= lr * d;
      }
    });
  });
  return true;
}

}  // namespace host
}  // namespace tf
