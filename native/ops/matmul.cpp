// matmul with PyTorch semantics (1-D promotion, batch broadcasting). Operands are passed to the GEMM kernel
// by strides, so transposed or broadcast inputs are never copied.
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"

namespace tf {

namespace {

Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  int64_t M = a.size(-2), K = a.size(-1), K2 = b.size(-2), N = b.size(-1);
  TF_CHECK(K == K2, ShapeMismatch, "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
           " cannot be multiplied (", K, " != ", K2, ")");
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ba, bb);
  Shape sa = batch, sb = batch, so = batch;
  sa.push_back(M); sa.push_back(K);
  sb.push_back(K); sb.push_back(N);
  so.push_back(M); so.push_back(N);
  Tensor ae = expand(detach(a), sa), be = expand(detach(b), sb);
  Tensor out = empty(so, a.dtype());
  TF_CHECK(current_backend().matmul(out, ae, be), DType, "matmul is not available for dtype ", dtype_name(a.dtype()));
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "matmul");
  TF_CHECK(a.dim() >= 1 && b.dim() >= 1, InvalidArgument, "matmul: both arguments need at least 1 dimension, got ",
           shape_str(a.shape()), " and ", shape_str(b.shape()));
  TF_CHECK(a.dtype() == b.dtype(), DType, "matmul: dtypes differ (", dtype_name(a.dtype()), " and ",
           dtype_name(b.dtype()), ")");
  TF_CHECK(is_floating(a.dtype()), DType, "matmul needs float32 or float64 tensors, got ", dtype_name(a.dtype()));
  if (a.dim() == 1 && b.dim() == 1) return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), {-2});
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), {-1});
  Tensor out = matmul_nd(a, b);
  if (compute_requires_grad({&a, &b})) {
    Shape sa = a.shape(), sb = b.shape();
    auto node = make_node("MatmulBackward", {a, b}, [sa, sb](FnNode& n, const TensorList& g) -> TensorList {
      Tensor ga, gb;
      if (n.needs_input_grad(0)) ga = sum_to(matmul(g[0], transpose(n.saved(1), -1, -2)), sa);
      if (n.needs_input_grad(1)) gb = sum_to(matmul(transpose(n.saved(0), -1, -2), g[0]), sb);
      return {ga, gb};
    });
    node->save(a);
    node->save(b);
    set_history(out, node);
  }
  jvp_rule(out, {&a, &b}, [&] { return bilinear_tangent(a, b, [](const Tensor& x, const Tensor& y) { return matmul(x, y); }); });
  return out;
}

}  // namespace tf
