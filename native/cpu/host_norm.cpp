// The group-norm entries of the host backends: a fused forward (statistics and affine in one pass per group, SiLU
// on each channel row while it is in L1), the fused first-order backward and the fused tangent. The op layer
// (ops/norm.cpp) checks, records the rules and falls back to the composite definition where these have none.
#include "host_backend.h"
#include <cmath>
#include <vector>
#include <type_traits>
#include "dispatch.h"
#include "threadpool.h"
#include "../core/allocator.h"

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
                double eps, bool silu, const Tensor* mod_scale, const Tensor* mod_shift, const NormCode* code,
                const NormCode* in_code) {
  if (in_code ? x.dtype() != DType::U8 : !is_floating(x.dtype())) return false;
  const DType ft = in_code ? DType::F32 : x.dtype();  // the arithmetic's type
  if (code && ft != DType::F32) return false;
  const Layout L(x, G);
  const int64_t S = L.S, Cg = L.Cg, M = L.M;
  cpu::UnaryFn silu_fn = silu ? backend_kernels().unary[U_SILU][int(ft)] : nullptr;
  const cpu::UnaryFn unary_silu = backend_kernels().unary[U_SILU][int(ft)];  // what the silu op runs
  const UnaryParams no_params{0, 0};
  TF_DISPATCH_FLOAT(ft, T, {
    const T* xp = in_code ? nullptr : x.data_ptr<T>();
    T* yp = code ? nullptr : y.data_ptr<T>();  // coded: y holds bytes, written by code_u8 below
    T* st = stats.data_ptr<T>();
    const T* wp = ptr_or_null<T>(w);
    const T* bp = ptr_or_null<T>(b);
    const T* msp = ptr_or_null<T>(mod_scale);  // [N, C]: one (scale, shift) per sample and channel
    const T* mtp = ptr_or_null<T>(mod_shift);
    const int64_t C = G * Cg;
    const cpu::KernelTable& kt = backend_kernels();
    const bool mod_row = std::is_same<T, float>::value && msp && kt.gn_mod_row;  // the modulation in the ISA's row
    parallel_for(0, L.N * G, L.grain(), [&](int64_t lo, int64_t hi) {
      // coded output: each channel row finished here, in L1, then coded into y's bytes (the float32 result,
      // four times the bytes, never goes to memory)
      alloc::Scratch rowbuf(code ? size_t(S) * sizeof(T) : 1);
      // coded input: each group decoded here as dequantize() decodes it, then normalised from L1/L2 (a quarter of
      // the bytes read from memory, twice: statistics, then the affine)
      alloc::Scratch groupbuf(in_code ? size_t(M) * sizeof(T) : 1);
      for (int64_t ng = lo; ng < hi; ++ng) {
        const T* xs = xp + ng * M;
        if (in_code) {
          kt.decode_u8(M, x.data_ptr<uint8_t>() + ng * M, 0, in_code->scale, in_code->zero, groupbuf.as<float>());
          xs = groupbuf.as<T>();
        }
        double mu, var;
        // float32 goes through the ISA's rows (cpu/kernels.h gn_stats_row, gn_affine_row; sums in double lanes),
        // float64 through the loops here; the casts compile for both T but run only when T is float
        if (std::is_same<T, float>::value) {
          double s = 0, q = 0;
          kt.gn_stats_row(M, reinterpret_cast<const float*>(xs), &s, &q);
          mu = M ? s / double(M) : 0.0;
          var = M ? q / double(M) - mu * mu : 0.0;
          var = var > 0 ? var : 0;
        } else {
          group_stats(xs, M, &mu, &var);
        }
        double rstd = 1.0 / std::sqrt(var + eps);
        st[2 * ng] = T(mu);
        st[2 * ng + 1] = T(rstd);
        int64_t g = ng % G;
        for (int64_t c = 0; c < Cg; ++c) {
          int64_t ch = g * Cg + c;
          T a = T(rstd) * (wp ? wp[ch] : T(1)), sh = (bp ? bp[ch] : T(0)) - T(mu) * a;
          const T* xr = xs + c * S;
          T* yr = code ? rowbuf.as<T>() : yp + ng * M + c * S;
          if (mod_row) {  // the modulated row in one pass
            const int64_t nc = (ng / G) * C + ch;
            kt.gn_mod_row(S, reinterpret_cast<const float*>(xr), float(a), float(sh), float(msp[nc]), float(mtp[nc]),
                          silu ? 1 : 0, reinterpret_cast<float*>(yr));
          } else if (std::is_same<T, float>::value) {
            kt.gn_affine_row(S, reinterpret_cast<const float*>(xr), float(a), float(sh), silu && !msp ? 1 : 0,
                             reinterpret_cast<float*>(yr));
          } else {
            for (int64_t i = 0; i < S; ++i) yr[i] = xr[i] * a + sh;
          }
          if (msp && !mod_row) {
            // the modulation on the row while it is in cache, rounded as the ops round it (a product, then a sum:
            // two loops, nothing to contract), then SiLU by the unary op's own kernel: the same bits as the ops
            const int64_t nc = (ng / G) * C + ch;
            const T s = msp[nc], t = mtp[nc];
            for (int64_t i = 0; i < S; ++i) yr[i] = yr[i] * s;
            for (int64_t i = 0; i < S; ++i) yr[i] = yr[i] + t;
            if (silu) unary_silu(S, reinterpret_cast<const char*>(yr), 1, reinterpret_cast<char*>(yr), 1, &no_params);
          } else if (silu_fn && !std::is_same<T, float>::value) {
            silu_fn(S, reinterpret_cast<const char*>(yr), 1, reinterpret_cast<char*>(yr), 1, &no_params);
          }
          if (code)
            kt.code_u8(S, reinterpret_cast<const float*>(yr), code->scale, code->zero, 0.f, 255.f,
                       y.data_ptr<uint8_t>() + ng * M + c * S);
        }
      }
    });
  });
  return true;
}

bool group_norm_backward(const Tensor& dx, const Tensor* dw, const Tensor* db, const Tensor& gy, const Tensor& x,
                         const Tensor& stats, int64_t G, const Tensor* w, const Tensor* b, bool silu) {
  if (!is_floating(x.dtype())) return false;
  const Layout L(x, G);
  const int64_t N = L.N, C = L.C, S = L.S, Cg = L.Cg, M = L.M;
  TF_DISPATCH_FLOAT(gy.dtype(), T, {
    const T* gp = gy.data_ptr<T>();
    const T* xp = x.data_ptr<T>();
    const T* sp = stats.data_ptr<T>();
    const T* wp = ptr_or_null<T>(w);
    const T* bp = ptr_or_null<T>(b);
    T* dxp = dx.data_ptr<T>();
    // Per (image, channel): sum of gz xhat and of gz, where gz is the gradient reaching the normalised output (gy,
    // or gy silu'(z) with z = xhat w + b when SiLU was fused into the forward; then gz is kept in dx for the second
    // pass). The group's two means are sums of these weighted by w, and dw, db are their sums over images, in image
    // order: one read of gy and x fewer than a separate pass for dw and db, which also ran one task per channel.
    // float32 rows go through the ISA's rows (cpu/kernels.h gn_grad_row, gn_dx_row), float64 through the loops here.
    std::vector<double> part(size_t(2 * N * C));
    const cpu::KernelTable& kt = backend_kernels();
    parallel_for(0, N * G, L.grain(), [&](int64_t lo, int64_t hi) {
      for (int64_t ng = lo; ng < hi; ++ng) {
        const double mu = sp[2 * ng], r = sp[2 * ng + 1];
        const int64_t n = ng / G, g = ng % G;
        double s1 = 0, s2 = 0;
        for (int64_t c = 0; c < Cg; ++c) {
          const int64_t ch = g * Cg + c;
          const double wv = wp ? double(wp[ch]) : 1.0, bv = bp ? double(bp[ch]) : 0.0;
          const T* gr_ = gp + ng * M + c * S;
          const T* xr = xp + ng * M + c * S;
          T* d = dxp + ng * M + c * S;
          double pw = 0, pb = 0;
          // (a dispatch macro, not a template: the float32 call is written with casts, and runs only for float)
          if (std::is_same<T, float>::value) {
            kt.gn_grad_row(S, reinterpret_cast<const float*>(xr), reinterpret_cast<const float*>(gr_), float(mu),
                           float(r), float(wv), float(bv), silu ? 1 : 0, reinterpret_cast<float*>(d), &pw, &pb);
          } else if (silu) {
            for (int64_t i = 0; i < S; ++i) {
              const double xh = (double(xr[i]) - mu) * r, z = xh * wv + bv, sg = 1.0 / (1.0 + std::exp(-z));
              const T gz = T(double(gr_[i]) * sg * (1.0 + z * (1.0 - sg)));
              d[i] = gz;
              pw += double(gz) * xh;
              pb += double(gz);
            }
          } else {
            for (int64_t i = 0; i < S; ++i) {
              const double xh = (double(xr[i]) - mu) * r;
              pw += double(gr_[i]) * xh;
              pb += double(gr_[i]);
            }
          }
          part[2 * (n * C + ch)] = pw;
          part[2 * (n * C + ch) + 1] = pb;
          s1 += wv * pb;
          s2 += wv * pw;
        }
        const double m1 = s1 / double(M), m2 = s2 / double(M);
        for (int64_t c = 0; c < Cg; ++c) {
          const double wv = wp ? double(wp[g * Cg + c]) : 1.0;
          const T* gr_ = silu ? dxp + ng * M + c * S : gp + ng * M + c * S;
          const T* xr = xp + ng * M + c * S;
          T* d = dxp + ng * M + c * S;
          if (std::is_same<T, float>::value)
            kt.gn_dx_row(S, reinterpret_cast<const float*>(xr), reinterpret_cast<const float*>(gr_), float(mu), float(r),
                         float(wv), float(m1), float(m2), reinterpret_cast<float*>(d));
          else
            for (int64_t i = 0; i < S; ++i) d[i] = T(r * (double(gr_[i]) * wv - m1 - (double(xr[i]) - mu) * r * m2));
        }
      }
    });
    if (dw || db) {
      T* dwp = dw ? dw->data_ptr<T>() : nullptr;
      T* dbp = db ? db->data_ptr<T>() : nullptr;
      for (int64_t ch = 0; ch < C; ++ch) {
        double sw = 0, sb = 0;
        for (int64_t nn = 0; nn < N; ++nn) { sw += part[2 * (nn * C + ch)]; sb += part[2 * (nn * C + ch) + 1]; }
        if (dwp) dwp[ch] = T(sw);
        if (dbp) dbp[ch] = T(sb);
      }
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
