// The JS handle of a tensor: a plain object of class NativeTensor (no ObjectWrap, no type tag), napi_wrap'ed
// with a HandleTable token. dispose() removes the wrap and frees the slot at once, so a disposed handle leaves
// nothing for a finalizer to do and synchronous loops stay bounded; a handle that is never disposed is freed
// by its finalizer, which only releases its slot.
#pragma once
#include <napi.h>
#include "../core/tensor.h"

namespace tfn {

// Defines the NativeTensor class (accessors, methods) and keeps it in the environment's AddonData.
Napi::Function define_handle_class(Napi::Env env);
// A new handle owning one reference to t.
Napi::Value new_handle(Napi::Env env, tf::Tensor t);
// The live tensor behind v, or nullptr (v is not a live handle of this environment).
tf::Tensor* handle_tensor(Napi::Env env, napi_value v);
// v is a NativeTensor of this environment, live or disposed.
bool is_handle(Napi::Env env, napi_value v);

}  // namespace tfn
