// The group-norm entries of the host backends: a fused forward (statistics and affine in one pass per group, SiLU
// on each channel row while it is in L1), the fused first-order backward and the fused tangent. The op layer
// (ops/norm.cpp) checks, records the rules and falls back to the composite definition where these have none.
#include "host_backend.h"
#include <cmath>
#include <type_traits>
#include "dispatch.h"
#include "threadpool.h"

namespace tf {
namespace host {

namespace {

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

// N, C, the spatial size S and the group size M = (C / G) S of x [N, C, ...]
struct Layout {
  int64_t N, C, S, Cg, M;
  Layout(const Tensor& x, int64_t G)
      : N(x.size(0)), C(x.size(1)), S(x.numel() / std::max<int64_t>(N * C, 1)), Cg(C / G), M(Cg * S) {}
  int64_t grain() const { return std::max<int64_t>(1, 16384 / std::max<int64_t>(M, 1)); }
};

template <class T>
const T* ptr_or_null(const Tensor* t) { return t ? t->data_ptr<T>() : nullptr; }

}  // namespace

bool group_norm(const Tensor& y, const Tensor& stats, const Tensor& x, int64_t G, const Tensor* w, const Tensor* b,
                double eps, bool silu) {
  if (!is_floating(x.dtype())) return false;
  const Layout L(x, G);
  const int64_t S = L.S, Cg = L.Cg, M = L.M;
  cpu::UnaryFn silu_fn = silu ? backend_kernels().unary[U_SILU][int(x.dtype())] : nullptr;
  const UnaryParams no_params{0, 0};
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    T* yp = y.data_ptr<T>();
    T* st = stats.data_ptr<T>();
    const T* wp = ptr_or_null<T>(w);
    const T* bp = ptr_or_null<T>(b);
    parallel_for(0, L.N * G, L.grain(), [&](int64_t lo, int64_t hi) {
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
  return true;
}

bool group_norm_backward(const Tensor& dx, const Tensor* dw, const Tensor* db, const Tensor& gy, const Tensor& x,
                         const Tensor& stats, int64_t G, const Tensor* w) {
  if (!is_floating(x.dtype())) return false;
  const Layout L(x, G);
  const int64_t N = L.N, C = L.C, S = L.S, Cg = L.Cg, M = L.M;
  TF_DISPATCH_FLOAT(gy.dtype(), T, {
    const T* gp = gy.data_ptr<T>();
    const T* xp = x.data_ptr<T>();
    const T* sp = stats.data_ptr<T>();
    const T* wp = ptr_or_null<T>(w);
    T* dxp = dx.data_ptr<T>();
    parallel_for(0, N * G, L.grain(), [&](int64_t lo, int64_t hi) {
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
    if (dw || db) {
      T* dwp = dw ? dw->data_ptr<T>() : nullptr;
      T* dbp = db ? db->data_ptr<T>() : nullptr;
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
          if (dwp) dwp[ch] = T(sw);
          if (dbp) dbp[ch] = T(sb);
        }
      });
    }
  });
  return true;
}

// dy = w r (tx - mean(tx) - xhat mean(xhat tx)) + xhat tw + tb, two passes per group
bool group_norm_tangent(const Tensor& dy, const Tensor& x, const Tensor& stats, int64_t G, const Tensor* w,
                        const Tensor* tx, const Tensor* tw, const Tensor* tb) {
  if (!is_floating(x.dtype())) return false;
  const Layout L(x, G);
  const int64_t S = L.S, Cg = L.Cg, M = L.M;
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    const T* xp = x.data_ptr<T>();
    const T* st = stats.data_ptr<T>();
    const T* tp = ptr_or_null<T>(tx);
    const T* wp = ptr_or_null<T>(w);
    const T* twp = ptr_or_null<T>(tw);
    const T* tbp = ptr_or_null<T>(tb);
    T* dp = dy.data_ptr<T>();
    parallel_for(0, L.N * G, L.grain(), [&](int64_t lo, int64_t hi) {
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
  return true;
}

}  // namespace host
}  // namespace tf
