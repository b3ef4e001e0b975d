// Scaled dot-product attention as one native op over [B, L, D] x [B, S, D] x [B, S, Dv] (any leading batch
// dims flattened): GEMM for the scores, the row softmax kernel, GEMM for the values; a fused first-order
// backward from the saved probabilities. Double backward and forward mode use the composite definition.
#include <cmath>
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/composite.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"
#include "../cpu/dispatch.h"
#include "../cpu/threadpool.h"

namespace tf {

namespace {
Tensor causal_bias(int64_t L, int64_t S, DType dt) {
  Tensor m = zeros({L, S}, dt);
  TF_DISPATCH_FLOAT(dt, T, {
    T* p = m.data_ptr<T>();
    for (int64_t i = 0; i < L; ++i)
      for (int64_t j = 0; j < S; ++j)
        if (j > i + (S - L)) p[i * S + j] = T(-1e30);
  });
  return m;
}
}  // namespace

Tensor attention_composite(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal) {
  Tensor s = matmul(q, transpose(k, -1, -2)) * scale;
  if (causal) s = s + causal_bias(q.size(-2), k.size(-2), q.dtype());
  return matmul(softmax(s, -1), v);
}

Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal) {
  TF_CHECK(q.dim() >= 2 && k.dim() == q.dim() && v.dim() == q.dim(), ShapeMismatch,
           "attention: q, k, v must have the same rank (>= 2), got ", shape_str(q.shape()), ", ", shape_str(k.shape()),
           ", ", shape_str(v.shape()));
  check_float(q, "attention");
  TF_CHECK(k.dtype() == q.dtype() && v.dtype() == q.dtype(), DType, "attention: q, k, v dtypes differ");
  int64_t L = q.size(-2), D = q.size(-1), S = k.size(-2), Dv = v.size(-1);
  TF_CHECK(k.size(-1) == D, ShapeMismatch, "attention: q has feature size ", D, " but k has ", k.size(-1));
  TF_CHECK(v.size(-2) == S, ShapeMismatch, "attention: k has ", S, " positions but v has ", v.size(-2));
  Shape batch(q.shape().begin(), q.shape().end() - 2);
  TF_CHECK(Shape(k.shape().begin(), k.shape().end() - 2) == batch && Shape(v.shape().begin(), v.shape().end() - 2) == batch,
           ShapeMismatch, "attention: batch dims differ: ", shape_str(q.shape()), ", ", shape_str(k.shape()), ", ", shape_str(v.shape()));
  int64_t B = checked_numel(batch);
  Tensor qc = contiguous(detach(q)), kc = contiguous(detach(k)), vc = contiguous(detach(v));
  Shape os = batch; os.push_back(L); os.push_back(Dv);
  Tensor out = empty(os, q.dtype()), P = empty({B, L, S}, q.dtype());
  int64_t es = int64_t(dtype_size(q.dtype()));
  Tensor bias = causal ? causal_bias(L, S, q.dtype()) : Tensor();
  cpu::SoftmaxFn smax = backend_kernels().softmax[int(q.dtype())];
  parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      char* p = P.raw_ptr() + b * L * S * es;
      // scores = q k^T (k read transposed by strides), then scale (+ causal bias) and softmax in place
      gemm_into(q.dtype(), L, S, D, qc.raw_ptr() + b * L * D * es, D, 1, kc.raw_ptr() + b * S * D * es, 1, D, p, S, false);
      TF_DISPATCH_FLOAT(q.dtype(), T, {
        T* pp = reinterpret_cast<T*>(p);
        const T* bp = causal ? bias.data_ptr<T>() : nullptr;
        for (int64_t i = 0; i < L * S; ++i) pp[i] = pp[i] * T(scale) + (bp ? bp[i] : T(0));
      });
      smax(p, p, L, S, 0);
      gemm_into(q.dtype(), L, Dv, S, p, S, 1, vc.raw_ptr() + b * S * Dv * es, Dv, 1, out.raw_ptr() + b * L * Dv * es, Dv, false);
    }
  });
  TensorList inputs{q, k, v};
  if (compute_requires_grad(inputs)) {
    auto node = make_node("AttentionBackward", inputs, [scale, causal, B, L, S, D, Dv, es](FnNode& n, const TensorList& gr) -> TensorList {
      Tensor qs = n.saved(0), ks = n.saved(1), vs = n.saved(2), Ps = n.saved(3);
      if (GradMode::enabled())  // createGraph: differentiate the composite definition
        return composite_vjp(n, {qs, ks, vs}, gr[0], [&] { return attention_composite(qs, ks, vs, scale, causal); }, "attention");
      DType dt = qs.dtype();
      Tensor go = contiguous(gr[0]), qc2 = contiguous(qs), kc2 = contiguous(ks), vc2 = contiguous(vs);
      Tensor dq = empty(qs.shape(), dt), dk = empty(ks.shape(), dt), dv = empty(vs.shape(), dt);
      parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
        Tensor dP = empty({L, S}, dt);
        for (int64_t b = lo; b < hi; ++b) {
          const char* p = Ps.raw_ptr() + b * L * S * es;
          const char* g = go.raw_ptr() + b * L * Dv * es;
          // dV = P^T dO ; dP = dO V^T
          gemm_into(dt, S, Dv, L, p, 1, S, g, Dv, 1, dv.raw_ptr() + b * S * Dv * es, Dv, false);
          gemm_into(dt, L, S, Dv, g, Dv, 1, vc2.raw_ptr() + b * S * Dv * es, 1, Dv, dP.raw_ptr(), S, false);
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
          gemm_into(dt, L, D, S, dP.raw_ptr(), S, 1, kc2.raw_ptr() + b * S * D * es, D, 1, dq.raw_ptr() + b * L * D * es, D, false);
          gemm_into(dt, S, D, L, dP.raw_ptr(), 1, S, qc2.raw_ptr() + b * L * D * es, D, 1, dk.raw_ptr() + b * S * D * es, D, false);
        }
      });
      return {n.needs_input_grad(0) ? dq : Tensor(), n.needs_input_grad(1) ? dk : Tensor(), n.needs_input_grad(2) ? dv : Tensor()};
    });
    node->save(q);
    node->save(k);
    node->save(v);
    node->save(P);
    set_history(out, node);
  }
  composite_jvp(out, inputs, [&] { return attention_composite(q, k, v, scale, causal); }, "attention");
  return out;
}

Tensor attention_op(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal, bool composite) {
  return composite ? attention_composite(q, k, v, scale, causal) : attention(q, k, v, scale, causal);
}

}  // namespace tf
