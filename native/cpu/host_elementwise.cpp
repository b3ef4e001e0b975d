// The elementwise entries of the host backends (unary, binary, where, isfinite, copy/cast, fill, sequences): one
// strided loop over the output calling the current backend's rows, split over the pool when the backend threads.
#include "host_backend.h"
#include <cmath>
#include <cstring>
#include "dispatch.h"
#include "strided_loop.h"

namespace tf {
namespace host {

namespace {
int64_t esize(DType dt) { return int64_t(dtype_size(dt)); }

// out[..., i, r] = src[..., i] for r < k: the source walked with its own strides over out's shape less its last
// dim (of size k, stride 0 in the source), each element written k times, in one pass (no intermediate)
template <class E>
void copy_repeat_inner(const Tensor& out, Operand src, int64_t k) {
  Shape ishape(out.shape().begin(), out.shape().end() - 1), ost(out.strides().begin(), out.strides().end() - 1);
  Shape ist(src.strides.begin(), src.strides.end() - 1);
  StridedLoop<2> loop(ishape, {&ost, &ist}, {out.raw_ptr(), src.t.raw_ptr()}, {int64_t(sizeof(E)), int64_t(sizeof(E))});
  loop.run([&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) {
    E* d = reinterpret_cast<E*>(p[0]);
    const E* x = reinterpret_cast<const E*>(p[1]);
    if (k == 2 && s[0] == 2 && s[1] == 1) {  // nearest 2x upsampling's rows: a loop the compiler vectorises
      for (int64_t i = 0; i < n; ++i) { d[2 * i] = x[i]; d[2 * i + 1] = x[i]; }
      return;
    }
    for (int64_t i = 0; i < n; ++i) {
      const E v = x[i * s[1]];
      for (int64_t r = 0; r < k; ++r) d[i * s[0] + r] = v;
    }
  }, std::max<int64_t>(1, 32768 / k));
}

bool strided_copy(const Tensor& out, Operand src) {
  cpu::CastFn fn = backend_kernels().cast[int(src.t.dtype())][int(out.dtype())];
  if (!fn) return false;
  StridedLoop<2> loop(out.shape(), {&out.strides(), &src.strides}, {out.raw_ptr(), src.t.raw_ptr()},
                      {esize(out.dtype()), esize(src.t.dtype())});
  loop.run([&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) { fn(n, p[1], s[1], p[0], s[0]); });
  return true;
}
}  // namespace

bool unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p) {
  cpu::UnaryFn fn = backend_kernels().unary[op][int(x.dtype())];
  if (!fn) return false;
  StridedLoop<2> loop(x.shape(), {&out.strides(), &x.strides()}, {out.raw_ptr(), x.raw_ptr()},
                      {esize(out.dtype()), esize(x.dtype())});
  loop.run([&](const std::array<char*, 2>& pt, const std::array<int64_t, 2>& s, int64_t n) {
    fn(n, pt[1], s[1], pt[0], s[0], &p);
  });
  return true;
}

bool binary(BinaryOp op, const Tensor& out, Operand a, Operand b) {
  cpu::BinaryFn fn = backend_kernels().binary[op][int(a.t.dtype())];
  if (!fn) return false;
  StridedLoop<3> loop(out.shape(), {&out.strides(), &a.strides, &b.strides}, {out.raw_ptr(), a.t.raw_ptr(), b.t.raw_ptr()},
                      {esize(out.dtype()), esize(a.t.dtype()), esize(b.t.dtype())});
  loop.run([&](const std::array<char*, 3>& p, const std::array<int64_t, 3>& s, int64_t n) {
    fn(n, p[1], s[1], p[2], s[2], p[0], s[0]);
  });
  return true;
}

bool where(const Tensor& out, Operand cond, Operand a, Operand b) {
  cpu::WhereFn fn = backend_kernels().where[int(out.dtype())];
  if (!fn) return false;
  int64_t es = esize(out.dtype());
  StridedLoop<4> loop(out.shape(), {&out.strides(), &cond.strides, &a.strides, &b.strides},
                      {out.raw_ptr(), cond.t.raw_ptr(), a.t.raw_ptr(), b.t.raw_ptr()}, {es, 1, es, es});
  loop.run([&](const std::array<char*, 4>& p, const std::array<int64_t, 4>& s, int64_t n) {
    fn(n, p[1], s[1], p[2], s[2], p[3], s[3], p[0], s[0]);
  });
  return true;
}

bool isfinite(const Tensor& out, const Tensor& x) {
  cpu::PredFn fn = backend_kernels().isfinite[int(x.dtype())];
  if (!fn) return false;
  StridedLoop<2> loop(x.shape(), {&out.strides(), &x.strides()}, {out.raw_ptr(), x.raw_ptr()}, {1, esize(x.dtype())});
  loop.run([&](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s, int64_t n) { fn(n, p[1], s[1], p[0], s[0]); });
  return true;
}

bool copy(const Tensor& out, Operand src) {
  const int64_t nd = out.dim();
  const size_t es = dtype_size(out.dtype());
  if (nd >= 2 && src.t.dtype() == out.dtype() && (es == 1 || es == 4 || es == 8) && out.is_contiguous() &&
      src.strides[nd - 1] == 0 && out.shape()[nd - 1] > 1 && out.shape()[nd - 1] <= 16 && out.numel() > 0) {
    // The innermost dim is a short broadcast (nearest upsampling is x[..., W, 1] expanded to [..., W, k]): the
    // general loop would make one kernel call per k elements. Instead walk the k-times-smaller source with its own
    // (longer) rows and write each element k times.
    const int64_t k = out.shape()[nd - 1];
    if (es == 1) copy_repeat_inner<uint8_t>(out, src, k);
    else if (es == 4) copy_repeat_inner<uint32_t>(out, src, k);
    else copy_repeat_inner<uint64_t>(out, src, k);
    return true;
  }
  return strided_copy(out, src);
}

bool fill(const Tensor& out, double v) {
  if (v == 0 && !std::signbit(v) && out.is_contiguous()) {  // zeros: every dtype's zero is all-zero bytes
    std::memset(out.raw_ptr(), 0, size_t(out.numel()) * dtype_size(out.dtype()));
    return true;
  }
  TF_DISPATCH_ALL(out.dtype(), T, {
    const T val = T(v);
    StridedLoop<1> loop(out.shape(), {&out.strides()}, {out.raw_ptr()}, {esize(out.dtype())});
    loop.run([&](const std::array<char*, 1>& p, const std::array<int64_t, 1>& s, int64_t n) {
      T* d = reinterpret_cast<T*>(p[0]);
      if (s[0] == 1) std::fill(d, d + n, val);
      else for (int64_t i = 0; i < n; ++i) d[i * s[0]] = val;
    }, 1 << 16);
  });
  return true;
}

bool sequence(const Tensor& out, double start, double step, bool linspace, double end) {
  const int64_t n = out.numel();
  TF_DISPATCH_ALL(out.dtype(), T, {
    T* p = out.data_ptr<T>();
    // linspace fills from both ends so the last value is exactly `end`
    for (int64_t i = 0; i < n; ++i)
      p[i] = T(!linspace || i < n / 2 ? start + step * double(i) : end - step * double(n - 1 - i));
  });
  return true;
}

}  // namespace host
}  // namespace tf
