// The rules for a tensor's requiresGrad and .grad, in the engine so the N-API and any later C API share them.
#include "ops.h"
#include "../autograd/node.h"

namespace tf {

void set_requires_grad(const Tensor& x, bool on) {
  if (!x.impl()->grad_fn) {
    if (on && !is_floating(x.dtype()))
      throw Error(ErrorCode::DType, std::string("only floating-point tensors can require gradients, this one is ") +
                                        dtype_name(x.dtype()));
    x.impl()->requires_grad = on;
  } else if (!on) {
    throw Error(ErrorCode::Autograd, "requiresGrad can only be turned off on leaf tensors; use detach() for a result");
  }
}

void set_grad(const Tensor& x, const Tensor& g) {
  if (g.shape() != x.shape())
    throw Error(ErrorCode::ShapeMismatch, "grad has shape " + shape_str(g.shape()) + " but the tensor has shape " +
                                              shape_str(x.shape()));
  if (g.dtype() != x.dtype())
    throw Error(ErrorCode::DType, std::string("grad has dtype ") + dtype_name(g.dtype()) + " but the tensor has dtype " +
                                      dtype_name(x.dtype()));
  x.impl()->grad = g;
}

}  // namespace tf
