// Argument rules shared by the fused steps.
#pragma once
#include <vector>
#include "../ops/ops.h"

namespace tf::fused {

// A contiguous, detached view of `t` after checking it matches `x` (shape, dtype, device) and needs no gradient.
Tensor checked_input(const char* op, const Tensor& t, const Tensor& x);
// `t` broadcast to x's shape (a per-sample [N, 1, ...] tensor, say), contiguous.
Tensor broadcast_input(const char* op, const Tensor& t, const Tensor& x);
// The destination: a new tensor, or the caller's (contiguous, x's shape and dtype; it may be an input itself, but
// not a shifted view of one's memory).
Tensor prepare_out(const char* op, Tensor out, const Tensor& x, const std::vector<Tensor>& inputs);

}  // namespace tf::fused
