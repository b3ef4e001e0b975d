// The fused steps by name: each entry says how many tensors (the state first; later ones may be undefined where
// optional) and schedule numbers it takes, in the order of lib/samplers/steps.ts. Both front doors (napi's
// fusedStep, the C API's tf_fused_step) run steps through run_step, so the names, counts and checks live once.
#pragma once
#include <string>
#include <vector>
#include "../core/tensor.h"

namespace tf::fused {

// out: undefined (a new tensor) or the tensor to write (see steps.h). TF_INVALID_ARGUMENT for an unknown name
// (listing the known ones) or wrong counts.
Tensor run_step(const std::string& name, const TensorList& tensors, const std::vector<double>& numbers, Tensor out);
std::string step_names();  // comma-separated

}  // namespace tf::fused
