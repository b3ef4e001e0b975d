// The convolution entries of the host backends: im2col + GEMM with channels last inside, or Winograd F(2x2, 3x3)
// where it applies and the backend may take fast paths (cpu/conv_winograd.cpp: 3x3, stride 1, float32). The op
// layer (ops/conv.cpp) has checked the shapes and made the outputs; everything here is raw (no autograd).
#include "host_backend.h"
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>
#include <xmmintrin.h>
#include "conv_winograd.h"
#include "split_sum.h"
#include "threadpool.h"
#include "../core/allocator.h"
#include "../ops/ops.h"

namespace tf {
namespace host {

namespace {

struct Geom {
  int64_t N, C, H, W, O, kh, kw, Ho, Wo, G, Cg, Og, K;  // K = Cg*kh*kw (GEMM depth), P = Ho*Wo
  int64_t P() const { return Ho * Wo; }
};

// The geometry of checked operands x [N, C, H, W] and w [O, C/groups, kh, kw]
Geom geometry(const Tensor& x, const Tensor& w, const Conv2dParams& p) {
  Geom g;
  g.N = x.size(0); g.C = x.size(1); g.H = x.size(2); g.W = x.size(3);
  g.O = w.size(0); g.kh = w.size(2); g.kw = w.size(3); g.G = p.groups;
  g.Cg = g.C / g.G; g.Og = g.O / g.G;
  g.Ho = (g.H + 2 * p.pad_h - ((g.kh - 1) * p.dil_h + 1)) / p.stride_h + 1;
  g.Wo = (g.W + 2 * p.pad_w - ((g.kw - 1) * p.dil_w + 1)) / p.stride_w + 1;
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
void conv_forward(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor* bias_in, const Geom& g,
                  const Conv2dParams& p) {
  Tensor bias = bias_in ? *bias_in : Tensor();
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
    return;
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
}

// dx = conv^T(gy, w), raw: per image, rows[P, K] = gy^T [P, Og] x wm_g [Og, K], then added back into the input
// positions (channels last) and transposed
void conv_input_grad(const Tensor& dx, const Tensor& gy, const Tensor& w, const Geom& g, const Conv2dParams& p) {
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
    conv_forward(dx, gy, wf, nullptr, geometry(gy, wf, q), q);
    return;
  }
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
}

// Images per chunk of the weight gradient: the chunk's channels-last copies (and im2col rows) within 64 MiB, so
// scratch is bounded whatever the batch. Depends on the shapes only, never on the thread count (the chunking
// fixes the order of the sums).
int64_t weight_grad_chunk(int64_t per_image_elems, size_t elem_bytes) {
  const int64_t cap = int64_t(64) << 20;
  return std::max<int64_t>(1, cap / std::max<int64_t>(1, per_image_elems * int64_t(elem_bytes)));
}

// dw = sum_n gy_n @ rows_n, raw. The images of a chunk are brought channels last (and to im2col rows) in parallel,
// one image per task; then one GEMM per group over the whole chunk, depth = images x pixels, split across the pool
// by the GEMM itself: dwm_g [Og, K] += gyt_g^T [Og, (n, p)] x rows [(n, p), K]. Chunks are summed in order, so the
// result is deterministic. Finally back from k = (i, j, c) to [O, Cg, kh, kw].
void conv_weight_grad(const Tensor& dw, const Tensor& x, const Tensor& gy, const Geom& g, const Conv2dParams& p) {
  const int64_t HW = g.H * g.W, P = g.P();
  if (winograd::applies(x.dtype(), g.C, g.O, g.kh, g.kw, p)) {
    std::vector<float> dU(size_t(16 * g.C * g.O), 0.0f);
    const int64_t nc = std::min(g.N, weight_grad_chunk(HW * g.C + P * g.O, sizeof(float)));
    alloc::Scratch xs(sizeof(float) * size_t(nc * HW * g.C)), ys(sizeof(float) * size_t(nc * P * g.O));
    const float* xp = x.data_ptr<float>();
    const float* gp = gy.data_ptr<float>();
    for (int64_t n0 = 0; n0 < g.N; n0 += nc) {
      const int64_t m = std::min(nc, g.N - n0);
      parallel_for(0, m, 1, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
          to_channels_last(xp + (n0 + i) * g.C * HW, g.C, HW, xs.as<float>() + i * HW * g.C);
          to_channels_last(gp + (n0 + i) * g.O * P, g.O, P, ys.as<float>() + i * P * g.O);
        }
      });
      winograd::weight_grad_images(xs.as<float>(), ys.as<float>(), m, g.H, g.W, g.C, g.O, p.pad_h, p.pad_w, dU.data());
    }
    winograd::weight_from_transformed(dU.data(), g.O, g.C, dw.data_ptr<float>());
    return;
  }
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    const T* gp = gy.data_ptr<T>();
    std::vector<T> dwm(size_t(g.O * g.K), T(0));
    // Split-K over images (cpu/split_sum.h): part q sums its range of images into its own dwm, the parts are
    // added in order. The per-image GEMMs are short and wide (Og x K, depth P): one GEMM over the whole batch
    // split by output blocks left most threads idle (an output layer has Og = 1), and a GEMM per image split
    // across the pool synchronised it thousands of times a step. At most 64 parts, their dwm within 64 MiB.
    const int64_t len = g.O * g.K, cap = (int64_t(64) << 20) / int64_t(sizeof(T) * size_t(len));
    const int64_t parts = std::max<int64_t>(1, std::min({g.N, int64_t(64), cap}));
    const cpu::GemmFn fn = gemm_fn(x.dtype());
    TF_CHECK(fn, DType, "GEMM is not available for dtype ", dtype_name(x.dtype()));
    if (cap < 16) {
      // wide layers (the partial results would pass the cap): chunks of images brought channels last and to rows
      // in parallel, then per group one GEMM over the chunk (depth images x pixels) split by the GEMM's own grid
      const int64_t nc = std::min(g.N, weight_grad_chunk(P * g.O + g.G * P * g.K, sizeof(T)));
      alloc::Scratch ys(sizeof(T) * size_t(nc * P * g.O)), rs(sizeof(T) * size_t(nc * g.G * P * g.K));
      T* gyt = ys.as<T>();
      T* rows = rs.as<T>();
      const int64_t rstride = P * g.K;  // one (image, group)'s rows
      for (int64_t n0 = 0; n0 < g.N; n0 += nc) {
        const int64_t m = std::min(nc, g.N - n0);
        parallel_for(0, m, 1, [&](int64_t lo, int64_t hi) {
          alloc::Scratch xs(sizeof(T) * size_t(std::max<int64_t>(1, HW * g.C)));
          T* xt = xs.as<T>();
          for (int64_t i = lo; i < hi; ++i) {
            to_channels_last(xp + (n0 + i) * g.C * HW, g.C, HW, xt);
            to_channels_last(gp + (n0 + i) * g.O * P, g.O, P, gyt + i * P * g.O);
            // group-major: group gr's rows of every image of the chunk are one [(n, p), K] matrix
            for (int64_t gr = 0; gr < g.G; ++gr) im2row(xt, g, p, gr, rows + (gr * m + i) * rstride);
          }
        });
        for (int64_t gr = 0; gr < g.G; ++gr)
          gemm_into(x.dtype(), g.Og, g.K, m * P, reinterpret_cast<const char*>(gyt + gr * g.Og), 1, g.O,
                    reinterpret_cast<const char*>(rows + gr * m * rstride), g.K, 1,
                    reinterpret_cast<char*>(dwm.data() + gr * g.Og * g.K), g.K, true);
      }
    } else cpu::split_sum(parts, len, dwm.data(), [&](int64_t q, T* part) {
      ImageScratch<T> s(g, false);
      alloc::Scratch ys(sizeof(T) * size_t(std::max<int64_t>(1, P * g.O)));
      T* xt = s.xt.template as<T>();
      T* rows = s.rows.template as<T>();
      T* gyt = ys.as<T>();
      for (int64_t n = g.N * q / parts; n < g.N * (q + 1) / parts; ++n) {
        to_channels_last(xp + n * g.C * HW, g.C, HW, xt);
        to_channels_last(gp + n * g.O * P, g.O, P, gyt);
        for (int64_t gr = 0; gr < g.G; ++gr) {
          im2row(xt, g, p, gr, rows);
          // part_g [Og, K] += gyt_g^T [Og, P] x rows [P, K]; A[o, p] = gyt[p, gr*Og + o]
          fn(g.Og, g.K, P, reinterpret_cast<const char*>(gyt + gr * g.Og), 1, g.O, reinterpret_cast<const char*>(rows),
             g.K, 1, reinterpret_cast<char*>(part + gr * g.Og * g.K), g.K, 1);
        }
      }
    });
    T* d = dw.data_ptr<T>();
    for (int64_t o = 0; o < g.O; ++o)
      for (int64_t c = 0; c < g.Cg; ++c)
        for (int64_t i = 0; i < g.kh; ++i)
          for (int64_t j = 0; j < g.kw; ++j) d[((o * g.Cg + c) * g.kh + i) * g.kw + j] = dwm[o * g.K + (i * g.kw + j) * g.Cg + c];
  });
}

}  // namespace

bool conv2d(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p) {
  if (!is_floating(x.dtype())) return false;
  conv_forward(y, x, w, bias, geometry(x, w, p), p);
  return true;
}

bool conv2d_input_grad(const Tensor& dx, const Tensor& gy, const Tensor& w, const Conv2dParams& p) {
  if (!is_floating(gy.dtype())) return false;
  conv_input_grad(dx, gy, w, geometry(dx, w, p), p);
  return true;
}

bool conv2d_weight_grad(const Tensor& dw, const Tensor& x, const Tensor& gy, const Conv2dParams& p) {
  if (!is_floating(x.dtype())) return false;
  conv_weight_grad(dw, x, gy, geometry(x, dw, p), p);
  return true;
}

}  // namespace host
}  // namespace tf
