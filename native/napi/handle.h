// The JS handle of a tensor: a napi External holding a HandleTable token (tag | generation | slot), never a
// pointer, with a finalizer reference kept in the token's slot. No class, constructor or wrap: making a handle
// is one External and one reference, reading one is napi_get_value_external, and dispose() deletes the
// reference (so no finalizer is left to run) and frees the slot at once, which keeps synchronous loops bounded.
// A handle that is never disposed is freed by its finalizer, which only releases its slot. The accessors
// (shape, dtype, data, dispose, ...) are module functions taking the handle first; lib/tensor.ts calls them.
#pragma once
#include <napi.h>
#include "../core/tensor.h"

namespace tfn {

// Adds the handle functions (shapeOf, dtypeOf, dataOf, dispose, ...) to the addon's exports.
void register_handle_functions(Napi::Env env, Napi::Object exports);
// A new handle owning one reference to t.
Napi::Value new_handle(Napi::Env env, tf::Tensor t);
// The live tensor behind v, or nullptr (v is not a live handle of this environment).
tf::Tensor* handle_tensor(Napi::Env env, napi_value v);
// v is a handle of this environment, live or disposed.
bool is_handle(Napi::Env env, napi_value v);

}  // namespace tfn
