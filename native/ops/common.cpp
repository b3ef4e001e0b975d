#include <algorithm>
#include "ops.h"

namespace tf {

void check_same_device(const Tensor& a, const Tensor& b, const char* op) {
  TF_CHECK(a.device() == b.device(), Device, op, ": tensors are on different devices (", device_name(a.device()),
           " and ", device_name(b.device()), ")");
}

void check_float(const Tensor& x, const char* op) {
  TF_CHECK(is_floating(x.dtype()), DType, op, " needs a floating-point tensor, got ", dtype_name(x.dtype()));
}

Dims normalize_dims(const Dims& dims, int64_t ndim, const char* op) {
  Dims out;
  for (int64_t d : dims) out.push_back(wrap_dim(d, ndim));
  std::sort(out.begin(), out.end());
  for (size_t i = 1; i < out.size(); ++i)
    TF_CHECK(out[i] != out[i - 1], InvalidArgument, op, ": dimension ", out[i], " appears more than once");
  return out;
}

}  // namespace tf
