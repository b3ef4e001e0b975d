// Scaled dot-product attention as one native op over [B, L, D] x [B, S, D] x [B, S, Dv] (any leading batch
// dims flattened): the checks and rules here, the kernels are the backend's attention entries (host:
// cpu/host_attention.cpp); a fused first-order backward from the saved probabilities. Double backward and forward mode use the composite definition.
#include <cmath>
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/composite.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {
// -1e30 where key j lies after query i (keys aligned to the end of the queries), 0 elsewhere; made from ops so it
// is built on whatever device the call runs on.
Tensor causal_bias(int64_t L, int64_t S, DType dt) {
  Tensor rows = reshape(arange(double(S - L), double(S), 1, DType::F64), {L, 1});
  Tensor cols = reshape(arange(0, double(S), 1, DType::F64), {1, S});
  return where(compare(B_GT, cols, rows), full({L, S}, -1e30, dt), zeros({L, S}, dt));
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
  // the entries see [B, L, D]: any leading batch dims flattened
  Tensor qc = reshape(contiguous(detach(q)), {B, L, D}), kc = reshape(contiguous(detach(k)), {B, S, D});
  Tensor vc = reshape(contiguous(detach(v)), {B, S, Dv});
  Shape os = batch; os.push_back(L); os.push_back(Dv);
  Tensor out = empty(os, q.dtype()), P = empty({B, L, S}, q.dtype());
  TF_CHECK(current_backend().attention(reshape(out, {B, L, Dv}), P, qc, kc, vc, scale, causal), DType,
           "attention: no kernel for ", dtype_name(q.dtype()), " on device '", current_backend().name, "'");
  TensorList inputs{q, k, v};
  if (compute_requires_grad(inputs)) {
    auto node = make_node("AttentionBackward", inputs, [scale, causal, B, L, S, D, Dv](FnNode& n, const TensorList& gr) -> TensorList {
      Tensor qs = n.saved(0), ks = n.saved(1), vs = n.saved(2), Ps = n.saved(3);
      if (GradMode::enabled())  // createGraph: differentiate the composite definition
        return composite_vjp(n, {qs, ks, vs}, gr[0], [&] { return attention_composite(qs, ks, vs, scale, causal); }, "attention");
      DType dt = qs.dtype();
      Tensor dq = empty(qs.shape(), dt), dk = empty(ks.shape(), dt), dv = empty(vs.shape(), dt);
      auto flat = [&](const Tensor& t, int64_t R, int64_t F) { return reshape(contiguous(t), {B, R, F}); };
      current_backend().attention_backward(flat(dq, L, D), flat(dk, S, D), flat(dv, S, Dv), flat(gr[0], L, Dv), Ps,
                                           flat(qs, L, D), flat(ks, S, D), flat(vs, S, Dv), scale);
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
