// In-place updates for optimizers and buffers. They bump the storage version (so autograd notices a saved
// tensor was overwritten) and are refused on tensors that need gradients while grad mode is on.
#include "ops.h"
#include "../backend/backend.h"
#include "../autograd/grad_mode.h"
#include "../autograd/forward_ad.h"

namespace tf {

namespace {

void check_inplace(const Tensor& dst, const char* op) {
  TF_CHECK(!(GradMode::enabled() && dst.requires_grad()), InPlace, op, ": in-place update of a tensor that requires "
           "grad; do it inside noGrad (as optimizers do) or on a detached tensor");
  TF_CHECK(!tangent(dst).defined(), InPlace, op, ": in-place update of a tensor that carries a forward-mode tangent");
  // A broadcast (stride-0) destination would write one element many times.
  for (int64_t d = 0; d < dst.dim(); ++d)
    TF_CHECK(dst.strides()[d] != 0 || dst.shape()[d] <= 1, InPlace, op,
             ": the destination is an expanded view; several elements share memory");
}

void binary_inplace(BinaryOp op, const Tensor& dst, const Tensor& src0) {
  check_same_device(dst, src0, "in-place op");
  Tensor src = src0.dtype() == dst.dtype() ? src0 : to_dtype(detach(src0), dst.dtype());
  Shape b = broadcast_shapes(dst.shape(), src.shape());
  TF_CHECK(b == dst.shape(), ShapeMismatch, "in-place op: source of shape ", shape_str(src.shape()),
           " does not broadcast to the destination's shape ", shape_str(dst.shape()));
  Shape ss = broadcast_strides(src, dst.shape());
  TF_CHECK(current_backend().binary(op, dst, {dst, dst.strides()}, {src, ss}), DType,
           "in-place op does not support dtype ", dtype_name(dst.dtype()));
  dst.storage()->version++;
}

}  // namespace

void add_(const Tensor& dst, const Tensor& src, double alpha) {
  check_inplace(dst, "add_");
  GradModeGuard off(false);
  binary_inplace(B_ADD, dst, alpha == 1.0 ? src : mul_scalar(detach(src), alpha));
}

void mul_(const Tensor& dst, const Tensor& src) {
  check_inplace(dst, "mul_");
  GradModeGuard off(false);
  binary_inplace(B_MUL, dst, src);
}

void copy_(const Tensor& dst, const Tensor& src) {
  check_inplace(dst, "copy_");
  copy_into(dst, src);
  dst.storage()->version++;
}

void fill_(const Tensor& dst, double v) {
  check_inplace(dst, "fill_");
  copy_into(dst, scalar_tensor(v, dst.dtype()));
  dst.storage()->version++;
}

}  // namespace tf
