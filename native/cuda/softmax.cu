// Softmax and log-softmax of the contiguous rows of x (the last dim), as the CPU reference computes them: the
// row maximum (an all -inf row uses 0, so the result is NaN as in PyTorch), the sum of exp(x - max) in double, then
// exp(x - max) / sum or x - max - log(sum). One block per row, its threads striding over the row and combining
// in a fixed tree (deterministic).
#include "common.cuh"
#include "entries.h"

namespace tf {
namespace cuda {

namespace {

struct MaxOp {
  __device__ double operator()(double a, double b) const { return b > a ? b : a; }
};
struct AddOp {
  __device__ double operator()(double a, double b) const { return a + b; }
};

template <class T>
__global__ void softmax_rows(const T* x, T* y, int64_t n, bool log) {
  __shared__ double shared[2];
  const T* X = x + int64_t(blockIdx.x) * n;
  T* Y = y + int64_t(blockIdx.x) * n;
  double m = -INFINITY;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) m = double(X[i]) > m ? double(X[i]) : m;
  m = block_reduce(m, MaxOp{});
  if (threadIdx.x == 0) shared[0] = (isinf(m) && m < 0) ? 0.0 : m;
  __syncthreads();
  m = shared[0];
  double s = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += exp(double(X[i]) - m);
  s = block_reduce(s, AddOp{});
  if (threadIdx.x == 0) shared[1] = s;
  __syncthreads();
  s = shared[1];
  if (log) {
    const double ls = ::log(s);
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) Y[i] = T(double(X[i]) - m - ls);
  } else {
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) Y[i] = T(exp(double(X[i]) - m) / s);
  }
}

}  // namespace

bool softmax(const Tensor& out, const Tensor& x, bool log) {
  const int64_t n = x.dim() ? x.shape().back() : 1;
  const int64_t rows = n == 0 ? 0 : x.numel() / n;
  if (rows == 0) return true;
  TF_CHECK(rows <= 2147483647, NotImplemented, "softmax on cuda: more than 2^31 - 1 rows");
  const int threads = n >= 1024 ? 512 : n >= 256 ? 256 : 64;
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    softmax_rows<T><<<unsigned(rows), threads, 0, stream()>>>(ptr<T>(x), ptr<T>(out), n, log);
    check_launch("softmax");
    return true;
  });
  return false;
}

}  // namespace cuda
}  // namespace tf
