// Argument conversion and error mapping between JS values and the engine. All JS-facing validation of
// types (not shapes: those are the engine's) lives here.
#pragma once
#include <napi.h>
#include <cmath>
#include <string>
#include <vector>
#include "../core/tensor.h"
#include "../ops/ops.h"

namespace tfn {

// Throws a JS Error with .code from an engine error.
[[noreturn]] void throw_js(Napi::Env env, const char* code, const std::string& msg, bool type_error = false);
[[noreturn]] void arg_error(Napi::Env env, const std::string& msg);

tf::Tensor tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* what = "argument");
bool is_tensor(Napi::Env env, const Napi::Value& v);
tf::Tensor tensor_from(Napi::Env env, const Napi::Value& v, const char* what);
// A tensor, or a JS number turned into a 0-d tensor whose dtype follows `like` (PyTorch's scalar rule).
tf::Tensor tensor_or_scalar(const Napi::CallbackInfo& info, size_t i, const tf::Tensor* like);
double num_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
double num_or(const Napi::CallbackInfo& info, size_t i, double dflt, const char* name);
int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
int64_t int_or(const Napi::CallbackInfo& info, size_t i, int64_t dflt, const char* name);
bool bool_or(const Napi::CallbackInfo& info, size_t i, bool dflt);
// One count (linspace steps, eye sizes): a non-negative integer, else TF_INVALID_SIZE like a shape entry.
int64_t size_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
tf::Shape shape_arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool allow_minus_one = false);
// number | number[] | null/undefined (-> empty: "all dims")
tf::Dims dims_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
tf::DType dtype_or(const Napi::CallbackInfo& info, size_t i, tf::DType dflt);
// A factory's device argument: undefined or null is 'cpu'; an unknown name is TF_DEVICE.
tf::Device device_or(const Napi::CallbackInfo& info, size_t i);
std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name);
constexpr uint32_t kMaxTensorList = 1u << 24;  // longest list of tensors an op accepts
tf::TensorList tensor_list_arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool allow_null = false);

// conv args at i..i+3: stride, padding, dilation (each a number or [h, w]), groups
tf::Conv2dParams conv_params(const Napi::CallbackInfo& info, size_t i);

Napi::Value wrap(Napi::Env env, tf::Tensor t);  // new JS tensor handle
// Tells V8 how much native memory this thread's tensors hold (cheap: only past a threshold).
void sync_external_memory(Napi::Env env, bool force = false);

}  // namespace tfn

// Wraps a binding body: engine errors become JS errors with stable codes; nothing escapes as a crash.
#define TFN_GUARD(ENV, ...)                                                                      \
  try {                                                                                           \
    __VA_ARGS__                                                                                   \
  } catch (const Napi::Error&) {                                                                  \
    throw;                                                                                        \
  } catch (const tf::Error& e) {                                                                  \
    ::tfn::throw_js(ENV, tf::error_code_name(e.code()), e.what(), false);                         \
  } catch (const std::bad_alloc&) {                                                               \
    ::tfn::throw_js(ENV, "TF_OUT_OF_MEMORY", "out of memory", false);                             \
  } catch (const std::exception& e) {                                                             \
    ::tfn::throw_js(ENV, "TF_INTERNAL", std::string("internal error: ") + e.what(), false);       \
  }

// A binding body that returns a value: engine errors become JS errors; falls through to undefined.
// One call (core/context.h CallScope): the tensor arguments set the device the call runs on.
#define GUARDED(...)               \
  Napi::Env env = info.Env();      \
  tf::CallScope tfn_call_scope_;   \
  TFN_GUARD(env, __VA_ARGS__)      \
  return env.Undefined();
