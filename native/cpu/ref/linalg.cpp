#include "linalg.h"
#include <cmath>
#include <vector>

namespace tf {
namespace cpu {

namespace {

template <typename S>
int chol(const S* a, S* l, int64_t n, double jitter, double* bad) {
  // the symmetric part, rounded to S as the op's contract says (backend.h)
  auto sym = [&](int64_t i, int64_t j) { return double((a[i * n + j] + a[j * n + i]) * S(0.5)); };
  std::vector<double> L(size_t(n * n), 0.0);
  for (int64_t j = 0; j < n; ++j) {
    double s = sym(j, j) + jitter;
    for (int64_t k = 0; k < j; ++k) s -= L[j * n + k] * L[j * n + k];
    if (!(s > 0) || !std::isfinite(s)) { *bad = s; return 1; }
    double d = std::sqrt(s);
    L[j * n + j] = d;
    for (int64_t i = j + 1; i < n; ++i) {
      double v = sym(i, j);
      for (int64_t k = 0; k < j; ++k) v -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = v / d;
    }
  }
  for (int64_t i = 0; i < n * n; ++i) l[i] = S(L[i]);
  return 0;
}

template <typename S>
int trisolve(const S* t, const S* b, S* x, int64_t n, int64_t k, const TriSolveParams& p, double* bad) {
  auto T = [&](int64_t i, int64_t j) { return double(p.transpose ? t[j * n + i] : t[i * n + j]); };
  const bool lower = p.upper == p.transpose;  // op(t) is lower triangular: forward substitution
  std::vector<double> X(size_t(n * k));
  for (int64_t s = 0; s < n; ++s) {
    int64_t i = lower ? s : n - 1 - s;
    double d = T(i, i);
    if (d == 0 || !std::isfinite(d)) { *bad = d; return 2; }
    for (int64_t c = 0; c < k; ++c) {
      double v = b[i * k + c];
      if (lower) for (int64_t j = 0; j < i; ++j) v -= T(i, j) * X[j * k + c];
      else for (int64_t j = i + 1; j < n; ++j) v -= T(i, j) * X[j * k + c];
      X[i * k + c] = v / d;
    }
  }
  for (int64_t i = 0; i < n * k; ++i) x[i] = S(X[i]);
  return 0;
}

}  // namespace

int cholesky_reference(DType dt, const char* a, char* l, int64_t n, double jitter, double* bad) {
  if (dt == DType::F32) return chol(reinterpret_cast<const float*>(a), reinterpret_cast<float*>(l), n, jitter, bad);
  return chol(reinterpret_cast<const double*>(a), reinterpret_cast<double*>(l), n, jitter, bad);
}

int trisolve_reference(DType dt, const char* t, const char* b, char* x, int64_t n, int64_t k, const TriSolveParams& p,
                       double* bad) {
  if (dt == DType::F32)
    return trisolve(reinterpret_cast<const float*>(t), reinterpret_cast<const float*>(b), reinterpret_cast<float*>(x), n, k, p, bad);
  return trisolve(reinterpret_cast<const double*>(t), reinterpret_cast<const double*>(b), reinterpret_cast<double*>(x), n, k, p, bad);
}

}  // namespace cpu
}  // namespace tf
