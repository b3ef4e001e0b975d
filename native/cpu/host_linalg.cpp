// The dense factorisation entries of the host backends. 'ref' runs the references (cpu/ref/linalg.cpp, sums in
// double). 'cpu' runs in the tensor's precision, split over the pool by matrix:
//  - Cholesky, right-looking in blocks of kBlock columns: the diagonal block by the column-axpy form (each step
//    subtracts a multiple of the pivot column, kept contiguous, from the rows below: no reductions, so the inner
//    loops vectorise), the panel below it by row substitution, and the trailing matrix by one GEMM (the host GEMM
//    driver) per block;
//  - triangular solves by row substitution, each row of x updated as a whole (an axpy over the k right-hand sides).
#include "host_backend.h"
#include <algorithm>
#include <type_traits>
#include <cmath>
#include <vector>
#include "ref/linalg.h"
#include "threadpool.h"

namespace tf {
namespace host {

namespace {

constexpr int64_t kBlock = 64;

// The lower triangle of the n x n block at a (row stride ld), factored in place (column-axpy form). Returns the
// column of a failed pivot, or -1.
template <typename S>
int64_t chol_block(S* a, int64_t n, int64_t ld, double jitter, S* col, double* bad) {
  for (int64_t j = 0; j < n; ++j) {
    S s = a[j * ld + j] + S(jitter);
    if (!(s > 0) || !std::isfinite(double(s))) { *bad = double(s); return j; }
    S d = std::sqrt(s);
    a[j * ld + j] = d;
    for (int64_t i = j + 1; i < n; ++i) col[i] = a[i * ld + j] /= d;
    // rows below subtract l_ij times the pivot column: a[i][c] -= l_ij l_cj for j < c <= i
    for (int64_t i = j + 1; i < n; ++i) {
      const S lij = col[i];
      S* row = a + i * ld;
      for (int64_t c = j + 1; c <= i; ++c) row[c] -= lij * col[c];
    }
  }
  return -1;
}

// One matrix, blocked. a is copied into l first (jitter applied in the diagonal block's pivots), upper zeroed.
template <typename S>
int64_t chol_one(const S* a, S* l, int64_t n, double jitter, double* bad, std::vector<S>& col, std::vector<S>& neg) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c <= i; ++c) l[i * n + c] = a[i * n + c];
    for (int64_t c = i + 1; c < n; ++c) l[i * n + c] = 0;
  }
  col.resize(static_cast<size_t>(n));
  for (int64_t k0 = 0; k0 < n; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, n - k0), rest = n - k0 - kb;
    int64_t f = chol_block(l + k0 * n + k0, kb, n, jitter, col.data() + k0, bad);
    if (f >= 0) return k0 + f;
    if (rest == 0) break;
    // panel: rows below solve x L11^T = a_i by substitution over the block's columns
    S* L11 = l + k0 * n + k0;
    for (int64_t i = k0 + kb; i < n; ++i) {
      S* x = l + i * n + k0;
      for (int64_t c = 0; c < kb; ++c) {
        S v = x[c];
        for (int64_t d = 0; d < c; ++d) v -= x[d] * L11[c * n + d];
        x[c] = v / L11[c * n + c];
      }
    }
    // trailing: A22 -= L21 L21^T, as A22 += (-L21) L21^T through the GEMM driver (the full square; the upper part
    // it writes is zeroed at the end)
    neg.assign(size_t(rest * kb), S(0));
    for (int64_t i = 0; i < rest; ++i)
      for (int64_t c = 0; c < kb; ++c) neg[i * kb + c] = -l[(k0 + kb + i) * n + k0 + c];
    const char* L21 = reinterpret_cast<const char*>(l + (k0 + kb) * n + k0);
    gemm_into(std::is_same<S, float>::value ? DType::F32 : DType::F64, rest, rest, kb,
              reinterpret_cast<const char*>(neg.data()), kb, 1, L21, 1, n,
              reinterpret_cast<char*>(l + (k0 + kb) * n + k0 + kb), n, true);
  }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = i + 1; c < n; ++c) l[i * n + c] = 0;
  return -1;
}

// Row substitution over rows [r0, r1) of x, using only the columns of op(t) inside that range (the rest were
// applied by the caller). Returns the row of a zero diagonal, or -1.
template <typename S>
int64_t substitute(const S* t, S* x, int64_t n, int64_t k, const TriSolveParams& p, bool lower, int64_t r0,
                   int64_t r1, double* bad) {
  for (int64_t s = r0; s < r1; ++s) {
    const int64_t i = lower ? s : r1 - 1 - (s - r0);
    const S d = t[i * n + i];
    if (d == 0 || !std::isfinite(double(d))) { *bad = double(d); return i; }
    S* xi = x + i * k;
    const int64_t j0 = lower ? r0 : i + 1, j1 = lower ? i : r1;
    for (int64_t j = j0; j < j1; ++j) {
      const S tij = p.transpose ? t[j * n + i] : t[i * n + j];
      const S* xj = x + j * k;
      for (int64_t c = 0; c < k; ++c) xi[c] -= tij * xj[c];
    }
    const S inv = S(1) / d;
    for (int64_t c = 0; c < k; ++c) xi[c] *= inv;
  }
  return -1;
}

// Blocked: rows in blocks of kBlock, each first updated by one GEMM with the rows already solved
// (x_R -= op(t)[R, solved] x_solved), then solved by substitution inside the block.
template <typename S>
int64_t trisolve_one(const S* t, const S* b, S* x, int64_t n, int64_t k, const TriSolveParams& p, double* bad,
                     std::vector<S>& tmp) {
  const bool lower = p.upper == p.transpose;
  if (x != b) std::copy(b, b + n * k, x);
  const DType dt = std::is_same<S, float>::value ? DType::F32 : DType::F64;
  const int64_t nblocks = (n + kBlock - 1) / kBlock;
  for (int64_t q = 0; q < nblocks; ++q) {
    // the q-th block in solving order: from the top for lower, from the bottom for upper
    const int64_t r0 = lower ? q * kBlock : std::max<int64_t>(0, n - (q + 1) * kBlock);
    const int64_t r1 = lower ? std::min(n, r0 + kBlock) : n - q * kBlock;
    const int64_t s0 = lower ? 0 : r1, s1 = lower ? r0 : n;  // the rows already solved
    if (s1 > s0) {
      const int64_t m = r1 - r0, kk = s1 - s0;
      tmp.assign(size_t(m * k), S(0));
      // op(t)[r, c] for r in R, c in the solved rows: t[r][c] (row stride n) or, transposed, t[c][r]
      const S* A = p.transpose ? t + s0 * n + r0 : t + r0 * n + s0;
      const int64_t rsA = p.transpose ? 1 : n, csA = p.transpose ? n : 1;
      gemm_into(dt, m, k, kk, reinterpret_cast<const char*>(A), rsA, csA, reinterpret_cast<const char*>(x + s0 * k), k, 1,
                reinterpret_cast<char*>(tmp.data()), k, false);
      S* xr = x + r0 * k;
      for (int64_t e = 0; e < m * k; ++e) xr[e] -= tmp[e];
    }
    int64_t f = substitute(t, x, n, k, p, lower, r0, r1, bad);
    if (f >= 0) return f;
  }
  return -1;
}

template <typename S>
void run_cholesky(const Tensor& l, const Tensor& a, int64_t batch, int64_t n, double jitter, Verdict* v) {
  const S* A = reinterpret_cast<const S*>(a.raw_ptr());
  S* L = reinterpret_cast<S*>(l.raw_ptr());
  std::vector<Verdict> found(static_cast<size_t>(batch), Verdict{});
  parallel_for(0, batch, std::max<int64_t>(1, 4096 / std::max<int64_t>(n * n, 1)), [&](int64_t lo, int64_t hi) {
    std::vector<S> col, neg;  // scratch shared by this task's matrices
    for (int64_t m = lo; m < hi; ++m) {
      double bad = 0;
      if (chol_one(A + m * n * n, L + m * n * n, n, jitter, &bad, col, neg) >= 0) found[m].flag(kNotPositiveDefinite, m, bad);
    }
  });
  for (const Verdict& f : found) if (f.code) { *v = f; return; }  // the first matrix that failed, whatever the threads
}

template <typename S>
void run_trisolve(const Tensor& x, const Tensor& t, const Tensor& b, int64_t batch, int64_t n, int64_t k,
                  const TriSolveParams& p, Verdict* v) {
  const S* T = reinterpret_cast<const S*>(t.raw_ptr());
  const S* B = reinterpret_cast<const S*>(b.raw_ptr());
  S* X = reinterpret_cast<S*>(x.raw_ptr());
  std::vector<Verdict> found(static_cast<size_t>(batch), Verdict{});
  parallel_for(0, batch, std::max<int64_t>(1, 4096 / std::max<int64_t>(n * (n + k), 1)), [&](int64_t lo, int64_t hi) {
    std::vector<S> tmp;  // scratch shared by this task's matrices
    for (int64_t m = lo; m < hi; ++m) {
      double bad = 0;
      if (trisolve_one(T + m * n * n, B + m * n * k, X + m * n * k, n, k, p, &bad, tmp) >= 0) found[m].flag(kSingular, m, bad);
    }
  });
  for (const Verdict& f : found) if (f.code) { *v = f; return; }
}

}  // namespace

bool cholesky(const Tensor& l, const Tensor& a, int64_t batch, int64_t n, double jitter, Verdict* v) {
  DType dt = a.dtype();
  if (dt != DType::F32 && dt != DType::F64) return false;
  if (!current_backend().fast_paths) {
    const int64_t es = int64_t(dtype_size(dt));
    for (int64_t m = 0; m < batch; ++m) {
      double bad = 0;
      if (cpu::cholesky_reference(dt, a.raw_ptr() + m * n * n * es, l.raw_ptr() + m * n * n * es, n, jitter, &bad)) {
        v->flag(kNotPositiveDefinite, m, bad);
        return true;
      }
    }
    return true;
  }
  if (dt == DType::F32) run_cholesky<float>(l, a, batch, n, jitter, v);
  else run_cholesky<double>(l, a, batch, n, jitter, v);
  return true;
}

bool trisolve(const Tensor& x, const Tensor& t, const Tensor& b, int64_t batch, int64_t n, int64_t k,
              const TriSolveParams& p, Verdict* v) {
  DType dt = t.dtype();
  if (dt != DType::F32 && dt != DType::F64) return false;
  if (!current_backend().fast_paths) {
    const int64_t es = int64_t(dtype_size(dt));
    for (int64_t m = 0; m < batch; ++m) {
      double bad = 0;
      if (cpu::trisolve_reference(dt, t.raw_ptr() + m * n * n * es, b.raw_ptr() + m * n * k * es,
                                  x.raw_ptr() + m * n * k * es, n, k, p, &bad)) {
        v->flag(kSingular, m, bad);
        return true;
      }
    }
    return true;
  }
  if (dt == DType::F32) run_trisolve<float>(x, t, b, batch, n, k, p, v);
  else run_trisolve<double>(x, t, b, batch, n, k, p, v);
  return true;
}

}  // namespace host
}  // namespace tf
