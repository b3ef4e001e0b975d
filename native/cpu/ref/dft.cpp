#include "dft.h"
#include <cmath>
#include <vector>

namespace tf {
namespace cpu {

namespace {

template <typename S>
void dft(const S* x, S* y, int64_t O, int64_t n, int64_t I, int64_t m, const FftParams& p) {
  std::vector<double> c(n), s(n);
  for (int64_t q = 0; q < n; ++q) {
    double a = 6.283185307179586476925286766559 * double(q) / double(n);
    c[q] = std::cos(a);
    s[q] = std::sin(a);
  }
  const int64_t h = n / 2 + 1;
  for (int64_t o = 0; o < O; ++o)
    for (int64_t i = 0; i < I; ++i) {
      if (p.kind == FftParams::C2C) {
        // X_k = sum_j x_j exp(-+i theta jk)
        const double sg = p.inverse ? 1.0 : -1.0;
        const S* xs = x + (o * n * I + i) * 2;
        S* ys = y + (o * n * I + i) * 2;
        for (int64_t k = 0; k < n; ++k) {
          double re = 0, im = 0;
          for (int64_t j = 0; j < n; ++j) {
            int64_t q = (j * k) % n;
            double xr = xs[j * I * 2], xi = xs[j * I * 2 + 1], wr = c[q], wi = sg * s[q];
            re += xr * wr - xi * wi;
            im += xr * wi + xi * wr;
          }
          ys[k * I * 2] = S(re * p.scale);
          ys[k * I * 2 + 1] = S(im * p.scale);
        }
      } else if (p.kind == FftParams::R2C) {
        const S* xs = x + o * n * I + i;
        S* ys = y + (o * h * I + i) * 2;
        for (int64_t k = 0; k < h; ++k) {
          double re = 0, im = 0;
          for (int64_t j = 0; j < n; ++j) {
            int64_t q = (j * k) % n;
            re += double(xs[j * I]) * c[q];
            im -= double(xs[j * I]) * s[q];
          }
          ys[k * I * 2] = S(re * p.scale);
          ys[k * I * 2 + 1] = S(im * p.scale);
        }
      } else {
        // x_j = sum over the full hermitian spectrum of Re(X_k exp(+i theta jk))
        const S* xs = x + (o * m * I + i) * 2;
        S* ys = y + o * n * I + i;
        auto spec = [&](int64_t k, double* re, double* im) {
          bool upper = k > n / 2;
          int64_t kk = upper ? n - k : k;
          if (kk >= m) { *re = 0; *im = 0; return; }
          *re = xs[kk * I * 2];
          *im = (kk == 0 || 2 * kk == n) ? 0.0 : double(xs[kk * I * 2 + 1]);
          if (upper) *im = -*im;
        };
        for (int64_t j = 0; j < n; ++j) {
          double acc = 0;
          for (int64_t k = 0; k < n; ++k) {
            double re, im;
            spec(k, &re, &im);
            int64_t q = (j * k) % n;
            acc += re * c[q] - im * s[q];
          }
          ys[j * I] = S(acc * p.scale);
        }
      }
    }
}

}  // namespace

void dft_reference(DType dt, const char* x, char* out, int64_t O, int64_t n, int64_t I, int64_t m,
                   const FftParams& p) {
  if (dt == DType::F32)
    dft(reinterpret_cast<const float*>(x), reinterpret_cast<float*>(out), O, n, I, m, p);
  else
    dft(reinterpret_cast<const double*>(x), reinterpret_cast<double*>(out), O, n, I, m, p);
}

}  // namespace cpu
}  // namespace tf
