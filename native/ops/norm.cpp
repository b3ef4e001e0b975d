// GroupNorm as one native op (the checks and rules here; the kernels are the backend's group_norm entries, host:
// cpu/host_norm.cpp): a fused forward (statistics and affine in one pass per group), a fused
// first-order backward and a fused tangent (forward mode). Where a fused kernel has no rule of its own — the backward of the backward, and
// forward mode — it falls back to the composite definition written with engine ops, which is exact to
// every order (and says so once when TENSORFIELD_DEBUG is set).
#include <cmath>
#include "ops.h"
#include "../backend/backend.h"
#include "operators.h"
#include "../autograd/node.h"
#include "../autograd/composite.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {

Shape affine_shape(const Tensor& x) {
  Shape s(size_t(x.dim()), 1);
  s[1] = x.shape()[1];
  return s;
}

}  // namespace

// The definition, in ops: differentiable to any order, and the reference the fused kernels are tested against.
Tensor group_norm_composite(const Tensor& x, int64_t G, const Tensor& w, const Tensor& b, double eps) {
  int64_t N = x.shape()[0];
  Tensor g = reshape(x, {N, G, -1});
  Tensor y = reshape((g - mean(g, {2}, true)) * rsqrt(var(g, {2}, 0.0, true) + eps), x.shape());
  if (w.defined()) y = y * reshape(w, affine_shape(x));
  if (b.defined()) y = y + reshape(b, affine_shape(x));
  return y;
}

namespace {
// fuse_silu (group_norm_silu only, when no tangent is carried): SiLU applied to each channel row as written, and
// the backward recomputes the pre-activation from the statistics instead of saving it
Tensor group_norm_impl(const Tensor& x0, int64_t G, const Tensor& w, const Tensor& b, double eps, bool fuse_silu);
}  // namespace

Tensor group_norm(const Tensor& x0, int64_t G, const Tensor& w, const Tensor& b, double eps) {
  return group_norm_impl(x0, G, w, b, eps, false);
}

Tensor group_norm_silu(const Tensor& x, int64_t G, const Tensor& w, const Tensor& b, double eps) {
  // Fused, forward and first-order backward: one pass writes SiLU's output (nothing else is saved), and one
  // backward turns the gradient of SiLU's output into dx, dw, db (a training step's GroupNorm + SiLU pairs spent
  // more time in SiLU's backward, six elementwise ops, than in the norm). Carrying a tangent: the two ops, each
  // with its own rules; a backward that builds a graph differentiates the composite definition.
  if (forward_ad_active() && has_tangent({&x, &w, &b})) return silu(group_norm(x, G, w, b, eps));
  return group_norm_impl(x, G, w, b, eps, true);
}

namespace {

Tensor group_norm_impl(const Tensor& x0, int64_t G, const Tensor& w, const Tensor& b, double eps, bool fuse_silu) {
  TF_CHECK(x0.dim() >= 2, ShapeMismatch, "groupNorm: input must be [N, C, ...], got ", shape_str(x0.shape()));
  check_float(x0, "groupNorm");
  int64_t N = x0.shape()[0], C = x0.shape()[1];
  TF_CHECK(G >= 1 && C % G == 0, ShapeMismatch, "groupNorm: ", C, " channels are not divisible into ", G, " groups");
  for (const Tensor* p : {&w, &b})
    if (p->defined()) {
      TF_CHECK(p->shape() == Shape{C}, ShapeMismatch, "groupNorm: weight/bias must have shape [", C, "], got ", shape_str(p->shape()));
      TF_CHECK(p->dtype() == x0.dtype(), DType, "groupNorm: weight/bias dtype differs from the input's");
    }
  TF_CHECK(eps >= 0, InvalidArgument, "groupNorm: eps must be non-negative");
  Tensor x = contiguous(detach(x0));
  Tensor y = empty(x.shape(), x.dtype()), stats = empty({N, G, 2}, x.dtype());  // mean, rstd
  Tensor wc = w.defined() ? contiguous(detach(w)) : Tensor(), bc = b.defined() ? contiguous(detach(b)) : Tensor();
  current_backend().group_norm(y, stats, x, G, wc.defined() ? &wc : nullptr, bc.defined() ? &bc : nullptr, eps,
                               fuse_silu, nullptr, nullptr, nullptr, nullptr);
  TensorList inputs{x0, w, b};
  if (compute_requires_grad(inputs)) {
    Shape xs = x0.shape();
    bool has_w = w.defined(), has_b = b.defined();
    const char* name = fuse_silu ? "GroupNormSiluBackward" : "GroupNormBackward";
    auto node = make_node(name, inputs, [G, eps, C, xs, has_w, has_b, fuse_silu](FnNode& n, const TensorList& gr) -> TensorList {
      Tensor xin = n.saved(0), st = n.saved(1);
      Tensor win = has_w ? n.saved(2) : Tensor(), bin = has_b ? n.saved(has_w ? 3 : 2) : Tensor();
      if (GradMode::enabled())  // createGraph: differentiate the composite definition
        return composite_vjp(n, {xin, win, bin}, gr[0], [&] {
          Tensor y = group_norm_composite(xin, G, win, bin, eps);
          return fuse_silu ? silu(y) : y;
        }, fuse_silu ? "group_norm_silu" : "group_norm");
      Tensor go = contiguous(gr[0]), xc = contiguous(xin), wc = has_w ? contiguous(win) : Tensor();
      Tensor bc = has_b ? contiguous(bin) : Tensor();
      Tensor dx = empty(xs, go.dtype());
      Tensor dw = has_w && n.needs_input_grad(1) ? empty({C}, go.dtype()) : Tensor();
      Tensor db = has_b && n.needs_input_grad(2) ? empty({C}, go.dtype()) : Tensor();
      current_backend().group_norm_backward(dx, dw.defined() ? &dw : nullptr, db.defined() ? &db : nullptr, go, xc, st,
                                            G, has_w ? &wc : nullptr, has_b ? &bc : nullptr, fuse_silu);
      return {n.needs_input_grad(0) ? dx : Tensor(), dw, db};
    });
    node->save(x0);
    node->save(stats);
    if (w.defined()) node->save(w);
    if (b.defined()) node->save(b);
    set_history(y, node);
  }
  if (has_tangent(inputs)) {
    TF_CHECK(!fuse_silu, Internal, "groupNormSilu: a tangent reached the fused op (group_norm_silu routes it to the two ops)");
    Tensor tx = tangent(x0), tw = tangent(w), tb = tangent(b);
    bool reverse_through = GradMode::enabled() && (x0.requires_grad() || (w.defined() && w.requires_grad()) ||
                                                   (b.defined() && b.requires_grad()) || (tx.defined() && tx.requires_grad()) ||
                                                   (tw.defined() && tw.requires_grad()) || (tb.defined() && tb.requires_grad()));
    if (reverse_through) {
      // the tangent must itself be differentiable: use the composite definition
      composite_jvp(y, inputs, [&] { return group_norm_composite(x0, G, w, b, eps); }, "group_norm");
    } else {
      // fused tangent (the entry's formula), from the forward's statistics
      Tensor txc = tx.defined() ? contiguous(tx) : Tensor();
      Tensor twc = tw.defined() ? contiguous(tw) : Tensor(), tbc = tb.defined() ? contiguous(tb) : Tensor();
      Tensor wc = w.defined() ? contiguous(detach(w)) : Tensor();
      Tensor dy = empty(x.shape(), x.dtype());
      auto opt = [](const Tensor& t) { return t.defined() ? &t : nullptr; };
      current_backend().group_norm_tangent(dy, x, stats, G, opt(wc), opt(txc), opt(twc), opt(tbc));
      set_tangent(y, dy);
    }
  }
  return y;
}

}  // namespace

namespace {

// The checks of the one-pass entries below (the ops one by one check their own); ft: the arithmetic's type.
void check_fused(const char* op, const Tensor& x, DType ft, int64_t G, const Tensor& w, const Tensor& b, double eps) {
  const int64_t C = x.shape()[1];
  TF_CHECK(G >= 1 && C % G == 0, ShapeMismatch, op, ": ", C, " channels are not divisible into ", G, " groups");
  for (const Tensor* p : {&w, &b})
    if (p->defined()) {
      TF_CHECK(p->shape() == Shape{C}, ShapeMismatch, op, ": weight/bias must have shape [", C, "], got ", shape_str(p->shape()));
      TF_CHECK(p->dtype() == ft, DType, op, ": weight/bias dtype differs from the input's");
      TF_CHECK(p->device() == x.device(), InvalidArgument, op, ": weight/bias on another device than the input");
    }
  TF_CHECK(eps >= 0, InvalidArgument, op, ": eps must be non-negative");
}

void check_modulation(const char* op, const Tensor& x, const Tensor& scale, const Tensor& shift, DType ft) {
  const int64_t N = x.shape()[0], C = x.shape()[1];
  TF_CHECK(scale.defined() && shift.defined(), InvalidArgument, op, ": modulation needs both scale and shift");
  for (const Tensor* p : {&scale, &shift}) {
    TF_CHECK((p->shape() == Shape{N, C}), ShapeMismatch, op, ": modulation scale/shift must have shape [", N, ", ", C,
             "], got ", shape_str(p->shape()));
    TF_CHECK(p->dtype() == ft, DType, op, ": modulation dtype differs from the input's");
    TF_CHECK(p->device() == x.device(), InvalidArgument, op, ": modulation on another device than the input");
  }
}

}  // namespace

Tensor group_norm_modulated(const Tensor& x, int64_t G, const Tensor& w, const Tensor& b, double eps,
                            const Tensor& scale, const Tensor& shift, bool with_silu, bool composite) {
  const char* op = "groupNorm";
  TF_CHECK(x.dim() >= 2, ShapeMismatch, op, ": input must be [N, C, ...], got ", shape_str(x.shape()));
  const int64_t N = x.shape()[0], C = x.shape()[1];
  check_modulation(op, x, scale, shift, x.dtype());
  TensorList inputs{x, w, b, scale, shift};
  if (composite || compute_requires_grad(inputs) || has_tangent(inputs)) {
    // the ops one by one (a gradient or tangent goes through them): norm, * scale + shift per sample and channel
    Shape cs{N, C};
    for (int64_t d = 2; d < x.dim(); ++d) cs.push_back(1);
    Tensor y = (composite ? group_norm_composite(x, G, w, b, eps) : group_norm(x, G, w, b, eps)) * reshape(scale, cs) +
               reshape(shift, cs);
    return with_silu ? silu(y) : y;
  }
  check_float(x, op);
  check_fused(op, x, x.dtype(), G, w, b, eps);
  Tensor xc = contiguous(x), sc = contiguous(scale), tc = contiguous(shift);
  Tensor y = empty(xc.shape(), xc.dtype()), stats = empty({N, G, 2}, xc.dtype());
  Tensor wc = w.defined() ? contiguous(w) : Tensor(), bc = b.defined() ? contiguous(b) : Tensor();
  current_backend().group_norm(y, stats, xc, G, wc.defined() ? &wc : nullptr, bc.defined() ? &bc : nullptr, eps,
                               with_silu, &sc, &tc, nullptr, nullptr);
  return y;
}

Tensor group_norm_coded(const Tensor& x, int64_t G, const Tensor& w, const Tensor& b, double eps, const Tensor& scale,
                        const Tensor& shift, bool with_silu, const NormCode* in_code, const NormCode* out_code) {
  const char* op = "groupNorm";
  TF_CHECK(x.dim() >= 2, ShapeMismatch, op, ": input must be [N, C, ...], got ", shape_str(x.shape()));
  if (in_code)
    TF_CHECK(x.dtype() == DType::U8, DType, op, ": an input coding goes with uint8 codes, got ", dtype_name(x.dtype()));
  else
    TF_CHECK(x.dtype() == DType::F32, DType, op, ": a uint8-coded output needs a float32 input, got ", dtype_name(x.dtype()));
  const bool modulated = scale.defined() || shift.defined();
  if (modulated) check_modulation(op, x, scale, shift, DType::F32);
  TensorList inputs{x, w, b, scale, shift};
  TF_CHECK(!compute_requires_grad(inputs) && !has_tangent(inputs), InvalidArgument, op,
           ": uint8 codes in or out have no gradient or tangent; run it without gradients (noGrad) or use float32");
  for (const NormCode* c : {in_code, out_code}) {
    if (!c) continue;
    TF_CHECK(std::isfinite(c->scale) && c->scale > 0, InvalidArgument, op, ": a coding's scale must be a positive float32, got ",
             c->scale);
    TF_CHECK(c->zero >= 0 && c->zero <= 255 && c->zero == std::floor(c->zero), InvalidArgument, op,
             ": a coding's zero point must be an integer in [0, 255], got ", c->zero);
  }
  check_fused(op, x, DType::F32, G, w, b, eps);
  const int64_t N = x.shape()[0];
  Tensor xc = contiguous(x), sc = modulated ? contiguous(scale) : Tensor(), tc = modulated ? contiguous(shift) : Tensor();
  Tensor y = empty(xc.shape(), out_code ? DType::U8 : DType::F32), stats = empty({N, G, 2}, DType::F32);
  Tensor wc = w.defined() ? contiguous(w) : Tensor(), bc = b.defined() ? contiguous(b) : Tensor();
  TF_CHECK(current_backend().group_norm(y, stats, xc, G, wc.defined() ? &wc : nullptr, bc.defined() ? &bc : nullptr,
                                        eps, with_silu, modulated ? &sc : nullptr, modulated ? &tc : nullptr, out_code,
                                        in_code),
           Device, op, ": uint8 codes in or out are not available on this device");
  return y;
}

Tensor group_norm_op(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps, bool with_silu,
                     bool composite) {
  if (with_silu) return composite ? silu(group_norm_composite(x, groups, weight, bias, eps)) : group_norm_silu(x, groups, weight, bias, eps);
  return composite ? group_norm_composite(x, groups, weight, bias, eps) : group_norm(x, groups, weight, bias, eps);
}

}  // namespace tf
