// matmul with PyTorch semantics (1-D promotion, batch broadcasting). Operands are passed to the GEMM kernel
// by strides, so transposed or broadcast inputs are never copied.
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../cpu/dispatch.h"
#include "../cpu/threadpool.h"

namespace tf {

void gemm_into(DType dt, int64_t M, int64_t N, int64_t K, const char* A, int64_t rsA, int64_t csA, const char* B,
               int64_t rsB, int64_t csB, char* C, int64_t ldc, bool accumulate) {
  cpu::GemmFn fn = backend_kernels().gemm[int(dt)];
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

namespace {

Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  int64_t M = a.size(-2), K = a.size(-1), K2 = b.size(-2), N = b.size(-1);
  TF_CHECK(K == K2, ShapeMismatch, "matmul: shapes ", shape_str(a.shape()), " and ", shape_str(b.shape()),
           " cannot be multiplied (", K, " != ", K2, ")");
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(ba, bb);
  Shape sa = batch, sb = batch, so = batch;
  sa.push_back(M); sa.push_back(K);
  sb.push_back(K); sb.push_back(N);
  so.push_back(M); so.push_back(N);
  Tensor ae = expand(detach(a), sa), be = expand(detach(b), sb);
  Tensor out = empty(so, a.dtype());
  cpu::GemmFn fn = backend_kernels().gemm[int(a.dtype())];
  int64_t nb = checked_numel(batch);
  int64_t es = int64_t(dtype_size(a.dtype()));
  int64_t nd = int64_t(batch.size());
  auto batch_offset = [&](const Tensor& t, int64_t bi) {
    int64_t off = 0;
    for (int64_t d = nd - 1; d >= 0; --d) { off += (bi % batch[d]) * t.strides()[d]; bi /= batch[d]; }
    return off;
  };
  const int64_t rsA = ae.strides()[nd], csA = ae.strides()[nd + 1], rsB = be.strides()[nd], csB = be.strides()[nd + 1];
  if (nb == 0 || M == 0 || N == 0) return out;
  double flops = double(M) * double(N) * double(K);
  if (nb >= num_threads() * 2 || flops < 65536.0) {
    parallel_for(0, nb, std::max<int64_t>(1, int64_t(65536.0 / std::max(flops, 1.0))), [&](int64_t lo, int64_t hi) {
      for (int64_t bi = lo; bi < hi; ++bi)
        fn(M, N, K, ae.raw_ptr() + batch_offset(ae, bi) * es, rsA, csA, be.raw_ptr() + batch_offset(be, bi) * es, rsB,
           csB, out.raw_ptr() + bi * M * N * es, N, 0);
    });
    return out;
  }
  for (int64_t bi = 0; bi < nb; ++bi)
    gemm_into(a.dtype(), M, N, K, ae.raw_ptr() + batch_offset(ae, bi) * es, rsA, csA,
              be.raw_ptr() + batch_offset(be, bi) * es, rsB, csB, out.raw_ptr() + bi * M * N * es, N, false);
  return out;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_same_device(a, b, "matmul");
  TF_CHECK(a.dim() >= 1 && b.dim() >= 1, InvalidArgument, "matmul: both arguments need at least 1 dimension, got ",
           shape_str(a.shape()), " and ", shape_str(b.shape()));
  TF_CHECK(a.dtype() == b.dtype(), DType, "matmul: dtypes differ (", dtype_name(a.dtype()), " and ",
           dtype_name(b.dtype()), ")");
  TF_CHECK(is_floating(a.dtype()), DType, "matmul needs float32 or float64 tensors, got ", dtype_name(a.dtype()));
  if (a.dim() == 1 && b.dim() == 1) return reshape(matmul(unsqueeze(a, 0), unsqueeze(b, 1)), {});
  if (a.dim() == 1) return squeeze(matmul(unsqueeze(a, 0), b), {-2});
  if (b.dim() == 1) return squeeze(matmul(a, unsqueeze(b, 1)), {-1});
  Tensor out = matmul_nd(a, b);
  if (compute_requires_grad({&a, &b})) {
    Shape sa = a.shape(), sb = b.shape();
    auto node = make_node("MatmulBackward", {a, b}, [sa, sb](FnNode& n, const TensorList& g) -> TensorList {
      Tensor ga, gb;
      if (n.needs_input_grad(0)) ga = sum_to(matmul(g[0], transpose(n.saved(1), -1, -2)), sa);
      if (n.needs_input_grad(1)) gb = sum_to(matmul(transpose(n.saved(0), -1, -2), g[0]), sb);
      return {ga, gb};
    });
    node->save(a);
    node->save(b);
    set_history(out, node);
  }
  jvp_rule(out, {&a, &b}, [&] { return bilinear_tangent(a, b, [](const Tensor& x, const Tensor& y) { return matmul(x, y); }); });
  return out;
}

}  // namespace tf
