// Reductions over any set of dims. The input is viewed as [O, R, I] (reduced dims in the middle) when they
// are adjacent in a contiguous tensor; otherwise they are permuted last and copied once.
#include <cmath>
#include <numeric>
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {

Shape keepdim_shape(const Shape& s, const Dims& dims) {
  Shape out = s;
  for (int64_t d : dims) out[d] = 1;
  return out;
}
Shape drop_dims(const Shape& s, const Dims& dims) {
  Shape out;
  for (int64_t d = 0; d < int64_t(s.size()); ++d)
    if (std::find(dims.begin(), dims.end(), d) == dims.end()) out.push_back(s[d]);
  return out;
}
Dims all_dims(int64_t n) {
  Dims d(n);
  std::iota(d.begin(), d.end(), 0);
  return d;
}

// Raw reduction kernel launch, no autograd. dims normalized and non-empty (or tensor is 0-d).
Tensor reduce_raw(ReduceOp op, const Tensor& x0, const Dims& dims, bool keepdim) {
  Tensor x = x0;
  Shape kshape = keepdim_shape(x.shape(), dims);
  bool adjacent = dims.empty() || dims.back() - dims.front() + 1 == int64_t(dims.size());
  if (!adjacent && x.is_contiguous() && op != R_ARGMAX && op != R_ARGMIN) {
    // Separated runs of dims (a bias gradient sums [N, C, H, W] over 0, 2, 3): reduce the innermost run, then the
    // rest of the (contiguous, keepdim) result, so every pass reads memory in order instead of a permuted copy
    size_t k = dims.size() - 1;
    while (k > 0 && dims[k - 1] == dims[k] - 1) --k;
    Tensor part = reduce_raw(op, x, Dims(dims.begin() + k, dims.end()), true);
    Tensor out = reduce_raw(op, part, Dims(dims.begin(), dims.begin() + k), true);
    return keepdim ? out : reshape(out, drop_dims(x0.shape(), dims));
  }
  int64_t O = 1, R = 1, I = 1;
  if (adjacent && x.is_contiguous()) {
    int64_t d0 = dims.empty() ? 0 : dims.front(), d1 = dims.empty() ? -1 : dims.back();
    for (int64_t d = 0; d < x.dim(); ++d) (d < d0 ? O : d <= d1 ? R : I) *= x.shape()[d];
  } else {
    Dims perm;
    for (int64_t d = 0; d < x.dim(); ++d)
      if (std::find(dims.begin(), dims.end(), d) == dims.end()) perm.push_back(d);
    for (int64_t d : dims) perm.push_back(d);
    GradModeGuard off(false);
    x = contiguous(permute(x, perm));
    for (int64_t d = 0; d < x0.dim(); ++d)
      (std::find(dims.begin(), dims.end(), d) == dims.end() ? O : R) *= x0.shape()[d];
  }
  bool is_arg = op == R_ARGMAX || op == R_ARGMIN;
  if (R == 0) {
    TF_CHECK(op == R_SUM || op == R_PROD, InvalidArgument,
             "cannot take the max/min/argmax of an empty dimension");
  }
  DType out_dt = is_arg ? DType::I32 : x.dtype();
  Tensor out = empty(keepdim ? kshape : drop_dims(x0.shape(), dims), out_dt);
  if (R == 0) {
    GradModeGuard off(false);
    fill_(out, op == R_SUM ? 0.0 : 1.0);
    return out;
  }
  TF_CHECK(current_backend().reduce(op, out, x, O, R, I), DType, "this reduction does not support dtype ",
           dtype_name(x.dtype()));
  return out;
}

Dims resolve(const Tensor& x, const Dims& dims, const char* op) {
  if (dims.empty()) return all_dims(x.dim());
  Dims d = normalize_dims(dims, x.dim(), op);
  // A 0-d tensor accepts dim 0 / -1 (as in PyTorch) but has no dimension 0 to index: reducing over it is
  // reducing over everything, which for 0-d is no dims at all.
  return x.dim() == 0 ? Dims{} : d;
}

// Broadcasts a reduced gradient back to the input shape.
Tensor expand_grad(const Tensor& g, const Shape& in_shape, const Dims& dims, bool keepdim) {
  Tensor gk = keepdim ? g : reshape(g, keepdim_shape(in_shape, dims));
  return expand(gk, in_shape);
}

}  // namespace

Tensor sum(const Tensor& x, const Dims& dims0, bool keepdim) {
  Dims dims = resolve(x, dims0, "sum");
  Tensor out = reduce_raw(R_SUM, x, dims, keepdim);
  if (is_floating(x.dtype()) && compute_requires_grad({&x})) {
    Shape s = x.shape();
    auto node = make_node("SumBackward", {x}, [s, dims, keepdim](FnNode&, const TensorList& g) -> TensorList {
      return {expand_grad(g[0], s, dims, keepdim)};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] { return sum(tangent(x), dims, keepdim); });
  return out;
}

Tensor mean(const Tensor& x, const Dims& dims0, bool keepdim) {
  Dims dims = resolve(x, dims0, "mean");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  Tensor xf = is_floating(x.dtype()) ? x : to_dtype(x, DType::F32);
  return sum(xf, dims, keepdim) / double(count);
}

Tensor prod(const Tensor& x, const Dims& dims0, bool keepdim) {
  TF_CHECK(!compute_requires_grad({&x}), NotImplemented, "prod does not support gradients yet");
  return reduce_raw(R_PROD, x, resolve(x, dims0, "prod"), keepdim);
}

Tensor var(const Tensor& x, const Dims& dims0, double correction, bool keepdim) {
  check_float(x, "var");
  Dims dims = resolve(x, dims0, "var");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.shape()[d];
  Tensor diff = x - mean(x, dims, true);
  return sum(square(diff), dims, keepdim) / std::max(double(count) - correction, 0.0);
}

Tensor std_(const Tensor& x, const Dims& dims, double correction, bool keepdim) {
  return sqrt(var(x, dims, correction, keepdim));
}

static Tensor extreme_all(bool is_max, const Tensor& x, const Dims& dims0, bool keepdim) {
  Dims dims = resolve(x, dims0, is_max ? "amax" : "amin");
  Tensor out = reduce_raw(is_max ? R_MAX : R_MIN, x, dims, keepdim);
  if (is_floating(x.dtype()) && compute_requires_grad({&x})) {
    Shape s = x.shape();
    auto node = make_node(is_max ? "AmaxBackward" : "AminBackward", {x},
                          [s, dims, keepdim](FnNode& n, const TensorList& g) -> TensorList {
      Tensor xs = n.saved(0), y = n.saved(1);
      Tensor yk = keepdim ? y : reshape(y, keepdim_shape(s, dims));
      Tensor hit = to_dtype(compare(B_EQ, xs, yk), g[0].dtype());
      Tensor count = sum(hit, dims, true);  // ties share the gradient evenly, as in PyTorch
      return {expand_grad(g[0], s, dims, keepdim) * hit / count};
    });
    node->save(x);
    node->save_output(out, 0);
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] {
    Tensor yk = keepdim ? out : reshape(out, keepdim_shape(x.shape(), dims));
    Tensor t = tangent(x);
    Tensor hit = to_dtype(compare(B_EQ, x, yk), t.dtype());
    return sum(t * hit, dims, keepdim) / sum(hit, dims, keepdim);
  });
  return out;
}
Tensor amax(const Tensor& x, const Dims& dims, bool keepdim) { return extreme_all(true, x, dims, keepdim); }
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim) { return extreme_all(false, x, dims, keepdim); }

static std::pair<Tensor, Tensor> extreme_dim(bool is_max, const Tensor& x, int64_t dim, bool keepdim) {
  int64_t d = wrap_dim(dim, x.dim());
  Dims dims = x.dim() == 0 ? Dims{} : Dims{d};
  Tensor idx = reduce_raw(is_max ? R_ARGMAX : R_ARGMIN, x, dims, true);
  Tensor values;
  {
    GradModeGuard off(false);
    values = x.dim() == 0 ? clone(x) : gather(x, d, idx);
  }
  if (is_floating(x.dtype()) && compute_requires_grad({&x})) {
    Shape s = x.shape();
    auto node = make_node(is_max ? "MaxBackward" : "MinBackward", {x}, [s, d](FnNode& n, const TensorList& g) -> TensorList {
      Tensor ix = n.saved(0);
      if (s.empty()) return {g[0]};
      return {scatter_add(zeros(s, g[0].dtype()), d, ix, g[0])};
    });
    node->save(idx);
    set_history(values, node);
  }
  jvp_rule(values, {&x}, [&] { return x.dim() == 0 ? tangent(x) : gather(tangent(x), d, idx); });
  if (!keepdim && x.dim() > 0) {
    values = squeeze(values, {d});
    idx = squeeze(idx, {d});
  }
  return {values, idx};
}
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim) { return extreme_dim(true, x, dim, keepdim); }
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim) { return extreme_dim(false, x, dim, keepdim); }

static Tensor argext(ReduceOp op, const Tensor& x, int64_t dim, bool keepdim, bool all) {
  if (all) {
    Tensor flat = reshape(detach(x), {x.numel()});
    return reduce_raw(op, flat, {0}, false);
  }
  int64_t d = wrap_dim(dim, x.dim());
  return reduce_raw(op, detach(x), x.dim() == 0 ? Dims{} : Dims{d}, keepdim);
}
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim, bool all) { return argext(R_ARGMAX, x, dim, keepdim, all); }
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim, bool all) { return argext(R_ARGMIN, x, dim, keepdim, all); }

Tensor logsumexp(const Tensor& x, const Dims& dims0, bool keepdim) {
  check_float(x, "logsumexp");
  Dims dims = resolve(x, dims0, "logsumexp");
  Tensor m;
  {
    GradModeGuard off(false);
    m = amax(x, dims, true);
    // rows of -inf (or +inf) would give inf - inf: shift by 0 there instead
    m = where(isfinite(m), m, sc(0, m));
  }
  Tensor r = log(sum(exp(x - m), dims, true)) + m;
  return keepdim ? r : reshape(r, drop_dims(x.shape(), dims));
}

Tensor norm(const Tensor& x, double p, const Dims& dims, bool keepdim) {
  check_float(x, "norm");
  if (p == 2) return sqrt(sum(square(x), dims, keepdim));
  if (p == 1) return sum(abs(x), dims, keepdim);
  if (std::isinf(p)) return p > 0 ? amax(abs(x), dims, keepdim) : amin(abs(x), dims, keepdim);
  TF_CHECK(p > 0, InvalidArgument, "norm: p must be positive or +-inf, got ", p);
  return pow_scalar(sum(pow_scalar(abs(x), p), dims, keepdim), 1.0 / p);
}

Tensor cumsum(const Tensor& x0, int64_t dim) {
  int64_t d = wrap_dim(dim, x0.dim());
  Tensor x = contiguous(detach(x0));
  Tensor out = empty(x.shape(), x.dtype());
  if (x.numel() > 0) {
    int64_t O = 1, R = x.dim() ? x.shape()[d] : 1, I = 1;
    for (int64_t k = 0; k < d; ++k) O *= x.shape()[k];
    for (int64_t k = d + 1; k < x.dim(); ++k) I *= x.shape()[k];
    TF_CHECK(current_backend().cumsum(out, x, O, R, I), DType, "cumsum does not support dtype ", dtype_name(x.dtype()));
  }
  if (is_floating(x0.dtype()) && compute_requires_grad({&x0})) {
    auto node = make_node("CumsumBackward", {x0}, [d](FnNode&, const TensorList& g) -> TensorList {
      // reverse cumulative sum: total - cumsum(g) + g
      return {sum(g[0], {d}, true) - cumsum(g[0], d) + g[0]};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&x0}, [&] { return cumsum(tangent(x0), d); });
  return out;
}

}  // namespace tf
