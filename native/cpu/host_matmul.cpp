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
  return t.gemm[int(dt)];
}

void gemm_into(DType dt, int64_t M, int64_t N, int64_t K, const char* A, int64_t rsA, int64_t csA, const char* B,
               int64_t rsB, int64_t csB, char* C, int64_t ldc, bool accumulate) {
  cpu::GemmFn fn = gemm_fn(dt);
  TF_CHECK(fn, DType, "GEMM is not available for dtype ", dtype_name(dt));
  int64_t es = int64_t(dtype_size(dt));
  if (M == 0 || N == 0) return;
  if (N >= M) {  // split columns across threads (blocks of 64 keep the micro-tiles full)
    int64_t blocks = (N + 63) / 64;
    parallel_for(0, blocks, std::max<int64_t>(1, 65536 / std::max<int64_t>(M * K * 64, 1)), [&](int64_t lo, int64_t hi) {
      int64_t n0 = lo * 64, n1 = std::min(N, hi * 64);
      fn(M, n1 - n0, K, A, rsA, csA, B + n0 * csB * es, rsB, csB, C + n0 * es, ldc, accumulate);
    });
  } else {
    int64_t blocks = (M + 23) / 24;
    parallel_for(0, blocks, std::max<int64_t>(1, 65536 / std::max<int64_t>(N * K * 24, 1)), [&](int64_t lo, int64_t hi) {
      int64_t m0 = lo * 24, m1 = std::min(M, hi * 24);
      fn(m1 - m0, N, K, A + m0 * rsA * es, rsA, csA, B, rsB, csB, C + m0 * ldc * es, ldc, accumulate);
    });
  }
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
