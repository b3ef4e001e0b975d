// The attention entries of the host backends: per batch, GEMM for the scores, scale (+ causal mask), the row
// softmax kernel, GEMM for the values; the fused first-order backward from the saved probabilities.
#include "host_backend.h"
#include "dispatch.h"
#include "threadpool.h"
#include "../ops/ops.h"

namespace tf {
namespace host {

bool attention(const Tensor& out, const Tensor& P, const Tensor& q, const Tensor& k, const Tensor& v, double scale,
               bool causal) {
  DType dt = q.dtype();
  cpu::SoftmaxFn smax = backend_kernels().softmax[int(dt)];
  if (!is_floating(dt) || !smax) return false;
  const int64_t B = q.size(0), L = q.size(1), D = q.size(2), S = k.size(1), Dv = v.size(2);
  const int64_t es = int64_t(dtype_size(dt));
  parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      char* p = P.raw_ptr() + b * L * S * es;
      // scores = q k^T (k read transposed by strides), then scale (+ causal mask) and softmax in place
      gemm_into(dt, L, S, D, q.raw_ptr() + b * L * D * es, D, 1, k.raw_ptr() + b * S * D * es, 1, D, p, S, false);
      TF_DISPATCH_FLOAT(dt, T, {
        T* pp = reinterpret_cast<T*>(p);
        for (int64_t i = 0; i < L; ++i)
          for (int64_t j = 0; j < S; ++j)
            pp[i * S + j] = pp[i * S + j] * T(scale) + (causal && j > i + (S - L) ? T(-1e30) : T(0));
      });
      smax(p, p, L, S, 0);
      gemm_into(dt, L, Dv, S, p, S, 1, v.raw_ptr() + b * S * Dv * es, Dv, 1, out.raw_ptr() + b * L * Dv * es, Dv, false);
    }
  });
  return true;
}

bool attention_backward(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& gy, const Tensor& P,
                        const Tensor& q, const Tensor& k, const Tensor& v, double scale) {
  DType dt = q.dtype();
  if (!is_floating(dt)) return false;
  const int64_t B = q.size(0), L = q.size(1), D = q.size(2), S = k.size(1), Dv = v.size(2);
  const int64_t es = int64_t(dtype_size(dt));
  parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
    Tensor dP = empty({L, S}, dt);
    for (int64_t b = lo; b < hi; ++b) {
      const char* p = P.raw_ptr() + b * L * S * es;
      const char* g = gy.raw_ptr() + b * L * Dv * es;
      // dV = P^T dO ; dP = dO V^T
      gemm_into(dt, S, Dv, L, p, 1, S, g, Dv, 1, dv.raw_ptr() + b * S * Dv * es, Dv, false);
      gemm_into(dt, L, S, Dv, g, Dv, 1, v.raw_ptr() + b * S * Dv * es, 1, Dv, dP.raw_ptr(), S, false);
      // dS = P * (dP - rowsum(dP * P)) * scale
      TF_DISPATCH_FLOAT(dt, T, {
        T* d = dP.data_ptr<T>();
        const T* pp = reinterpret_cast<const T*>(p);
        for (int64_t i = 0; i < L; ++i) {
          double r = 0;
          for (int64_t j = 0; j < S; ++j) r += double(d[i * S + j]) * double(pp[i * S + j]);
          for (int64_t j = 0; j < S; ++j) d[i * S + j] = T(double(pp[i * S + j]) * (double(d[i * S + j]) - r) * scale);
        }
      });
      // dQ = dS K ; dK = dS^T Q
      gemm_into(dt, L, D, S, dP.raw_ptr(), S, 1, k.raw_ptr() + b * S * D * es, D, 1, dq.raw_ptr() + b * L * D * es, D, false);
      gemm_into(dt, S, D, L, dP.raw_ptr(), 1, S, q.raw_ptr() + b * L * D * es, D, 1, dk.raw_ptr() + b * S * D * es, D, false);
    }
  });
  return true;
}

}  // namespace host
}  // namespace tf
