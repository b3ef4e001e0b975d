// The optimizer steps on the GPU: Adam(W) and SGD with momentum, one thread per parameter element, in place. The
// arithmetic is the CPU's (cpu/host_optim.cpp) in the same order; the device may contract a * b + c into one
// FMA, so results can differ from the CPU in the last bit.
#include "common.cuh"
#include "entries.h"
#include <cmath>

namespace tf {
namespace cuda {

namespace {

template <class T> struct AdamC { T b1, b2, eps, wd, lr, ss, sb; bool decoupled; };

template <class T>
__global__ void adam_kernel(T* p, const T* gp, T* m, T* v, int64_t n, AdamC<T> c) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n; k += int64_t(gridDim.x) * blockDim.x) {
    T gk = gp[k];
    if (c.decoupled) p[k] -= c.lr * c.wd * p[k];  // AdamW: decay the weight itself
    else if (c.wd != T(0)) gk += c.wd * p[k];     // Adam: L2 penalty in the gradient
    m[k] = c.b1 * m[k] + (T(1) - c.b1) * gk;
    v[k] = c.b2 * v[k] + (T(1) - c.b2) * gk * gk;
    p[k] -= c.ss * m[k] / (sqrt(v[k]) / c.sb + c.eps);
  }
}

template <class T> struct SgdC { T mu, damp, wd, lr; bool nesterov, first; };

template <class T>
__global__ void sgd_kernel(T* p, const T* gp, T* b, int64_t n, SgdC<T> c) {
  for (int64_t k = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; k < n; k += int64_t(gridDim.x) * blockDim.x) {
    T d = gp[k] + c.wd * p[k];
    if (c.mu != T(0)) {
      b[k] = c.first ? d : c.mu * b[k] + (T(1) - c.damp) * d;  // PyTorch: the first step stores d
      d = c.nesterov ? d + c.mu * b[k] : b[k];
    }
    p[k] -= c.lr * d;
  }
}

}  // namespace

bool adam(const Tensor& param, const Tensor& grad, const Tensor& m, const Tensor& v, const AdamHyper& h) {
  const int64_t n = param.numel();
  const double bc1 = 1 - std::pow(h.beta1, double(h.step)), bc2 = 1 - std::pow(h.beta2, double(h.step));
  TF_DISPATCH_FLOAT(param.dtype(), T, {
    if (n == 0) return true;
    AdamC<T> c{T(h.beta1), T(h.beta2), T(h.eps), T(h.weight_decay), T(h.lr), T(h.lr / bc1), T(std::sqrt(bc2)),
               h.decoupled};
    adam_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(ptr<T>(param), ptr<T>(grad), ptr<T>(m),
                                                                     ptr<T>(v), n, c);
    check_launch("adam");
    return true;
  });
  return false;
}

bool sgd(const Tensor& param, const Tensor& grad, const Tensor& buf, const SgdHyper& h) {
  const int64_t n = param.numel();
  TF_DISPATCH_FLOAT(param.dtype(), T, {
    if (n == 0) return true;
    SgdC<T> c{T(h.momentum), T(h.dampening), T(h.weight_decay), T(h.lr), h.nesterov, h.first_step};
    sgd_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(ptr<T>(param), ptr<T>(grad),
                                                                    buf.defined() ? ptr<T>(buf) : nullptr, n, c);
    check_launch("sgd");
    return true;
  });
  return false;
}

}  // namespace cuda
}  // namespace tf
