// Binary elementwise ops with NumPy broadcasting and type promotion; comparisons; where.
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

Shape broadcast_shapes(const Shape& a, const Shape& b) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    TF_CHECK(da == db || da == 1 || db == 1, ShapeMismatch, "shapes ", shape_str(a), " and ", shape_str(b),
             " cannot be broadcast together (dimension ", i, ": ", da, " vs ", db, ")");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  int64_t lead = g.dim() - int64_t(shape.size());
  TF_CHECK(lead >= 0, Internal, "sum_to: cannot reduce ", shape_str(g.shape()), " to ", shape_str(shape));
  Dims dims;
  for (int64_t d = 0; d < lead; ++d) dims.push_back(d);
  for (size_t d = 0; d < shape.size(); ++d)
    if (shape[d] == 1 && g.shape()[lead + d] != 1) dims.push_back(lead + int64_t(d));
  Tensor r = dims.empty() ? g : sum(g, dims, true);
  return r.shape() == shape ? r : reshape(r, shape);
}

namespace {

Tensor cast_nograd(const Tensor& t, DType dt) {
  if (t.dtype() == dt) return t;
  GradModeGuard off(false);
  return to_dtype(t, dt);
}

Tensor binary_forward(BinaryOp op, const Tensor& a0, const Tensor& b0, DType compute, DType out_dt) {
  Tensor a = cast_nograd(a0, compute), b = cast_nograd(b0, compute);
  // Operands of the output's shape are read with their own strides: no broadcast vectors to build (a small op
  // pays for each allocation).
  bool same = a.shape() == b.shape();
  Shape bshape = same ? Shape() : broadcast_shapes(a.shape(), b.shape());
  const Shape& shape = same ? a.shape() : bshape;
  Tensor out = empty(shape, out_dt);
  Shape sa_b, sb_b;
  const Shape& sa = a.shape() == shape ? a.strides() : (sa_b = broadcast_strides(a, shape));
  const Shape& sb = b.shape() == shape ? b.strides() : (sb_b = broadcast_strides(b, shape));
  TF_CHECK(current_backend().binary(op, out, {a, sa}, {b, sb}), DType, "this op does not support dtype ",
           dtype_name(compute));
  return out;
}

const char* binary_name(BinaryOp op) {
#define TF_X(E, js, node, ...) #node,
  static const char* const names[] = {TF_BINARY_OPS(TF_X)};
#undef TF_X
  return names[op];
}

}  // namespace

// g * d(a op b)/d(a) (which = 0) or d/d(b) (which = 1), elementwise and unreduced: shared by the backward
// (g = output gradient, then summed to the input's shape) and the tangent rule (g = the input's tangent).
Tensor binary_partial(BinaryOp op, const Tensor& g, const Tensor& x, const Tensor& y, int which) {
  switch (op) {
    case B_ADD: return g;
    case B_SUB: return which == 0 ? g : -g;
    case B_MUL: return g * (which == 0 ? y : x);
    case B_DIV: return which == 0 ? g / y : -(g * x) / (y * y);
    case B_POW: {
      if (which == 0) return g * (y * pow(x, y - 1.0));
      // d/dp x^p = x^p log x, taken as 0 where x <= 0 (the limit at x = 0 for p > 0)
      Tensor pos = gt0(x);
      Tensor safe = where(pos, x, sc(1, x));
      return mask_grad(pos, g * pow(safe, y) * log(safe));
    }
    case B_MAX:
    case B_MIN: {
      Tensor win = compare(op == B_MAX ? B_GT : B_LT, x, y);
      Tensor tie = compare(B_EQ, x, y);
      // ties split the gradient evenly, as in PyTorch
      Tensor share = to_dtype(win, g.dtype()) + to_dtype(tie, g.dtype()) * 0.5;
      return which == 0 ? g * share : g * (1.0 - share);
    }
    default: fail(ErrorCode::Internal, "no derivative for binary op ", int(op));
  }
}

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b) {
  TF_CHECK(a.defined() && b.defined(), InvalidArgument, "binary op on an undefined tensor");
  check_same_device(a, b, "binary op");
  if (is_comparison(op)) return compare(op, a, b);
  DType dt = promote(a.dtype(), b.dtype());
  if ((op == B_DIV || op == B_POW) && !is_floating(dt)) dt = DType::F32;  // true division
  Tensor out = binary_forward(op, a, b, dt, dt);
  bool linear = op == B_ADD || op == B_SUB;
  if (is_floating(dt) && compute_requires_grad({&a, &b})) {
    Shape sa = a.shape(), sb = b.shape();
    DType da = a.dtype(), db = b.dtype();
    auto node = make_node(binary_name(op), {a, b}, [op, sa, sb, da, db, linear](FnNode& n, const TensorList& gs) -> TensorList {
      Tensor x = linear ? Tensor() : n.saved(0), y = linear ? Tensor() : n.saved(1);
      Tensor ga = n.needs_input_grad(0) ? reduce_grad(binary_partial(op, gs[0], x, y, 0), sa, da) : Tensor();
      Tensor gb = n.needs_input_grad(1) ? reduce_grad(binary_partial(op, gs[0], x, y, 1), sb, db) : Tensor();
      return {ga, gb};
    });
    if (!linear) { node->save(a); node->save(b); }
    set_history(out, node);
  }
  jvp_rule(out, {&a, &b}, [&] {
    Tensor ta = tangent(a), tb = tangent(b), t;
    if (ta.defined()) t = binary_partial(op, ta, a, b, 0);
    if (tb.defined()) { Tensor u = binary_partial(op, tb, a, b, 1); t = t.defined() ? t + u : u; }
    return t;
  });
  return out;
}

Tensor compare(BinaryOp op, const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "comparison");
  DType dt = promote(a.dtype(), b.dtype());
  return binary_forward(op, a, b, dt, DType::U8);
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(B_ADD, a, b); }
Tensor sub(const Tensor& a, const Tensor& b) { return binary(B_SUB, a, b); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(B_MUL, a, b); }
Tensor div(const Tensor& a, const Tensor& b) { return binary(B_DIV, a, b); }
Tensor pow(const Tensor& a, const Tensor& b) { return binary(B_POW, a, b); }
Tensor maximum(const Tensor& a, const Tensor& b) { return binary(B_MAX, a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return binary(B_MIN, a, b); }
Tensor mul_scalar(const Tensor& a, double s) { return mul(a, scalar_tensor(s, a.dtype())); }
Tensor add_scalar(const Tensor& a, double s) { return add(a, scalar_tensor(s, a.dtype())); }

Tensor where(const Tensor& cond0, const Tensor& a0, const Tensor& b0) {
  check_same_device(a0, b0, "where");
  check_same_device(cond0, a0, "where");
  Tensor cond = cast_nograd(cond0, DType::U8);
  if (cond0.dtype() != DType::U8) {
    GradModeGuard off(false);
    cond = compare(B_NE, cond0, scalar_tensor(0, cond0.dtype()));
  }
  DType dt = promote(a0.dtype(), b0.dtype());
  Tensor a = cast_nograd(a0, dt), b = cast_nograd(b0, dt);
  Shape shape = broadcast_shapes(broadcast_shapes(cond.shape(), a.shape()), b.shape());
  Tensor out = empty(shape, dt);
  Shape sc_ = broadcast_strides(cond, shape), sa = broadcast_strides(a, shape), sb = broadcast_strides(b, shape);
  TF_CHECK(current_backend().where(out, {cond, sc_}, {a, sa}, {b, sb}), DType, "where does not support dtype ",
           dtype_name(dt));
  if (is_floating(dt) && compute_requires_grad({&a0, &b0})) {
    Shape sa0 = a0.shape(), sb0 = b0.shape();
    DType da = a0.dtype(), db = b0.dtype();
    auto node = make_node("WhereBackward", {a0, b0}, [sa0, sb0, da, db](FnNode& n, const TensorList& g) -> TensorList {
      Tensor c = n.saved(0);
      Tensor zero = sc(0, g[0]);
      Tensor ga = n.needs_input_grad(0) ? reduce_grad(where(c, g[0], zero), sa0, da) : Tensor();
      Tensor gb = n.needs_input_grad(1) ? reduce_grad(where(c, zero, g[0]), sb0, db) : Tensor();
      return {ga, gb};
    });
    node->save(cond);
    set_history(out, node);
  }
  jvp_rule(out, {&a0, &b0}, [&] {
    Tensor zero = scalar_tensor(0, dt);
    Tensor ta = tangent(a0), tb = tangent(b0);
    return where(cond, ta.defined() ? ta : zero, tb.defined() ? tb : zero);
  });
  return out;
}

}  // namespace tf
