// The reduction and scan entries of the host backends: x viewed as [O, R, I] (contiguous), reduced or scanned
// over R, split over the pool by output blocks (and, for one long vector, by chunks of R reduced again).
#include "host_backend.h"
#include <algorithm>
#include "threadpool.h"

namespace tf {
namespace host {

bool reduce(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I) {
  cpu::ReduceFn fn = backend_kernels().reduce[op][int(x.dtype())];
  if (!fn) return false;
  int64_t es = int64_t(dtype_size(x.dtype())), eo = int64_t(dtype_size(out.dtype()));
  const char* src = x.raw_ptr();
  char* dst = out.raw_ptr();
  bool splittable = op == R_SUM || op == R_MAX || op == R_MIN;
  if (O == 1 && I == 1 && splittable && R >= (1 << 16) && num_threads() > 1) {
    // one long vector: reduce chunks in parallel, then reduce the partials with the same kernel
    int64_t parts = std::min<int64_t>(num_threads() * 4, R / (1 << 14));
    Tensor partial = empty({parts}, x.dtype(), x.device());
    char* pp = partial.raw_ptr();
    parallel_for(0, parts, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t c = lo; c < hi; ++c) {
        int64_t a = R * c / parts, b = R * (c + 1) / parts;
        fn(src + a * es, b - a, 1, 1, pp + c * es);
      }
    });
    fn(pp, parts, 1, 1, dst);
    return true;
  }
  if (op == R_SUM && I == 1 && R >= 2 && R <= 8 && O >= 1024 && is_floating(x.dtype())) {
    // Many short rows (the gradient of a k x k nearest upsampling sums [.., W, k] over k): one kernel call per
    // output would cost more than its k adds, so add the R strided columns, one add row per column over a block
    // of outputs: ((x0 + x1) + x2) ..., the order of the sum kernel's own float loop.
    cpu::BinaryFn add = backend_kernels().binary[B_ADD][int(x.dtype())];
    if (add) {
      parallel_for(0, O, 4096, [&](int64_t lo, int64_t hi) {
        const char* b = src + lo * R * es;
        char* d = dst + lo * eo;
        add(hi - lo, b, R, b + es, R, d, 1);
        for (int64_t r = 2; r < R; ++r) add(hi - lo, d, 1, b + r * es, R, d, 1);
      });
      return true;
    }
  }
  int64_t ichunk = I >= 1024 ? 256 : I;
  int64_t nichunks = (I + ichunk - 1) / ichunk;
  int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(R * ichunk, 1));
  parallel_for(0, O * nichunks, grain, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      int64_t o = t / nichunks, ic = t % nichunks;
      int64_t i0 = ic * ichunk, ni = std::min(ichunk, I - i0);
      fn(src + (o * R * I + i0) * es, R, ni, I, dst + (o * I + i0) * eo);
    }
  });
  return true;
}

bool cumsum(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I) {
  cpu::ScanFn fn = backend_kernels().cumsum[int(x.dtype())];
  if (!fn) return false;
  int64_t es = int64_t(dtype_size(x.dtype()));
  parallel_for(0, O, std::max<int64_t>(1, 32768 / std::max<int64_t>(R * I, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t o = lo; o < hi; ++o) fn(x.raw_ptr() + o * R * I * es, R, I, I, out.raw_ptr() + o * R * I * es);
  });
  return true;
}

}  // namespace host
}  // namespace tf
