// softmax / logSoftmax along one dim: rows are made contiguous (dim last) and handed to the row kernel.
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {

Tensor softmax_raw(const Tensor& x0, int64_t d, bool log) {
  GradModeGuard off(false);
  Tensor x = x0;
  int64_t last = x.dim() - 1;
  if (x.dim() == 0) x = reshape(x, {1});
  bool moved = x0.dim() > 0 && d != last;
  if (moved) x = transpose(x, d, last);
  x = contiguous(x);
  Tensor y = empty(x.shape(), x.dtype());
  TF_CHECK(current_backend().softmax(y, x, log), DType, "softmax does not support dtype ", dtype_name(x.dtype()));
  if (moved) y = transpose(y, d, last);
  if (x0.dim() == 0) y = reshape(y, {});
  return y;
}

Tensor softmax_op(const Tensor& x, int64_t dim, bool log) {
  check_float(x, log ? "logSoftmax" : "softmax");
  int64_t d = wrap_dim(dim, x.dim());
  Tensor y = softmax_raw(x, d, log);
  if (compute_requires_grad({&x})) {
    auto node = make_node(log ? "LogSoftmaxBackward" : "SoftmaxBackward", {x},
                          [d, log](FnNode& n, const TensorList& g) -> TensorList {
      Tensor ys = n.saved(0);
      if (log) return {g[0] - exp(ys) * sum(g[0], {d}, true)};
      return {ys * (g[0] - sum(g[0] * ys, {d}, true))};
    });
    node->save_output(y, 0);
    set_history(y, node);
  }
  jvp_rule(y, {&x}, [&] {
    Tensor t = tangent(x);
    if (log) return t - sum(exp(y) * t, {d}, true);
    return y * (t - sum(t * y, {d}, true));
  });
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, false); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return softmax_op(x, dim, true); }

}  // namespace tf
