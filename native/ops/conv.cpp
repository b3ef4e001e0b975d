// 2-D convolution by im2col + GEMM (channels last inside, see im2row), or by Winograd F(2x2, 3x3) where it applies
// (conv_winograd.cpp: 3x3, stride 1, float32). conv2d, its input gradient (the transposed convolution) and its
// weight gradient are three bilinear ops that are each other's derivatives, so every order of reverse and forward
// mode is written with them.
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>
#include <xmmintrin.h>
#include "ops.h"
#include "conv_winograd.h"
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

// Channels-last inside: each image's input is transposed to [H*W, C] once, so an im2col row (one output pixel) is
// kh*kw runs of Cg contiguous values, copied with memcpy, in the order k = (i, j, c). The GEMMs then run with the
// output pixels as rows (M = P, large) and the channels as columns, which keeps every micro-tile full for the
// channel counts of a diffusion U-Net and leaves no strided gather to the packing routines.

// Transposes of one image between [C, HW] and [HW, C]: src [R, S] -> dst [S, R]. float32 goes through 4x4 SSE
// transposes (SSE2 is baseline x86-64); edges and float64 element by element.
template <class T>
void transpose(const T* src, int64_t R, int64_t S, T* dst) {
  int64_t r0 = 0;
  if constexpr (std::is_same<T, float>::value) {
    for (; r0 + 4 <= R; r0 += 4) {
      int64_t s0 = 0;
      for (; s0 + 4 <= S; s0 += 4) {
        __m128 a = _mm_loadu_ps(src + r0 * S + s0), b = _mm_loadu_ps(src + (r0 + 1) * S + s0);
        __m128 c = _mm_loadu_ps(src + (r0 + 2) * S + s0), d = _mm_loadu_ps(src + (r0 + 3) * S + s0);
        _MM_TRANSPOSE4_PS(a, b, c, d);
        _mm_storeu_ps(dst + s0 * R + r0, a);
        _mm_storeu_ps(dst + (s0 + 1) * R + r0, b);
        _mm_storeu_ps(dst + (s0 + 2) * R + r0, c);
        _mm_storeu_ps(dst + (s0 + 3) * R + r0, d);
      }
      for (; s0 < S; ++s0)
        for (int64_t r = r0; r < r0 + 4; ++r) dst[s0 * R + r] = src[r * S + s0];
    }
  }
  for (; r0 < R; ++r0)
    for (int64_t s0 = 0; s0 < S; ++s0) dst[s0 * R + r0] = src[r0 * S + s0];
}
// x [C, HW] -> xt [HW, C] (one image)
template <class T>
void to_channels_last(const T* x, int64_t C, int64_t HW, T* xt) { transpose(x, C, HW, xt); }
// xt [HW, C] -> x [C, HW] (one image)
template <class T>
void to_channels_first(const T* xt, int64_t C, int64_t HW, T* x) { transpose(xt, HW, C, x); }

// rows[p, (i, j, c)] for one image and group: xt is [HW, C] channels last, group gr's channels start at gr * Cg
template <class T>
void im2row(const T* xt, const Geom& g, const Conv2dParams& p, int64_t gr, T* rows) {
  for (int64_t oh = 0; oh < g.Ho; ++oh)
    for (int64_t ow = 0; ow < g.Wo; ++ow) {
      T* r = rows + (oh * g.Wo + ow) * g.K;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
        for (int64_t j = 0; j < g.kw; ++j, r += g.Cg) {
          const int64_t iw = ow * p.stride_w - p.pad_w + j * p.dil_w;
          const bool in = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
          if (g.Cg >= 8) {
            if (in) std::memcpy(r, xt + (ih * g.W + iw) * g.C + gr * g.Cg, sizeof(T) * size_t(g.Cg));
            else std::memset(r, 0, sizeof(T) * size_t(g.Cg));
          } else {  // a few channels (an image's first layer): a library call per run costs more than the copy
            const T* src = xt + (in ? (ih * g.W + iw) * g.C + gr * g.Cg : 0);
            for (int64_t c = 0; c < g.Cg; ++c) r[c] = in ? src[c] : T(0);
          }
        }
      }
    }
}
// the adjoint of im2row: dxt[pixel, group channels] += rows[p, (i, j, c)]
template <class T>
void row2im_add(const T* rows, const Geom& g, const Conv2dParams& p, int64_t gr, T* dxt) {
  for (int64_t oh = 0; oh < g.Ho; ++oh)
    for (int64_t ow = 0; ow < g.Wo; ++ow) {
      const T* r = rows + (oh * g.Wo + ow) * g.K;
      for (int64_t i = 0; i < g.kh; ++i) {
        const int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
        for (int64_t j = 0; j < g.kw; ++j, r += g.Cg) {
          const int64_t iw = ow * p.stride_w - p.pad_w + j * p.dil_w;
          if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
          T* d = dxt + (ih * g.W + iw) * g.C + gr * g.Cg;
          for (int64_t c = 0; c < g.Cg; ++c) d[c] += r[c];
        }
      }
    }
}

// sum_k a[k] b[k] with eight partial sums (the order is fixed, so results do not depend on threads)
template <class T>
T dot(const T* a, const T* b, int64_t n) {
  T s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t k = 0;
  for (; k + 8 <= n; k += 8)
    for (int u = 0; u < 8; ++u) s[u] += a[k + u] * b[k + u];
  T t = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; k < n; ++k) t += a[k] * b[k];
  return t;
}

// The weight as a matrix over k = (i, j, c): wm[o, k] (o over all O; group gr uses rows gr*Og..)
template <class T>
void weight_rows(const T* w, const Geom& g, T* wm) {
  for (int64_t o = 0; o < g.O; ++o)
    for (int64_t c = 0; c < g.Cg; ++c)
      for (int64_t i = 0; i < g.kh; ++i)
        for (int64_t j = 0; j < g.kw; ++j) wm[o * g.K + (i * g.kw + j) * g.Cg + c] = w[((o * g.Cg + c) * g.kh + i) * g.kw + j];
}

void check_conv_dtypes(const Tensor& a, const Tensor& b, const char* op) {
  check_same_device(a, b, op);
  TF_CHECK(is_floating(a.dtype()) && a.dtype() == b.dtype(), DType, op, ": needs two float32 or two float64 tensors, got ",
           dtype_name(a.dtype()), " and ", dtype_name(b.dtype()));
}

// Scratch for one image: its input channels last [HW, C], the im2col rows [P, K], and (forward only) the GEMM's
// [P, O] result
template <class T>
struct ImageScratch {
  alloc::Scratch xt, rows, out;
  ImageScratch(const Geom& g, bool with_out)
      : xt(bytes(g.H * g.W * g.C)), rows(bytes(g.P() * g.K)), out(bytes(with_out ? g.P() * g.O : 0)) {}
  static size_t bytes(int64_t elems) { return sizeof(T) * size_t(std::max<int64_t>(elems, 1)); }
};

// y = conv(x, w) (+ bias [O] when defined), raw: per image, rows[P, K] x wm_g^T [K, Og] -> [P, Og], written back
// channels first
Tensor conv_forward(const Tensor& x0, const Tensor& w0, const Geom& g, const Conv2dParams& p,
                    const Tensor& bias0 = Tensor()) {
  Tensor x = contiguous(detach(x0)), w = contiguous(detach(w0));
  Tensor bias = bias0.defined() ? contiguous(detach(bias0)) : Tensor();
  Tensor y = empty({g.N, g.O, g.Ho, g.Wo}, x.dtype());
  const int64_t HW = g.H * g.W, P = g.P();
  if (winograd::applies(x.dtype(), g.C, g.O, g.kh, g.kw, p)) {
    const float* xp = x.data_ptr<float>();
    float* yp = y.data_ptr<float>();
    std::vector<float> U(size_t(16 * g.C * g.O));
    winograd::transform_weight(w.data_ptr<float>(), g.O, g.C, U.data());
    parallel_for(0, g.N, 1, [&](int64_t lo, int64_t hi) {
      alloc::Scratch xs(sizeof(float) * size_t(HW * g.C)), os(sizeof(float) * size_t(P * g.O));
      float* xt = xs.as<float>();
      float* out = os.as<float>();
      for (int64_t n = lo; n < hi; ++n) {
        to_channels_last(xp + n * g.C * HW, g.C, HW, xt);
        winograd::conv_image(xt, g.H, g.W, g.C, g.O, p.pad_h, p.pad_w, U.data(),
                             bias.defined() ? bias.data_ptr<float>() : nullptr, out);
        to_channels_first(out, g.O, P, yp + n * g.O * P);
      }
    });
    return y;
  }
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    std::vector<T> wm(size_t(g.O * g.K));
    weight_rows(w.data_ptr<T>(), g, wm.data());
    parallel_for(0, g.N, 1, [&](int64_t lo, int64_t hi) {
      ImageScratch<T> s(g, true);
      T* xt = s.xt.template as<T>();
      T* rows = s.rows.template as<T>();
      T* out = s.out.template as<T>();
      for (int64_t n = lo; n < hi; ++n) {
        to_channels_last(xp + n * g.C * HW, g.C, HW, xt);
        for (int64_t gr = 0; gr < g.G; ++gr) {
          im2row(xt, g, p, gr, rows);
          const T* wg = wm.data() + gr * g.Og * g.K;
          if (g.Og < 4) {
            // one or a few output channels (an image's last layer): dot products; a GEMM micro-tile would be
            // mostly padding
            for (int64_t q = 0; q < P; ++q)
              for (int64_t o = 0; o < g.Og; ++o) out[q * g.O + gr * g.Og + o] = dot(rows + q * g.K, wg + o * g.K, g.K);
            continue;
          }
          // out[P, O]: group gr's columns gr*Og.. (B = wm_g^T by strides)
          gemm_into(x.dtype(), P, g.Og, g.K, reinterpret_cast<const char*>(rows), g.K, 1,
                    reinterpret_cast<const char*>(wg), 1, g.K, reinterpret_cast<char*>(out + gr * g.Og), g.O, false);
        }
        if (bias.defined()) {
          const T* b = bias.data_ptr<T>();
          for (int64_t q = 0; q < P; ++q)
            for (int64_t o = 0; o < g.O; ++o) out[q * g.O + o] += b[o];
        }
        to_channels_first(out, g.O, P, yp + n * g.O * P);
      }
    });
  });
  return y;
}

// dx = conv^T(gy, w), raw: per image, rows[P, K] = gy^T [P, Og] x wm_g [Og, K], then added back into the input
// positions (channels last) and transposed
Tensor conv_input_grad(const Tensor& gy0, const Tensor& w0, const Geom& g, const Conv2dParams& p) {
  Tensor gy = contiguous(detach(gy0)), w = contiguous(detach(w0));
  // Stride 1, no dilation, one group: the transposed convolution is the convolution of gy with the kernel flipped
  // in space and its channel axes swapped, padded by kh-1-pad. That GEMM has depth O*kh*kw instead of O, and there
  // is no scatter-add back into the input.
  if (g.G == 1 && p.stride_h == 1 && p.stride_w == 1 && p.dil_h == 1 && p.dil_w == 1 && p.pad_h <= g.kh - 1 &&
      p.pad_w <= g.kw - 1) {
    Tensor wf = empty({g.C, g.O, g.kh, g.kw}, w.dtype());
    TF_DISPATCH_FLOAT(w.dtype(), T, {
      const T* src = w.data_ptr<T>();
      T* dst = wf.data_ptr<T>();
      for (int64_t o = 0; o < g.O; ++o)
        for (int64_t c = 0; c < g.C; ++c)
          for (int64_t i = 0; i < g.kh; ++i)
            for (int64_t j = 0; j < g.kw; ++j)
              dst[((c * g.O + o) * g.kh + (g.kh - 1 - i)) * g.kw + (g.kw - 1 - j)] = src[((o * g.C + c) * g.kh + i) * g.kw + j];
    });
    Conv2dParams q = p;
    q.pad_h = g.kh - 1 - p.pad_h;
    q.pad_w = g.kw - 1 - p.pad_w;
    return conv_forward(gy, wf, geometry(gy.shape(), wf.shape(), q, "conv2dInputGrad"), q);
  }
  Tensor dx = empty({g.N, g.C, g.H, g.W}, gy.dtype());
  TF_DISPATCH_FLOAT(gy.dtype(), T, {
    const T* gp = gy.data_ptr<T>();
    T* dp = dx.data_ptr<T>();
    std::vector<T> wm(size_t(g.O * g.K));
    weight_rows(w.data_ptr<T>(), g, wm.data());
    const int64_t HW = g.H * g.W, P = g.P();
    parallel_for(0, g.N, 1, [&](int64_t lo, int64_t hi) {
      ImageScratch<T> s(g, false);
      T* dxt = s.xt.template as<T>();
      T* rows = s.rows.template as<T>();
      for (int64_t n = lo; n < hi; ++n) {
        std::memset(dxt, 0, sizeof(T) * size_t(HW * g.C));
        for (int64_t gr = 0; gr < g.G; ++gr) {
          // A = gy_n^T restricted to group gr: A[p, o] = gy[n, gr*Og + o, p]
          gemm_into(gy.dtype(), P, g.K, g.Og, reinterpret_cast<const char*>(gp + (n * g.O + gr * g.Og) * P), 1, P,
                    reinterpret_cast<const char*>(wm.data() + gr * g.Og * g.K), g.K, 1,
                    reinterpret_cast<char*>(rows), g.K, false);
          row2im_add(rows, g, p, gr, dxt);
        }
        to_channels_first(dxt, g.C, HW, dp + n * g.C * HW);
      }
    });
  });
  return dx;
}

// dw = sum_n gy_n @ rows_n, raw: dwm_g [Og, K] += gy_n,g [Og, P] x rows [P, K], images in order (deterministic),
// the GEMM itself split across the pool; then back from k = (i, j, c) to [O, Cg, kh, kw]
Tensor conv_weight_grad(const Tensor& x0, const Tensor& gy0, const Geom& g, const Conv2dParams& p) {
  Tensor x = contiguous(detach(x0)), gy = contiguous(detach(gy0));
  Tensor dw = empty({g.O, g.Cg, g.kh, g.kw}, x.dtype());
  if (winograd::applies(x.dtype(), g.C, g.O, g.kh, g.kw, p)) {
    const int64_t HW = g.H * g.W, P = g.P();
    std::vector<float> dU(size_t(16 * g.C * g.O), 0.0f);
    alloc::Scratch xs(sizeof(float) * size_t(HW * g.C)), ys(sizeof(float) * size_t(P * g.O));
    for (int64_t n = 0; n < g.N; ++n) {
      to_channels_last(x.data_ptr<float>() + n * g.C * HW, g.C, HW, xs.as<float>());
      to_channels_last(gy.data_ptr<float>() + n * g.O * P, g.O, P, ys.as<float>());
      winograd::weight_grad_image(xs.as<float>(), ys.as<float>(), g.H, g.W, g.C, g.O, p.pad_h, p.pad_w, dU.data());
    }
    winograd::weight_from_transformed(dU.data(), g.O, g.C, dw.data_ptr<float>());
    return dw;
  }
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    const T* gp = gy.data_ptr<T>();
    const int64_t HW = g.H * g.W, P = g.P();
    std::vector<T> dwm(size_t(g.O * g.K), T(0));
    ImageScratch<T> s(g, false);
    T* xt = s.xt.template as<T>();
    T* rows = s.rows.template as<T>();
    for (int64_t n = 0; n < g.N; ++n) {
      to_channels_last(xp + n * g.C * HW, g.C, HW, xt);
      for (int64_t gr = 0; gr < g.G; ++gr) {
        im2row(xt, g, p, gr, rows);
        gemm_into(x.dtype(), g.Og, g.K, P, reinterpret_cast<const char*>(gp + (n * g.O + gr * g.Og) * P), P, 1,
                  reinterpret_cast<const char*>(rows), g.K, 1, reinterpret_cast<char*>(dwm.data() + gr * g.Og * g.K),
                  g.K, true);
      }
    }
    T* d = dw.data_ptr<T>();
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t c = 0; c < g.Cg; ++c)
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) d[((o * g.Cg + c) * g.kh + i) * g.kw + j] = dwm[o * g.K + (i * g.kw + j) * g.Cg + c];
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
