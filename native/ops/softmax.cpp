// softmax / logSoftmax along one dim: rows are made contiguous (dim last) and handed to the row kernel.
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"
#include "../cpu/dispatch.h"
#include "../cpu/threadpool.h"

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
  int64_t n = x.dim() ? x.shape().back() : 1;
  int64_t rows = n == 0 ? 0 : x.numel() / n;
  cpu::SoftmaxFn fn = backend_kernels().softmax[int(x.dtype())];
  int64_t es = int64_t(dtype_size(x.dtype()));
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t lo, int64_t hi) {
    fn(x.raw_ptr() + lo * n * es, y.raw_ptr() + lo * n * es, hi - lo, n, log ? 1 : 0);
  });
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
