// The dense factorisation entries of the host backends. 'ref' runs the references (cpu/ref/linalg.cpp, sums in
// double). 'cpu' runs in the tensor's precision, split over the pool by matrix:
//  - Cholesky, right-looking in blocks of kBlock columns: the diagonal block by the kernel table's chol_block row
//    (Crout by columns, per ISA: cpu/simd/linalg.inc), the panel below it by row substitution, and the trailing
//    matrix by one GEMM (the host GEMM driver) per block;
//  - triangular solves in blocks of kBlock rows: one GEMM with the rows already solved, then the table's
//    tri_subst row inside the block.
#include "host_backend.h"
#include <algorithm>
#include <type_traits>
#include <vector>
#include "ref/linalg.h"
#include "dispatch.h"
#include "threadpool.h"

namespace tf {
namespace host {

namespace {

constexpr int64_t kBlock = 64;

// The kernel-table rows of an element type (float32 [0], float64 [1]).
template <typename S> constexpr int la_row() { return std::is_same<S, float>::value ? 0 : 1; }

// One matrix, blocked. a's symmetric part is copied into l first (jitter applied in the diagonal block's pivots),
// upper zeroed.
template <typename S>
int64_t chol_one(const S* a, S* l, int64_t n, double jitter, double* bad, std::vector<S>& work, std::vector<S>& neg) {
  const cpu::KernelTable& kt = cpu::kernels();
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t c = 0; c <= i; ++c) l[i * n + c] = (a[i * n + c] + a[c * n + i]) * S(0.5);
    for (int64_t c = i + 1; c < n; ++c) l[i * n + c] = 0;
  }
  work.resize(static_cast<size_t>(kt.chol_work[la_row<S>()](std::min(kBlock, n))));
  for (int64_t k0 = 0; k0 < n; k0 += kBlock) {
    const int64_t kb = std::min(kBlock, n - k0), rest = n - k0 - kb;
    int64_t f = kt.chol_block[la_row<S>()](reinterpret_cast<char*>(l + k0 * n + k0), kb, n, jitter,
                                           reinterpret_cast<char*>(work.data()), bad);
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
    int64_t f = cpu::kernels().tri_subst[la_row<S>()](reinterpret_cast<const char*>(t), reinterpret_cast<char*>(x), n, k,
                                                      p.transpose, lower, r0, r1, bad);
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
    std::vector<S> work, neg;  // scratch shared by this task's matrices
    for (int64_t m = lo; m < hi; ++m) {
      double bad = 0;
      if (chol_one(A + m * n * n, L + m * n * n, n, jitter, &bad, work, neg) >= 0) found[m].flag(kNotPositiveDefinite, m, bad);
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
