#include "handle.h"
#include <cstring>
#include "addon_data.h"
#include "convert.h"
#include "../autograd/node.h"
#include "../ops/ops.h"

namespace tfn {

thread_local AddonData* t_addon __attribute__((tls_model("initial-exec"))) = nullptr;

namespace {

char kHandleKey;  // its address is the secret the constructor checks

void finalize_handle(napi_env env, void* data, void*) {
  if (AddonData* d = addon_data(env)) d->handles.release(reinterpret_cast<uintptr_t>(data));
}

// Adapts a node-addon-api style body to a raw N-API callback (C++ exceptions become JS exceptions).
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
napi_value cb(napi_env env, napi_callback_info ci) {
  tf::CallScope call;  // a handle method is a call too (grad = g notes g's device)
  try {
    Napi::CallbackInfo info(env, ci);
    return F(info);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
}

// The token new_handle() is constructing a handle for. The wrap is made inside the constructor, so V8's
// slack tracking sees the wrap's property and keeps it in the object (no property-array growth per handle).
thread_local HandleTable::Token t_pending __attribute__((tls_model("initial-exec"))) = 0;

Napi::Value Construct(const Napi::CallbackInfo& info) {
  bool ok = info.Length() == 1 && info[0].IsExternal() && info[0].As<Napi::External<void>>().Data() == &kHandleKey &&
            t_pending != 0;
  if (!ok) throw_js(info.Env(), "TF_INVALID_ARGUMENT", "NativeTensor cannot be constructed directly; use tensorfield.tensor()", true);
  HandleTable::Token tok = t_pending;
  t_pending = 0;
  NAPI_THROW_IF_FAILED(info.Env(), napi_wrap(info.Env(), info.This(), reinterpret_cast<void*>(tok), finalize_handle, nullptr, nullptr),
                       Napi::Value());
  return info.This();
}

// The receiver's live tensor: TF_DISPOSED for a disposed handle, TF_INVALID_ARGUMENT for anything else.
tf::Tensor& self(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (tf::Tensor* t = handle_tensor(env, info.This())) return *t;
  if (is_handle(env, info.This())) throw_js(env, "TF_DISPOSED", "this tensor has been disposed and can no longer be used");
  arg_error(env, "the receiver is not a tensor handle");
}

Napi::Array to_array(Napi::Env env, const tf::Shape& s) {
  Napi::Array a = Napi::Array::New(env, s.size());
  for (size_t i = 0; i < s.size(); ++i) a.Set(uint32_t(i), Napi::Number::New(env, double(s[i])));
  return a;
}

Napi::Value Shape(const Napi::CallbackInfo& info) { return to_array(info.Env(), self(info).shape()); }
Napi::Value Strides(const Napi::CallbackInfo& info) { return to_array(info.Env(), self(info).strides()); }
Napi::Value Offset(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(self(info).offset())); }
Napi::Value DType(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), tf::dtype_name(self(info).dtype())); }
Napi::Value Device(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), tf::device_name(self(info).device())); }
Napi::Value Numel(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(self(info).numel())); }
Napi::Value IsContiguous(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), self(info).is_contiguous()); }
Napi::Value IsLeaf(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !self(info).impl()->grad_fn); }
Napi::Value GradFn(const Napi::CallbackInfo& info) {
  auto& fn = self(info).impl()->grad_fn;
  if (!fn) return info.Env().Null();
  return Napi::String::New(info.Env(), fn->name());
}
Napi::Value GetRequiresGrad(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), self(info).requires_grad()); }
Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const tf::Tensor& x = self(info);
  if (!info[0].IsBoolean()) arg_error(env, "requiresGrad must be a boolean");
  bool on = info[0].As<Napi::Boolean>().Value();
  TFN_GUARD(env, { tf::set_requires_grad(x, on); })
  return env.Undefined();
}
Napi::Value GetGrad(const Napi::CallbackInfo& info) {
  const tf::Tensor& g = self(info).impl()->grad;
  if (!g.defined()) return info.Env().Null();
  return new_handle(info.Env(), g);
}
Napi::Value SetGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const tf::Tensor& x = self(info);
  if (info[0].IsNull() || info[0].IsUndefined()) {
    x.impl()->grad = tf::Tensor();
    return env.Undefined();
  }
  tf::Tensor g = tensor_from(env, info[0], "grad");
  TFN_GUARD(env, { tf::set_grad(x, g); })
  return env.Undefined();
}

struct StorageHolder {
  std::shared_ptr<tf::Storage> s;
};
napi_typedarray_type typed_type(tf::DType d) {
  switch (d) {
    case tf::DType::F32: return napi_float32_array;
    case tf::DType::F64: return napi_float64_array;
    case tf::DType::I32: return napi_int32_array;
    case tf::DType::I8: return napi_int8_array;
    case tf::DType::U8: return napi_uint8_array;
  }
  return napi_uint8_array;
}

// Zero-copy view of a contiguous tensor (the view keeps the storage alive); a copy otherwise, or when
// data(true) asks for one (toArray() does, so it never pins native memory until the next GC).
Napi::Value Data(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tf::Tensor x = self(info);
  TFN_GUARD(env, {
    bool want_copy = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
    if (!x.is_contiguous()) x = tf::contiguous(tf::detach(x));
    size_t nbytes = size_t(x.numel()) * tf::dtype_size(x.dtype());
    napi_value ab = nullptr;
    if (nbytes > 0 && want_copy) {
      void* dst = nullptr;
      napi_create_arraybuffer(env, nbytes, &dst, &ab);
      std::memcpy(dst, x.raw_ptr(), nbytes);
    } else if (nbytes > 0) {
      auto* holder = new StorageHolder{x.storage()};
      napi_status st = napi_create_external_arraybuffer(
          env, x.raw_ptr(), nbytes, [](napi_env, void*, void* hint) { delete static_cast<StorageHolder*>(hint); }, holder,
          &ab);
      if (st != napi_ok) {  // runtimes that forbid external buffers: fall back to a copy
        delete holder;
        bool pending = false;
        napi_is_exception_pending(env, &pending);
        if (pending) { napi_value e; napi_get_and_clear_last_exception(env, &e); }
        void* dst = nullptr;
        napi_create_arraybuffer(env, nbytes, &dst, &ab);
        std::memcpy(dst, x.raw_ptr(), nbytes);
      }
    } else {
      void* dst = nullptr;
      napi_create_arraybuffer(env, 0, &dst, &ab);
    }
    napi_value arr;
    napi_create_typedarray(env, typed_type(x.dtype()), size_t(x.numel()), ab, 0, &arr);
    return Napi::Value(env, arr);
  })
  return env.Undefined();
}

Napi::Value Item(const Napi::CallbackInfo& info) {
  const tf::Tensor& x = self(info);
  if (x.numel() != 1)
    throw_js(info.Env(), "TF_SHAPE_MISMATCH", "item() needs a tensor with exactly one element, this one has shape " +
                                                  tf::shape_str(x.shape()));
  double v = 0;
  TF_DISPATCH_ALL(x.dtype(), T, v = double(*x.data_ptr<T>()));
  return Napi::Number::New(info.Env(), v);
}

// Frees the tensor now: the wrap is removed (its finalizer will not run) and the slot released.
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  void* tok = nullptr;
  if (napi_remove_wrap(env, info.This(), &tok) == napi_ok) {
    addon_data(env)->handles.release(reinterpret_cast<uintptr_t>(tok));
    sync_external_memory(env);
  }
  return env.Undefined();
}

Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (handle_tensor(env, info.This())) return Napi::Boolean::New(env, false);
  if (is_handle(env, info.This())) return Napi::Boolean::New(env, true);
  arg_error(env, "the receiver is not a tensor handle");
}

Napi::Value SharesStorage(const Napi::CallbackInfo& info) {
  const tf::Tensor& x = self(info);
  tf::Tensor o = tensor_arg(info, 0, "other");
  return Napi::Boolean::New(info.Env(), x.storage() == o.storage());
}

napi_property_descriptor getter(const char* name, napi_callback get, napi_callback set = nullptr) {
  return {name, nullptr, nullptr, get, set, nullptr, napi_default, nullptr};
}
napi_property_descriptor method(const char* name, napi_callback fn) {
  return {name, nullptr, fn, nullptr, nullptr, nullptr, napi_default_method, nullptr};
}

}  // namespace

Napi::Function define_handle_class(Napi::Env env) {
  const napi_property_descriptor props[] = {
      getter("shape", cb<Shape>),
      getter("strides", cb<Strides>),
      getter("offset", cb<Offset>),
      getter("dtype", cb<DType>),
      getter("device", cb<Device>),
      getter("numel", cb<Numel>),
      getter("isLeaf", cb<IsLeaf>),
      getter("gradFn", cb<GradFn>),
      getter("isDisposed", cb<IsDisposed>),
      getter("requiresGrad", cb<GetRequiresGrad>, cb<SetRequiresGrad>),
      getter("grad", cb<GetGrad>, cb<SetGrad>),
      method("isContiguous", cb<IsContiguous>),
      method("data", cb<Data>),
      method("item", cb<Item>),
      method("dispose", cb<Dispose>),
      method("sharesStorage", cb<SharesStorage>),
  };
  napi_value ctor;
  NAPI_THROW_IF_FAILED(env, napi_define_class(env, "NativeTensor", NAPI_AUTO_LENGTH, cb<Construct>, nullptr,
                                              sizeof(props) / sizeof(props[0]), props, &ctor),
                       Napi::Function());
  AddonData* d = addon_data(env);
  d->handle_ctor = Napi::Persistent(Napi::Function(env, ctor));
  d->handle_key = Napi::Persistent(Napi::External<void>::New(env, &kHandleKey));
  return Napi::Function(env, ctor);
}

Napi::Value new_handle(Napi::Env env, tf::Tensor t) {
  AddonData* d = addon_data(env);
  napi_value key = d->handle_key.Value();
  napi_value obj;
  HandleTable::Token tok = d->handles.add(std::move(t));
  t_pending = tok;
  napi_status st = napi_new_instance(env, d->handle_ctor.Value(), 1, &key, &obj);
  if (st != napi_ok || t_pending != 0) {  // the constructor did not take the token: nothing holds it
    t_pending = 0;
    d->handles.release(tok);
    NAPI_THROW_IF_FAILED(env, st == napi_ok ? napi_generic_failure : st, Napi::Value());
  }
  sync_external_memory(env);
  return Napi::Value(env, obj);
}

tf::Tensor* handle_tensor(Napi::Env env, napi_value v) {
  void* tok = nullptr;
  if (napi_unwrap(env, v, &tok) != napi_ok) return nullptr;
  return addon_data(env)->handles.get(reinterpret_cast<uintptr_t>(tok));
}

bool is_handle(Napi::Env env, napi_value v) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_object) return false;
  if (handle_tensor(env, v)) return true;
  // Only a disposed handle (or a foreign object) gets here: instanceof is the slow, rare path.
  bool yes = false;
  if (napi_instanceof(env, v, addon_data(env)->handle_ctor.Value(), &yes) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);  // a Proxy's trap may throw: not a tensor, and not our error
    if (pending) { napi_value e; napi_get_and_clear_last_exception(env, &e); }
    return false;
  }
  return yes;
}

}  // namespace tfn
