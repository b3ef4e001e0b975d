// The reference group-norm rows (cpu/kernels.h GnGradRowFn, GnDxRowFn, GnStatsRowFn, GnAffineRowFn): every product
// and sum in double, one rounding to float per stored value. The SIMD rows (cpu/simd/kernels_f32.inc) are checked
// against these.
#include <cmath>
#include "../kernels.h"

namespace tf {
namespace cpu {

namespace {

void ref_gn_grad_row(int64_t n, const float* x, const float* g, float mu, float r, float w, float b, int silu, float* gz,
                     double* pw, double* pb) {
  double sw = 0, sb = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double xh = (double(x[i]) - mu) * double(r);
    double v = g[i];
    if (silu) {
      const double z = xh * w + b, s = 1.0 / (1.0 + std::exp(-z));
      const float f = float(v * s * (1.0 + z * (1.0 - s)));
      gz[i] = f;
      v = f;
    }
    sw += v * xh;
    sb += v;
  }
  *pw += sw;
  *pb += sb;
}

void ref_gn_dx_row(int64_t n, const float* x, const float* gz, float mu, float r, float w, float m1, float m2, float* d) {
  for (int64_t i = 0; i < n; ++i)
    d[i] = float(double(r) * (double(gz[i]) * w - m1 - (double(x[i]) - mu) * double(r) * m2));
}

void ref_gn_stats_row(int64_t n, const float* x, double* s, double* q) {
  double a = 0, b = 0;
  for (int64_t i = 0; i < n; ++i) { const double v = x[i]; a += v; b += v * v; }
  *s += a;
  *q += b;
}

void ref_gn_affine_row(int64_t n, const float* x, float a, float b, int silu, float* y) {
  for (int64_t i = 0; i < n; ++i) {
    const double z = double(x[i]) * a + b;
    y[i] = float(silu ? z / (1.0 + std::exp(-z)) : z);
  }
}

}  // namespace

void fill_reference_norm_rows(KernelTable& t) {
  t.gn_grad_row = &ref_gn_grad_row;
  t.gn_dx_row = &ref_gn_dx_row;
  t.gn_stats_row = &ref_gn_stats_row;
  t.gn_affine_row = &ref_gn_affine_row;
}

}  // namespace cpu
}  // namespace tf
