// The C API's tensor handles: a process-wide table of slots, each with a generation number. A tf_tensor* is the
// slot index and its generation packed into a pointer-sized integer and is never dereferenced, so a released
// (or forged) handle is found out by the table (TF_DISPOSED / TF_INVALID_ARGUMENT) instead of touching freed memory.
// Slots hold a reference count (tf_tensor_retain/release); the tensor is dropped when it reaches zero.
#pragma once
#include <cstddef>
#include "../core/tensor.h"

struct tf_tensor;

namespace tfc {

tf_tensor* new_handle(tf::Tensor t);
// The tensor behind h (a copy of its reference); throws TF_DISPOSED for a released handle, TF_INVALID_ARGUMENT for
// anything that never was a handle. `what` names the argument in the message. h must not be null (see args.h).
tf::Tensor lookup(const tf_tensor* h, const char* what);
void retain(const tf_tensor* h);
void release(const tf_tensor* h);
size_t live_handles();  // for tests of the C API (leaks)

}  // namespace tfc
