// 2-D convolution by im2col + GEMM. conv2d, its input gradient (the transposed convolution) and its weight
// gradient are three bilinear ops that are each other's derivatives, so every order of reverse and forward
// mode is written with them.
#include <vector>
#include "ops.h"
#include "../core/allocator.h"
#include "operators.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"
#include "../cpu/threadpool.h"

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

// cols[k, q] for one image and one group: k = (c, i, j), q = (oh, ow)
template <class T>
void im2col(const T* x, const Geom& g, const Conv2dParams& p, T* cols) {
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        T* row = cols + ((c * g.kh + i) * g.kw + j) * g.P();
        const T* xc = x + c * g.H * g.W;
        for (int64_t oh = 0; oh < g.Ho; ++oh) {
          int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
          T* r = row + oh * g.Wo;
          if (ih < 0 || ih >= g.H) { for (int64_t ow = 0; ow < g.Wo; ++ow) r[ow] = T(0); continue; }
          const T* xr = xc + ih * g.W;
          for (int64_t ow = 0; ow < g.Wo; ++ow) {
            int64_t iw = ow * p.stride_w - p.pad_w + j * p.dil_w;
            r[ow] = iw >= 0 && iw < g.W ? xr[iw] : T(0);
          }
        }
      }
}

template <class T>
void col2im_add(const T* cols, const Geom& g, const Conv2dParams& p, T* x) {
  for (int64_t c = 0; c < g.Cg; ++c)
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const T* row = cols + ((c * g.kh + i) * g.kw + j) * g.P();
        T* xc = x + c * g.H * g.W;
        for (int64_t oh = 0; oh < g.Ho; ++oh) {
          int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
          if (ih < 0 || ih >= g.H) continue;
          const T* r = row + oh * g.Wo;
          T* xr = xc + ih * g.W;
          for (int64_t ow = 0; ow < g.Wo; ++ow) {
            int64_t iw = ow * p.stride_w - p.pad_w + j * p.dil_w;
            if (iw >= 0 && iw < g.W) xr[iw] += r[ow];
          }
        }
      }
}

void check_conv_dtypes(const Tensor& a, const Tensor& b, const char* op) {
  check_same_device(a, b, op);
  TF_CHECK(is_floating(a.dtype()) && a.dtype() == b.dtype(), DType, op, ": needs two float32 or two float64 tensors, got ",
           dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
}

// y = conv(x, w), raw
Tensor conv_forward(const Tensor& x0, const Tensor& w0, const Geom& g, const Conv2dParams& p) {
  Tensor x = contiguous(detach(x0)), w = contiguous(detach(w0));
  Tensor y = empty({g.N, g.O, g.Ho, g.Wo}, x.dtype());
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    const T* wp = w.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    parallel_for(0, g.N * g.G, 1, [&](int64_t lo, int64_t hi) {
      alloc::Scratch colbuf(sizeof(T) * size_t(g.K * g.P()));
      T* cols = colbuf.as<T>();
      for (int64_t t = lo; t < hi; ++t) {
        int64_t n = t / g.G, gr = t % g.G;
        im2col(xp + (n * g.C + gr * g.Cg) * g.H * g.W, g, p, cols);
        gemm_into(x.dtype(), g.Og, g.P(), g.K, reinterpret_cast<const char*>(wp + gr * g.Og * g.K), g.K, 1,
                  reinterpret_cast<const char*>(cols), g.P(), 1,
                  reinterpret_cast<char*>(yp + (n * g.O + gr * g.Og) * g.P()), g.P(), false);
      }
    });
  });
  return y;
}

// dx = conv^T(gy, w), raw
Tensor conv_input_grad(const Tensor& gy0, const Tensor& w0, const Geom& g, const Conv2dParams& p) {
  Tensor gy = contiguous(detach(gy0)), w = contiguous(detach(w0));
  Tensor dx = zeros({g.N, g.C, g.H, g.W}, gy.dtype());
  TF_DISPATCH_FLOAT(gy.dtype(), T, {
    const T* gp = gy.data_ptr<T>();
    const T* wp = w.data_ptr<T>();
    T* dp = dx.data_ptr<T>();
    parallel_for(0, g.N * g.G, 1, [&](int64_t lo, int64_t hi) {
      alloc::Scratch colbuf(sizeof(T) * size_t(g.K * g.P()));
      T* cols = colbuf.as<T>();
      for (int64_t t = lo; t < hi; ++t) {
        int64_t n = t / g.G, gr = t % g.G;
        // cols [K, P] = W_g^T [K, Og] @ gy [Og, P]
        gemm_into(gy.dtype(), g.K, g.P(), g.Og, reinterpret_cast<const char*>(wp + gr * g.Og * g.K), 1, g.K,
                  reinterpret_cast<const char*>(gp + (n * g.O + gr * g.Og) * g.P()), g.P(), 1,
                  reinterpret_cast<char*>(cols), g.P(), false);
        col2im_add(cols, g, p, dp + (n * g.C + gr * g.Cg) * g.H * g.W);
      }
    });
  });
  return dx;
}

// dw = sum_n gy_n @ cols_n^T, raw
Tensor conv_weight_grad(const Tensor& x0, const Tensor& gy0, const Geom& g, const Conv2dParams& p) {
  Tensor x = contiguous(detach(x0)), gy = contiguous(detach(gy0));
  Tensor dw = zeros({g.O, g.Cg, g.kh, g.kw}, x.dtype());
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    const T* gp = gy.data_ptr<T>();
    T* dp = dw.data_ptr<T>();
    // groups write disjoint slices of dw: parallel over groups; images accumulate in order within a group
    parallel_for(0, g.G, 1, [&](int64_t lo, int64_t hi) {
      alloc::Scratch colbuf(sizeof(T) * size_t(g.K * g.P()));
      T* cols = colbuf.as<T>();
      for (int64_t gr = lo; gr < hi; ++gr)
        for (int64_t n = 0; n < g.N; ++n) {
          im2col(xp + (n * g.C + gr * g.Cg) * g.H * g.W, g, p, cols);
          // dW_g [Og, K] += gy [Og, P] @ cols^T [P, K]
          gemm_into(x.dtype(), g.Og, g.K, g.P(), reinterpret_cast<const char*>(gp + (n * g.O + gr * g.Og) * g.P()),
                    g.P(), 1, reinterpret_cast<const char*>(cols), 1, g.P(),
                    reinterpret_cast<char*>(dp + gr * g.Og * g.K), g.K, true);
        }
    });
  });
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
