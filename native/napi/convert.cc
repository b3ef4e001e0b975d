#include "convert.h"
#include <cmath>
#include "addon_data.h"
#include "handle.h"

namespace tfn {

void throw_js(Napi::Env env, const char* code, const std::string& msg, bool type_error) {
  Napi::Error e = type_error ? Napi::TypeError::New(env, msg) : Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, code));
  e.Set("name", Napi::String::New(env, type_error ? "TypeError" : "TensorfieldError"));
  throw e;
}

void arg_error(Napi::Env env, const std::string& msg) { throw_js(env, "TF_INVALID_ARGUMENT", msg, true); }

bool is_tensor(Napi::Env env, const Napi::Value& v) { return is_handle(env, v); }

tf::Tensor tensor_from(Napi::Env env, const Napi::Value& v, const char* what) {
  if (tf::Tensor* t = handle_tensor(env, v)) {
    TFN_GUARD(env, { tf::note_call_device(t->device()); })
    return *t;
  }
  if (is_handle(env, v)) throw_js(env, "TF_DISPOSED", "this tensor has been disposed and can no longer be used");
  arg_error(env, std::string("expected a Tensor for ") + what);
}

tf::Tensor tensor_arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  return tensor_from(info.Env(), info[i], what);
}

tf::Tensor tensor_or_scalar(const Napi::CallbackInfo& info, size_t i, const tf::Tensor* like) {
  Napi::Value v = info[i];
  if (v.IsNumber() || v.IsBoolean()) {
    double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : (v.As<Napi::Boolean>().Value() ? 1 : 0);
    tf::DType dt = tf::DType::F32;
    if (like) {
      bool integral = std::isfinite(d) && std::floor(d) == d;
      dt = tf::is_floating(like->dtype()) || integral ? like->dtype() : tf::DType::F32;
      if (!tf::is_floating(dt) && (d < -2147483648.0 || d > 2147483647.0)) dt = tf::DType::F64;
    }
    return tf::scalar_tensor(d, dt);
  }
  return tensor_from(info.Env(), v, "operand (a Tensor or a number)");
}

double num_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) arg_error(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
double num_or(const Napi::CallbackInfo& info, size_t i, double dflt, const char* name) {
  if (info[i].IsUndefined() || info[i].IsNull()) return dflt;
  return num_arg(info, i, name);
}

int64_t int_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = num_arg(info, i, name);
  if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) > 9007199254740991.0)
    throw_js(info.Env(), "TF_INVALID_ARGUMENT", std::string(name) + " must be an integer, got " + std::to_string(d), true);
  return int64_t(d);
}
int64_t int_or(const Napi::CallbackInfo& info, size_t i, int64_t dflt, const char* name) {
  if (info[i].IsUndefined() || info[i].IsNull()) return dflt;
  return int_arg(info, i, name);
}
bool bool_or(const Napi::CallbackInfo& info, size_t i, bool dflt) {
  if (info[i].IsUndefined() || info[i].IsNull()) return dflt;
  if (!info[i].IsBoolean()) arg_error(info.Env(), "expected a boolean");
  return info[i].As<Napi::Boolean>().Value();
}

static int64_t size_value(Napi::Env env, const Napi::Value& v, const char* name, bool allow_minus_one) {
  if (!v.IsNumber()) throw_js(env, "TF_INVALID_SIZE", std::string(name) + ": sizes must be numbers", true);
  double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::floor(d) != d)
    throw_js(env, "TF_INVALID_SIZE", std::string(name) + ": sizes must be finite integers, got " + std::to_string(d));
  if (d < 0 && !(allow_minus_one && d == -1))
    throw_js(env, "TF_INVALID_SIZE", std::string(name) + ": sizes must be non-negative, got " + std::to_string(int64_t(d)));
  if (d > 9007199254740991.0) throw_js(env, "TF_INVALID_SIZE", std::string(name) + ": size too large");
  return int64_t(d);
}

int64_t size_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return size_value(info.Env(), info[i], name, false);
}

tf::Shape shape_arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool allow_minus_one) {
  Napi::Env env = info.Env();
  Napi::Value v = info[i];
  tf::Shape s;
  if (v.IsNumber()) { s.push_back(size_value(env, v, name, allow_minus_one)); return s; }
  if (!v.IsArray()) throw_js(env, "TF_INVALID_SIZE", std::string(name) + " must be an array of sizes", true);
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > uint32_t(tf::kMaxDims))
    throw_js(env, "TF_INVALID_SIZE", std::string(name) + ": at most " + std::to_string(tf::kMaxDims) + " dimensions");
  for (uint32_t k = 0; k < a.Length(); ++k) s.push_back(size_value(env, a.Get(k), name, allow_minus_one));
  return s;
}

tf::Dims dims_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = info[i];
  tf::Dims d;
  if (v.IsUndefined() || v.IsNull()) return d;
  if (v.IsNumber()) { d.push_back(int_arg(info, i, name)); return d; }
  if (!v.IsArray()) arg_error(info.Env(), std::string(name) + " must be a number or an array of numbers");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() > uint32_t(tf::kMaxDims)) arg_error(info.Env(), std::string(name) + ": too many entries");
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value e = a.Get(k);
    if (!e.IsNumber()) arg_error(info.Env(), std::string(name) + " entries must be integers");
    double x = e.As<Napi::Number>().DoubleValue();
    if (!std::isfinite(x) || std::floor(x) != x || std::fabs(x) > 9007199254740991.0)
      arg_error(info.Env(), std::string(name) + " entries must be integers");
    d.push_back(int64_t(x));
  }
  return d;
}

tf::DType dtype_or(const Napi::CallbackInfo& info, size_t i, tf::DType dflt) {
  if (info[i].IsUndefined() || info[i].IsNull()) return dflt;
  if (!info[i].IsString()) throw_js(info.Env(), "TF_DTYPE", "dtype must be a string", true);
  std::string s = info[i].As<Napi::String>().Utf8Value();
  tf::DType dt;
  if (!tf::parse_dtype(s.c_str(), &dt))
    throw_js(info.Env(), "TF_DTYPE", "unknown dtype '" + s + "' (float32, float64, int32, int8, uint8)");
  return dt;
}

tf::Device device_or(const Napi::CallbackInfo& info, size_t i) {
  if (info[i].IsUndefined() || info[i].IsNull()) return tf::Device::CPU;
  if (!info[i].IsString()) throw_js(info.Env(), "TF_DEVICE", "device must be a string", true);
  std::string s = info[i].As<Napi::String>().Utf8Value();
  tf::Device d;
  if (!tf::parse_device(s.c_str(), &d)) throw_js(info.Env(), "TF_DEVICE", "unknown device '" + s + "' (this build has: cpu, ref)", true);
  return d;
}

std::string string_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsString()) arg_error(info.Env(), std::string(name) + " must be a string");
  return info[i].As<Napi::String>().Utf8Value();
}

tf::TensorList tensor_list_arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool allow_null) {
  Napi::Env env = info.Env();
  if (!info[i].IsArray()) arg_error(env, std::string(name) + " must be an array of Tensors");
  Napi::Array a = info[i].As<Napi::Array>();
  // A sparse array can declare 2^32 - 1 entries without holding them: refuse absurd lengths up front rather
  // than walk every hole (a list of nulls is valid for gradients, so the walk alone would not stop early).
  if (a.Length() > kMaxTensorList)
    arg_error(env, std::string(name) + ": a list of " + std::to_string(a.Length()) + " entries is longer than the " +
                       std::to_string(kMaxTensorList) + " supported");
  tf::TensorList out;
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value v = a.Get(k);
    if (allow_null && (v.IsNull() || v.IsUndefined())) { out.emplace_back(); continue; }
    out.push_back(tensor_from(env, v, name));
  }
  return out;
}

void sync_external_memory(Napi::Env env, bool force) {
  AddonData* d = addon_data(env);
  if (!d) return;
  int64_t now = tf::thread_external_bytes();
  int64_t delta = now - d->reported_bytes;
  if (force || delta > (1 << 20) || delta < -(1 << 20)) {
    Napi::MemoryManagement::AdjustExternalMemory(env, delta);
    d->reported_bytes = now;
  }
}

Napi::Value wrap(Napi::Env env, tf::Tensor t) { return new_handle(env, std::move(t)); }

// conv args at i..i+3: stride [sh, sw], padding [ph, pw], dilation [dh, dw], groups
tf::Conv2dParams conv_params(const Napi::CallbackInfo& info, size_t i) {
  tf::Conv2dParams p;
  auto pair = [&](size_t k, int64_t* a, int64_t* b, int64_t dflt, const char* name) {
    tf::Dims d = dims_arg(info, k, name);
    if (d.empty()) { *a = *b = dflt; return; }
    if (d.size() == 1) { *a = *b = d[0]; return; }
    if (d.size() != 2) arg_error(info.Env(), std::string(name) + " must be a number or [h, w]");
    *a = d[0]; *b = d[1];
  };
  pair(i, &p.stride_h, &p.stride_w, 1, "stride");
  pair(i + 1, &p.pad_h, &p.pad_w, 0, "padding");
  pair(i + 2, &p.dil_h, &p.dil_w, 1, "dilation");
  p.groups = int_or(info, i + 3, 1, "groups");
  return p;
}

}  // namespace tfn
