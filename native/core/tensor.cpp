#include "tensor.h"
#include <sstream>
#include <limits>
#include <cmath>

namespace tf {

int64_t Tensor::size(int64_t d) const { return p_->shape[wrap_dim(d, dim())]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (p_->shape[i] == 1) continue;
    if (p_->strides[i] != expected) return false;
    expected *= p_->shape[i];
  }
  return true;
}

int64_t checked_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) {
    TF_CHECK(s >= 0, InvalidSize, "invalid size ", shape_str(shape), ": sizes must be non-negative integers");
    if (s != 0 && n > std::numeric_limits<int64_t>::max() / s)
      fail(ErrorCode::InvalidSize, "invalid size ", shape_str(shape), ": element count overflows");
    n *= s;
  }
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (int64_t i = int64_t(shape.size()) - 1; i >= 0; --i) { st[i] = s; s *= std::max<int64_t>(shape[i], 1); }
  return st;
}

Tensor empty(const Shape& shape, DType dtype, Device dev) {
  int64_t n = checked_numel(shape);
  size_t esz = dtype_size(dtype);
  if (n > 0 && uint64_t(n) > std::numeric_limits<uint64_t>::max() / esz / 2)
    fail(ErrorCode::OutOfMemory, "tensor of shape ", shape_str(shape), " is too large to allocate");
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = Storage::allocate(size_t(n) * esz, dev);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->numel = n;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.storage();
  impl->numel = checked_numel(shape);
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(std::move(impl));
}

Tensor detach(const Tensor& t) { return make_view(t, t.shape(), t.strides(), t.offset()); }

Tensor scalar_tensor(double v, DType dtype) {
  Tensor t = empty({}, dtype);  // on the current call's device
  if (is_host(t.device())) {
    TF_DISPATCH_ALL(dtype, T, *t.data_ptr<T>() = T(v));
  } else {  // device memory is not addressable here: write the value through the device's copy
    TF_DISPATCH_ALL(dtype, T, {
      const T val = T(v);
      copy_bytes(t.raw_ptr(), t.device(), &val, Device::CPU, sizeof(T));
    });
  }
  return t;
}

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < s.size(); ++i) os << (i ? ", " : "") << s[i];
  os << "]";
  return os.str();
}

int64_t wrap_dim(int64_t d, int64_t ndim) {
  int64_t n = ndim == 0 ? 1 : ndim;  // a 0-d tensor accepts dim 0 / -1, like PyTorch
  TF_CHECK(d >= -n && d < n, DimOutOfRange, "dimension ", d, " is out of range for a tensor with ", ndim,
           " dimension(s) (expected a value in [", -n, ", ", n - 1, "])");
  return d < 0 ? d + n : d;
}

}  // namespace tf
