// Factories, copies and dtype conversion.
#include <cmath>
#include <cstring>
#include "ops.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../cpu/dispatch.h"

namespace tf {

Tensor full(const Shape& s, double v, DType dt) {
  Tensor t = empty(s, dt);
  current_backend().fill(t, v);
  return t;
}
Tensor zeros(const Shape& s, DType dt) { return full(s, 0.0, dt); }
Tensor ones(const Shape& s, DType dt) { return full(s, 1.0, dt); }

Tensor arange(double start, double end, double step, DType dt) {
  TF_CHECK(std::isfinite(start) && std::isfinite(end) && std::isfinite(step), InvalidArgument,
           "arange: start, end and step must be finite");
  TF_CHECK(step != 0, InvalidArgument, "arange: step must be non-zero");
  double count = std::ceil((end - start) / step);
  TF_CHECK(count < 9.0e15, InvalidSize, "arange: too many elements");
  int64_t n = count > 0 ? int64_t(count) : 0;
  Tensor t = empty({n}, dt);
  current_backend().sequence(t, start, step, false, end);
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dt) {
  TF_CHECK(steps >= 0, InvalidSize, "linspace: steps must be non-negative, got ", steps);
  Tensor t = empty({steps}, dt);
  current_backend().sequence(t, start, steps > 1 ? (end - start) / double(steps - 1) : 0, true, end);
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dt) {
  Tensor t = zeros({n, m}, dt);
  // the diagonal as a strided view of t, filled with ones
  current_backend().fill(make_view(t, {std::min(n, m)}, {m + 1}, 0), 1.0);
  return t;
}

void copy_into(const Tensor& dst, const Tensor& src) {
  check_same_device(dst, src, "copy");
  Shape bshape = broadcast_shapes(dst.shape(), src.shape());
  TF_CHECK(bshape == dst.shape(), ShapeMismatch, "cannot copy a tensor of shape ", shape_str(src.shape()),
           " into one of shape ", shape_str(dst.shape()));
  Shape sst = broadcast_strides(src, dst.shape());
  TF_CHECK(current_backend().copy(dst, {src, sst}), DType, "copy from ", dtype_name(src.dtype()), " to ",
           dtype_name(dst.dtype()), " is not supported");
}

Tensor from_buffer(const void* data, size_t nbytes, DType src, const Shape& s, DType dt) {
  int64_t n = checked_numel(s);
  TF_CHECK(size_t(n) * dtype_size(src) == nbytes, ShapeMismatch, "data has ", nbytes / dtype_size(src),
           " elements but shape ", shape_str(s), " needs ", n);
  Tensor out = empty(s, dt, Device::CPU);  // host memory: the rows below write it (tensor(data, {device}) moves it)
  if (n == 0) return out;
  if (src == dt) {
    std::memcpy(out.raw_ptr(), data, nbytes);
  } else {
    backend_kernels().cast[int(src)][int(dt)](n, static_cast<const char*>(data), 1, out.raw_ptr(), 1);
  }
  return out;
}

static Tensor copy_op(const Tensor& t, DType dt, const char* name) {
  Tensor out = empty(t.shape(), dt, t.device());
  copy_into(out, t);
  if (is_floating(dt) && compute_requires_grad({&t})) {
    DType src = t.dtype();
    auto node = make_node(name, {t}, [src](FnNode&, const TensorList& g) -> TensorList {
      return {g[0].dtype() == src ? g[0] : to_dtype(g[0], src)};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&t}, [&] { return to_dtype(tangent(t), dt); });
  return out;
}

Tensor contiguous(const Tensor& t) { return t.is_contiguous() ? t : copy_op(t, t.dtype(), "ContiguousBackward"); }
Tensor clone(const Tensor& t) { return copy_op(t, t.dtype(), "CloneBackward"); }
Tensor to_dtype(const Tensor& t, DType dt) {
  if (t.dtype() == dt) return t;
  if (t.requires_grad() && !is_floating(dt)) {
    // Converting to an integer type ends the graph, as in PyTorch.
    return copy_op(detach(t), dt, "ToBackward");
  }
  return copy_op(t, dt, "ToBackward");
}

// A copy on another device (the same tensor when it is already there). Every device stores a contiguous tensor in
// the same layout, so the copy is a byte copy of the contiguous source (through the devices' allocators: memcpy
// between host devices, staged DMA to and from a GPU); the gradient goes back to the source's device.
Tensor to_device(const Tensor& t, Device dev) {
  if (t.device() == dev) return t;
  backend(dev);  // TF_DEVICE for a device this build lacks
  Tensor src = t.is_contiguous() ? t : contiguous(t);
  Tensor out = empty(t.shape(), t.dtype(), dev);
  if (out.numel() > 0)
    copy_bytes(out.raw_ptr(), dev, src.raw_ptr(), src.device(), size_t(out.numel()) * dtype_size(out.dtype()));
  Device from = t.device();
  if (is_floating(t.dtype()) && compute_requires_grad({&t})) {
    auto node = make_node("ToDeviceBackward", {t}, [from](FnNode&, const TensorList& g) -> TensorList {
      return {to_device(g[0], from)};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&t}, [&] { return to_device(tangent(t), dev); });
  return out;
}

}  // namespace tf
