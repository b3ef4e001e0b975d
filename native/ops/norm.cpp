// GroupNorm as one native op: a fused forward (statistics and affine in one pass per group), a fused
// first-order backward and a fused tangent (forward mode). Where a fused kernel has no rule of its own — the backward of the backward, and
// forward mode — it falls back to the composite definition written with engine ops, which is exact to
// every order (and says so once when TENSORFIELD_DEBUG is set).
#include <cmath>
#include <type_traits>
#include "ops.h"
#include "../backend/backend.h"
#include "../cpu/dispatch.h"
#include "operators.h"
#include "../autograd/node.h"
#include "../autograd/composite.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"
#include "../cpu/threadpool.h"

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

// Mean and (biased) variance of one group. float32 data: one pass of sum and sum of squares in double, four
// partial sums so the compiler can keep several in flight (double leaves ~2^-29 relative error on the variance
// unless |mean| / std exceeds ~10^4); float64 data: two passes, exact to rounding.
template <class T>
void group_stats(const T* x, int64_t M, double* mu, double* var) {
  if (M == 0) { *mu = 0; *var = 0; return; }
  if constexpr (std::is_same<T, float>::value) {
    double s[4] = {0, 0, 0, 0}, q[4] = {0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 4 <= M; i += 4)
      for (int j = 0; j < 4; ++j) { double v = x[i + j]; s[j] += v; q[j] += v * v; }
    for (; i < M; ++i) { double v = x[i]; s[0] += v; q[0] += v * v; }
    double m = ((s[0] + s[1]) + (s[2] + s[3])) / double(M);
    double v = ((q[0] + q[1]) + (q[2] + q[3])) / double(M) - m * m;
    *mu = m;
    *var = v > 0 ? v : 0;
  } else {
    double s = 0;
    for (int64_t i = 0; i < M; ++i) s += x[i];
    double m = s / double(M), ss = 0;
    for (int64_t i = 0; i < M; ++i) { double d = x[i] - m; ss += d * d; }
    *mu = m;
    *var = ss / double(M);
  }
}

namespace {
// fuse_silu (group_norm_silu only, when nothing is differentiated): SiLU applied to each channel row as written
Tensor group_norm_impl(const Tensor& x0, int64_t G, const Tensor& w, const Tensor& b, double eps, bool fuse_silu);
}  // namespace

Tensor group_norm(const Tensor& x0, int64_t G, const Tensor& w, const Tensor& b, double eps) {
  return group_norm_impl(x0, G, w, b, eps, false);
}

Tensor group_norm_silu(const Tensor& x, int64_t G, const Tensor& w, const Tensor& b, double eps) {
  // the fused pass only where nothing is differentiated; otherwise the two ops, each with its own rules
  if (compute_requires_grad({&x, &w, &b}) || (forward_ad_active() && has_tangent({&x, &w, &b})))
    return silu(group_norm(x, G, w, b, eps));
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
  int64_t S = x.numel() / std::max<int64_t>(N * C, 1);  // spatial size
  int64_t Cg = C / G, M = Cg * S;
  Tensor y = empty(x.shape(), x.dtype()), stats = empty({N, G, 2}, x.dtype());  // mean, rstd
  // SiLU applied to each channel row right after it is written, while it is in L1 (group_norm_silu)
  cpu::UnaryFn silu_fn = fuse_silu ? backend_kernels().unary[cpu::U_SILU][int(x.dtype())] : nullptr;
  const cpu::UnaryParams no_params{0, 0};
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    T* st = stats.data_ptr<T>();
    Tensor wc = w.defined() ? contiguous(detach(w)) : Tensor(), bc = b.defined() ? contiguous(detach(b)) : Tensor();
    const T* wp = wc.defined() ? wc.data_ptr<T>() : nullptr;
    const T* bp = bc.defined() ? bc.data_ptr<T>() : nullptr;
    parallel_for(0, N * G, std::max<int64_t>(1, 16384 / std::max<int64_t>(M, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t ng = lo; ng < hi; ++ng) {
        const T* xs = xp + ng * M;
        double mu, var;
        group_stats(xs, M, &mu, &var);
        double rstd = 1.0 / std::sqrt(var + eps);
        st[2 * ng] = T(mu);
        st[2 * ng + 1] = T(rstd);
        int64_t g = ng % G;
        for (int64_t c = 0; c < Cg; ++c) {
          int64_t ch = g * Cg + c;
          T a = T(rstd) * (wp ? wp[ch] : T(1)), sh = (bp ? bp[ch] : T(0)) - T(mu) * a;
          const T* xr = xs + c * S;
          T* yr = yp + ng * M + c * S;
          for (int64_t i = 0; i < S; ++i) yr[i] = xr[i] * a + sh;
          if (silu_fn) silu_fn(S, reinterpret_cast<const char*>(yr), 1, reinterpret_cast<char*>(yr), 1, &no_params);
        }
      }
    });
  });

  TensorList inputs{x0, w, b};
  if (compute_requires_grad(inputs)) {
    Shape xs = x0.shape();
    bool has_w = w.defined(), has_b = b.defined();
    auto node = make_node("GroupNormBackward", inputs, [G, eps, N, C, S, Cg, M, xs, has_w, has_b](FnNode& n, const TensorList& gr) -> TensorList {
      Tensor xin = n.saved(0), st = n.saved(1);
      Tensor win = has_w ? n.saved(2) : Tensor(), bin = has_b ? n.saved(has_w ? 3 : 2) : Tensor();
      if (GradMode::enabled())  // createGraph: differentiate the composite definition
        return composite_vjp(n, {xin, win, bin}, gr[0], [&] { return group_norm_composite(xin, G, win, bin, eps); }, "group_norm");
      Tensor go = contiguous(gr[0]), xc = contiguous(xin);
      Tensor dx = empty(xs, go.dtype()), dw = zeros({C}, go.dtype()), db = zeros({C}, go.dtype());
      TF_DISPATCH_FLOAT(go.dtype(), T, {
        const T* gp = go.data_ptr<T>();
        const T* xp = xc.data_ptr<T>();
        const T* sp = st.data_ptr<T>();
        Tensor wc = has_w ? contiguous(win) : Tensor();
        const T* wp = has_w ? wc.data_ptr<T>() : nullptr;
        T* dxp = dx.data_ptr<T>();
        parallel_for(0, N * G, std::max<int64_t>(1, 16384 / std::max<int64_t>(M, 1)), [&](int64_t lo, int64_t hi) {
          for (int64_t ng = lo; ng < hi; ++ng) {
            double mu = sp[2 * ng], r = sp[2 * ng + 1], s1 = 0, s2 = 0;
            int64_t g = ng % G;
            for (int64_t c = 0; c < Cg; ++c) {
              double wv = wp ? double(wp[g * Cg + c]) : 1.0;
              const T* gr_ = gp + ng * M + c * S;
              const T* xr = xp + ng * M + c * S;
              for (int64_t i = 0; i < S; ++i) {
                double gw = gr_[i] * wv, xh = (xr[i] - mu) * r;
                s1 += gw;
                s2 += gw * xh;
              }
            }
            double m1 = s1 / double(M), m2 = s2 / double(M);
            for (int64_t c = 0; c < Cg; ++c) {
              double wv = wp ? double(wp[g * Cg + c]) : 1.0;
              const T* gr_ = gp + ng * M + c * S;
              const T* xr = xp + ng * M + c * S;
              T* d = dxp + ng * M + c * S;
              for (int64_t i = 0; i < S; ++i) d[i] = T(r * (gr_[i] * wv - m1 - (xr[i] - mu) * r * m2));
            }
          }
        });
        if (has_w || has_b) {
          T* dwp = dw.data_ptr<T>();
          T* dbp = db.data_ptr<T>();
          parallel_for(0, C, 1, [&](int64_t lo, int64_t hi) {
            for (int64_t ch = lo; ch < hi; ++ch) {
              double sw = 0, sb = 0;
              for (int64_t nn = 0; nn < N; ++nn) {
                int64_t ng = nn * G + ch / Cg;
                double mu = sp[2 * ng], r = sp[2 * ng + 1];
                const T* gr_ = gp + (nn * C + ch) * S;
                const T* xr = xp + (nn * C + ch) * S;
                for (int64_t i = 0; i < S; ++i) { sw += gr_[i] * (xr[i] - mu) * r; sb += gr_[i]; }
              }
              dwp[ch] = T(sw);
              dbp[ch] = T(sb);
            }
          });
        }
      });
      return {n.needs_input_grad(0) ? dx : Tensor(), has_w && n.needs_input_grad(1) ? dw : Tensor(),
              has_b && n.needs_input_grad(2) ? db : Tensor()};
    });
    node->save(x0);
    node->save(stats);
    if (w.defined()) node->save(w);
    if (b.defined()) node->save(b);
    set_history(y, node);
  }
  if (has_tangent(inputs)) {
    Tensor tx = tangent(x0), tw = tangent(w), tb = tangent(b);
    bool reverse_through = GradMode::enabled() && (x0.requires_grad() || (w.defined() && w.requires_grad()) ||
                                                   (b.defined() && b.requires_grad()) || (tx.defined() && tx.requires_grad()) ||
                                                   (tw.defined() && tw.requires_grad()) || (tb.defined() && tb.requires_grad()));
    if (reverse_through) {
      // the tangent must itself be differentiable: use the composite definition
      composite_jvp(y, inputs, [&] { return group_norm_composite(x0, G, w, b, eps); }, "group_norm");
    } else {
      // fused tangent: dy = w r (tx - mean(tx) - xhat mean(xhat tx)) + xhat tw + tb, two passes per group
      Tensor txc = tx.defined() ? contiguous(tx) : Tensor();
      Tensor twc = tw.defined() ? contiguous(tw) : Tensor(), tbc = tb.defined() ? contiguous(tb) : Tensor();
      Tensor wc = w.defined() ? contiguous(detach(w)) : Tensor();
      Tensor dy = empty(x.shape(), x.dtype());
      TF_DISPATCH_FLOAT(x.dtype(), T, {
        const T* xp = x.data_ptr<T>();
        const T* st = stats.data_ptr<T>();
        const T* tp = txc.defined() ? txc.data_ptr<T>() : nullptr;
        const T* wp = wc.defined() ? wc.data_ptr<T>() : nullptr;
        const T* twp = twc.defined() ? twc.data_ptr<T>() : nullptr;
        const T* tbp = tbc.defined() ? tbc.data_ptr<T>() : nullptr;
        T* dp = dy.data_ptr<T>();
        parallel_for(0, N * G, std::max<int64_t>(1, 16384 / std::max<int64_t>(M, 1)), [&](int64_t lo, int64_t hi) {
          for (int64_t ng = lo; ng < hi; ++ng) {
            double mu = st[2 * ng], r = st[2 * ng + 1], m1 = 0, m2 = 0;
            const T* xs = xp + ng * M;
            if (tp) {
              const T* ts = tp + ng * M;
              for (int64_t i = 0; i < M; ++i) { m1 += ts[i]; m2 += (xs[i] - mu) * r * ts[i]; }
              m1 /= double(M);
              m2 /= double(M);
            }
            int64_t g = ng % G;
            for (int64_t c = 0; c < Cg; ++c) {
              int64_t ch = g * Cg + c;
              double wv = wp ? double(wp[ch]) : 1.0, twv = twp ? double(twp[ch]) : 0.0, tbv = tbp ? double(tbp[ch]) : 0.0;
              const T* xr = xs + c * S;
              const T* tr = tp ? tp + ng * M + c * S : nullptr;
              T* d = dp + ng * M + c * S;
              for (int64_t i = 0; i < S; ++i) {
                double xh = (xr[i] - mu) * r;
                double v = xh * twv + tbv;
                if (tr) v += wv * r * (tr[i] - m1 - xh * m2);
                d[i] = T(v);
              }
            }
          }
        });
      });
      set_tangent(y, dy);
    }
  }
  return y;
}

}  // namespace

Tensor group_norm_op(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps, bool with_silu,
                     bool composite) {
  if (with_silu) return composite ? silu(group_norm_composite(x, groups, weight, bias, eps)) : group_norm_silu(x, groups, weight, bias, eps);
  return composite ? group_norm_composite(x, groups, weight, bias, eps) : group_norm(x, groups, weight, bias, eps);
}

}  // namespace tf
