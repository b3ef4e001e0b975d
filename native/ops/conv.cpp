// 2-D convolution: the checks and the rules; the current backend's conv entries run it (host: cpu/host_conv.cpp,
// im2col + GEMM or Winograd). conv2d, its input gradient (the transposed convolution) and its
// weight gradient are three bilinear ops that are each other's derivatives, so every order of reverse and forward
// mode is written with them.
#include "ops.h"
#include "../backend/backend.h"
#include "operators.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {

struct Geom {
  int64_t N, C, H, W, O, kh, kw, Ho, Wo, G, Cg, Og, K;  // K = Cg*kh*kw (GEMM depth), P = Ho*Wo
  int64_t P() const { return Ho * Wo; }
};

Geom geometry(const Shape& xs, const Shape& ws, const Conv2dParams& p, const char* op) {
  TF_CHECK(xs.size() == 4, ShapeMismatch, op, ": input must be [N, C, H, W], got ", shape_str(xs));
  TF_CHECK(ws.size() == 4, ShapeMismatch, op, ": weight must be [O, C/groups, kh, kw], got ", shape_str(ws));
  TF_CHECK(p.groups >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.dil_h >= 1 && p.dil_w >= 1 && p.pad_h >= 0 &&
               p.pad_w >= 0, InvalidArgument, op, ": stride, dilation and groups must be >= 1 and padding >= 0");
  Geom g;
  g.N = xs[0]; g.C = xs[1]; g.H = xs[2]; g.W = xs[3];
  g.O = ws[0]; g.kh = ws[2]; g.kw = ws[3]; g.G = p.groups;
  TF_CHECK(g.C % g.G == 0 && g.O % g.G == 0, ShapeMismatch, op, ": channels (", g.C, " in, ", g.O,
           " out) must be divisible by groups (", g.G, ")");
  g.Cg = g.C / g.G; g.Og = g.O / g.G;
  TF_CHECK(ws[1] == g.Cg, ShapeMismatch, op, ": weight ", shape_str(ws), " expects ", ws[1] * g.G,
           " input channels, the input has ", g.C);
  int64_t eh = (g.kh - 1) * p.dil_h + 1, ew = (g.kw - 1) * p.dil_w + 1;
  TF_CHECK(g.H + 2 * p.pad_h >= eh && g.W + 2 * p.pad_w >= ew, ShapeMismatch, op, ": kernel (", g.kh, "x", g.kw,
           ", dilation ", p.dil_h, "x", p.dil_w, ") is larger than the padded input (", g.H + 2 * p.pad_h, "x",
           g.W + 2 * p.pad_w, ")");
  g.Ho = (g.H + 2 * p.pad_h - eh) / p.stride_h + 1;
  g.Wo = (g.W + 2 * p.pad_w - ew) / p.stride_w + 1;
  g.K = g.Cg * g.kh * g.kw;
  return g;
}

void check_conv_dtypes(const Tensor& a, const Tensor& b, const char* op) {
  check_same_device(a, b, op);
  TF_CHECK(is_floating(a.dtype()) && a.dtype() == b.dtype(), DType, op, ": needs two float32 or two float64 tensors, got ",
           dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
}

// The backend entries, on contiguous operands, into a new output
Tensor conv_forward(const Tensor& x0, const Tensor& w0, const Geom& g, const Conv2dParams& p,
                    const Tensor& bias0 = Tensor()) {
  Tensor x = contiguous(detach(x0)), w = contiguous(detach(w0));
  Tensor bias = bias0.defined() ? contiguous(detach(bias0)) : Tensor();
  Tensor y = empty({g.N, g.O, g.Ho, g.Wo}, x.dtype());
  TF_CHECK(current_backend().conv2d(y, x, w, bias.defined() ? &bias : nullptr, p), DType, "conv2d: no kernel for ",
           dtype_name(x.dtype()), " on device '", current_backend().name, "'");
  return y;
}

Tensor conv_input_grad(const Tensor& gy0, const Tensor& w0, const Geom& g, const Conv2dParams& p) {
  Tensor gy = contiguous(detach(gy0)), w = contiguous(detach(w0));
  Tensor dx = empty({g.N, g.C, g.H, g.W}, gy.dtype());
  TF_CHECK(current_backend().conv2d_input_grad(dx, gy, w, p), DType, "conv2dInputGrad: no kernel for ",
           dtype_name(gy.dtype()), " on device '", current_backend().name, "'");
  return dx;
}

Tensor conv_weight_grad(const Tensor& x0, const Tensor& gy0, const Geom& g, const Conv2dParams& p) {
  Tensor x = contiguous(detach(x0)), gy = contiguous(detach(gy0));
  Tensor dw = empty({g.O, g.Cg, g.kh, g.kw}, x.dtype());
  TF_CHECK(current_backend().conv2d_weight_grad(dw, x, gy, p), DType, "conv2dWeightGrad: no kernel for ",
           dtype_name(x.dtype()), " on device '", current_backend().name, "'");
  return dw;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  check_conv_dtypes(x, w, "conv2d");
  Geom g = geometry(x.shape(), w.shape(), p, "conv2d");
  Tensor y = conv_forward(x, w, g, p);
  if (compute_requires_grad({&x, &w})) {
    Shape xs = x.shape(), ws = w.shape();
    auto node = make_node("Conv2dBackward", {x, w}, [xs, ws, p](FnNode& n, const TensorList& gr) -> TensorList {
      Tensor gx = n.needs_input_grad(0) ? conv2d_input_grad(gr[0], n.saved(1), xs, p) : Tensor();
      Tensor gw = n.needs_input_grad(1) ? conv2d_weight_grad(n.saved(0), gr[0], ws, p) : Tensor();
      return {gx, gw};
    });
    node->save(x);
    node->save(w);
    set_history(y, node);
  }
  jvp_rule(y, {&x, &w}, [&] {
    return bilinear_tangent(x, w, [&](const Tensor& a, const Tensor& b) { return conv2d(a, b, p); });
  });
  return y;
}

Tensor conv2d(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& bias) {
  if (!bias.defined()) return conv2d(x, w, p);
  check_conv_dtypes(x, bias, "conv2d bias");
  TF_CHECK(w.dim() >= 1 && bias.dim() == 1 && bias.size(0) == w.size(0), ShapeMismatch, "conv2d: bias must be [",
           w.dim() >= 1 ? w.size(0) : 0, "] (one per output channel), got ", shape_str(bias.shape()));
  // The fused epilogue has no derivative rule of its own: when anything is differentiated, in either mode, the
  // bias is the broadcast add it stands for, recorded like any other op.
  if (compute_requires_grad({&x, &w, &bias}) || has_tangent({&x, &w, &bias}))
    return add(conv2d(x, w, p), reshape(bias, {1, bias.size(0), 1, 1}));
  check_conv_dtypes(x, w, "conv2d");
  Geom g = geometry(x.shape(), w.shape(), p, "conv2d");
  return conv_forward(x, w, g, p, bias);
}

Tensor conv2d_input_grad(const Tensor& gy, const Tensor& w, const Shape& x_shape, const Conv2dParams& p) {
  check_conv_dtypes(gy, w, "conv2dInputGrad");
  Geom g = geometry(x_shape, w.shape(), p, "conv2dInputGrad");
  TF_CHECK(gy.shape() == Shape({g.N, g.O, g.Ho, g.Wo}), ShapeMismatch, "conv2dInputGrad: gradient has shape ",
           shape_str(gy.shape()), ", expected ", shape_str({g.N, g.O, g.Ho, g.Wo}));
  Tensor dx = conv_input_grad(gy, w, g, p);
  if (compute_requires_grad({&gy, &w})) {
    Shape ws = w.shape();
    auto node = make_node("Conv2dInputGradBackward", {gy, w}, [ws, p](FnNode& n, const TensorList& gr) -> TensorList {
      Tensor ggy = n.needs_input_grad(0) ? conv2d(gr[0], n.saved(1), p) : Tensor();
      Tensor gw = n.needs_input_grad(1) ? conv2d_weight_grad(gr[0], n.saved(0), ws, p) : Tensor();
      return {ggy, gw};
    });
    node->save(gy);
    node->save(w);
    set_history(dx, node);
  }
  jvp_rule(dx, {&gy, &w}, [&] {
    return bilinear_tangent(gy, w, [&](const Tensor& a, const Tensor& b) { return conv2d_input_grad(a, b, x_shape, p); });
  });
  return dx;
}

Tensor conv2d_weight_grad(const Tensor& x, const Tensor& gy, const Shape& w_shape, const Conv2dParams& p) {
  check_conv_dtypes(x, gy, "conv2dWeightGrad");
  Geom g = geometry(x.shape(), w_shape, p, "conv2dWeightGrad");
  TF_CHECK(gy.shape() == Shape({g.N, g.O, g.Ho, g.Wo}), ShapeMismatch, "conv2dWeightGrad: gradient has shape ",
           shape_str(gy.shape()), ", expected ", shape_str({g.N, g.O, g.Ho, g.Wo}));
  Tensor dw = conv_weight_grad(x, gy, g, p);
  if (compute_requires_grad({&x, &gy})) {
    Shape xs = x.shape();
    auto node = make_node("Conv2dWeightGradBackward", {x, gy}, [xs, p](FnNode& n, const TensorList& gr) -> TensorList {
      Tensor gx = n.needs_input_grad(0) ? conv2d_input_grad(n.saved(1), gr[0], xs, p) : Tensor();
      Tensor ggy = n.needs_input_grad(1) ? conv2d(n.saved(0), gr[0], p) : Tensor();
      return {gx, ggy};
    });
    node->save(x);
    node->save(gy);
    set_history(dw, node);
  }
  jvp_rule(dw, {&x, &gy}, [&] {
    return bilinear_tangent(x, gy, [&](const Tensor& a, const Tensor& b) { return conv2d_weight_grad(a, b, w_shape, p); });
  });
  return dw;
}

}  // namespace tf
