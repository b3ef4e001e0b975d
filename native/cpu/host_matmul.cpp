// The matmul and softmax entries of the host backends, and the host GEMM driver the other host entries share
// (conv, Winograd, attention): the current backend's GEMM rows, split over the pool by row or column blocks.
#include "host_backend.h"
#include <algorithm>
#include "threadpool.h"
#include "dispatch.h"
#include "../backend/backend.h"
#include "../ops/ops.h"

namespace tf {
namespace host {

cpu::GemmFn gemm_fn(DType dt) {
  const cpu::KernelTable& t = backend_kernels();
  if (dt == DType::F32 && cpu::matmul_precision() == cpu::MatmulPrecision::BF16) {
    if (!current_backend().fast_paths) return &cpu::gemm_bf16_reference;  // 'ref': the model, always
    if (t.gemm_bf16) return t.gemm_bf16;
  }
  // tf32: the model on 'ref' (the oracle the CUDA tensor cores are compared with); the CPU has no tf32 arithmetic
  // and keeps fp32 (the precision is a permission, as in PyTorch)
  if (dt == DType::F32 && cpu::matmul_precision() == cpu::MatmulPrecision::TF32 && !current_backend().fast_paths)
    return &cpu::gemm_tf32_reference;
  return t.gemm[int(dt)];
}

void gemm_into(DType dt, int64_t M, int64_t N, int64_t K, const char* A, int64_t rsA, int64_t csA, const char* B,
               int64_t rsB, int64_t csB, char* C, int64_t ldc, bool accumulate) {
  cpu::GemmFn fn = gemm_fn(dt);
  TF_CHECK(fn, DType, "GEMM is not available for dtype ", dtype_name(dt));
  int64_t es = int64_t(dtype_size(dt));
  if (M == 0 || N == 0) return;
  // A grid of tasks over both M (blocks of 24 rows, a multiple of every micro-tile height) and N (blocks of 64
  // columns, whole micro-tiles): about 4 tasks per thread, each at least ~64K multiply-adds. Splitting one way
  // only capped small and skinny shapes (256^3: four 64-column blocks) at a few threads whatever the pool size.
  // Each output element is computed by one task with the kernel's own K order, so the split never changes a bit.
  const int64_t nb = (N + 63) / 64, mb = (M + 23) / 24;
  const double work = double(M) * double(N) * double(K);
  const int64_t want = std::max<int64_t>(1, std::min<int64_t>(int64_t(num_threads()) * 4, int64_t(work / 65536.0)));
  int64_t tn = std::min(nb, want);
  int64_t tm = std::min(mb, (want + tn - 1) / tn);
  if (N < M) {  // tall: rows first (a task then reads all of B once, as before)
    tm = std::min(mb, want);
    tn = std::min(nb, (want + tm - 1) / tm);
  }
  // A range of task ids [lo, hi) runs as one kernel call per grid row it touches (consecutive tasks of a row are
  // one wider block), so a range run inline (one thread, or from inside a pool task) is a single call that packs
  // A and B once.
  auto row_start = [&](int64_t i) { return std::min(M, mb * i / tm * 24); };
  auto col_start = [&](int64_t j) { return std::min(N, nb * j / tn * 64); };
  parallel_for(0, tm * tn, 1, [&](int64_t lo, int64_t hi) {
    if (lo == 0 && hi == tm * tn) {
      fn(M, N, K, A, rsA, csA, B, rsB, csB, C, ldc, accumulate);
      return;
    }
    for (int64_t i = lo / tn; i * tn < hi; ++i) {
      const int64_t j0 = std::max(lo, i * tn) - i * tn, j1 = std::min(hi, (i + 1) * tn) - i * tn;
      const int64_t m0 = row_start(i), m1 = row_start(i + 1), n0 = col_start(j0), n1 = col_start(j1);
      if (m1 <= m0 || n1 <= n0) continue;
      fn(m1 - m0, n1 - n0, K, A + m0 * rsA * es, rsA, csA, B + n0 * csB * es, rsB, csB, C + (m0 * ldc + n0) * es, ldc,
         accumulate);
    }
  });
}


bool matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  cpu::GemmFn fn = gemm_fn(a.dtype());
  if (!fn) return false;
  const int64_t nd = out.dim() - 2;
  const int64_t M = a.shape()[nd], K = a.shape()[nd + 1], N = b.shape()[nd + 1];
  int64_t nb = 1;
  for (int64_t d = 0; d < nd; ++d) nb *= out.shape()[d];
  const int64_t es = int64_t(dtype_size(a.dtype()));
  auto batch_offset = [&](const Tensor& t, int64_t bi) {
    int64_t off = 0;
    for (int64_t d = nd - 1; d >= 0; --d) { off += (bi % out.shape()[d]) * t.strides()[d]; bi /= out.shape()[d]; }
    return off;
  };
  const int64_t rsA = a.strides()[nd], csA = a.strides()[nd + 1], rsB = b.strides()[nd], csB = b.strides()[nd + 1];
  if (nb == 0 || M == 0 || N == 0) return true;
  double flops = double(M) * double(N) * double(K);
  if (nb >= num_threads() * 2 || flops < 65536.0) {  // many small products: one per task
    parallel_for(0, nb, std::max<int64_t>(1, int64_t(65536.0 / std::max(flops, 1.0))), [&](int64_t lo, int64_t hi) {
      for (int64_t bi = lo; bi < hi; ++bi)
        fn(M, N, K, a.raw_ptr() + batch_offset(a, bi) * es, rsA, csA, b.raw_ptr() + batch_offset(b, bi) * es, rsB,
           csB, out.raw_ptr() + bi * M * N * es, N, 0);
    });
    return true;
  }
  for (int64_t bi = 0; bi < nb; ++bi)
    gemm_into(a.dtype(), M, N, K, a.raw_ptr() + batch_offset(a, bi) * es, rsA, csA,
              b.raw_ptr() + batch_offset(b, bi) * es, rsB, csB, out.raw_ptr() + bi * M * N * es, N, false);
  return true;
}

bool softmax(const Tensor& out, const Tensor& x, bool log) {
  cpu::SoftmaxFn fn = backend_kernels().softmax[int(x.dtype())];
  if (!fn) return false;
  int64_t n = x.dim() ? x.shape().back() : 1;
  int64_t rows = n == 0 ? 0 : x.numel() / n;
  int64_t es = int64_t(dtype_size(x.dtype()));
  parallel_for(0, rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t lo, int64_t hi) {
    fn(x.raw_ptr() + lo * n * es, out.raw_ptr() + lo * n * es, hi - lo, n, log ? 1 : 0);
  });
  return true;
}

}  // namespace host
}  // namespace tf
