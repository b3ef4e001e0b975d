// Fused ops keep a composite definition (the same function written with engine ops). Where a fused kernel
// has no rule of its own — the backward of its backward, or forward mode — these helpers run the composite
// instead, which is exact to every order. TENSORFIELD_DEBUG=1 reports each fallback once per op.
#pragma once
#include <functional>
#include "node.h"

namespace tf {

void note_composite_fallback(const char* op, const char* what);

// Inside a backward that runs with grad mode on (createGraph): the gradients of composite() with respect to
// the node's inputs that need them, with their own history. `inputs` are the node's (saved) inputs in order.
TensorList composite_vjp(FnNode& node, const TensorList& inputs, const Tensor& grad,
                         const std::function<Tensor()>& composite, const char* op);

// When an input carries a tangent: sets out's tangent to that of composite() run in forward mode.
void composite_jvp(const Tensor& out, const TensorList& inputs, const std::function<Tensor()>& composite,
                   const char* op);

}  // namespace tf
