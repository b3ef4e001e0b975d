#include "handle.h"
#include <cstring>
#include "addon_data.h"
#include "convert.h"
#include "../autograd/node.h"
#include "../ops/ops.h"

namespace tfn {

thread_local AddonData* t_addon TF_TLS_MODEL = nullptr;

namespace {

// A handle's token, or 0 when v is not an External (any other value; it sets no JS exception). A foreign
// External's pointer lacks the table's tag, so HandleTable refuses it.
HandleTable::Token token_of(napi_env env, napi_value v) {
  void* p = nullptr;
  return napi_get_value_external(env, v, &p) == napi_ok ? reinterpret_cast<uintptr_t>(p) : 0;
}

// Runs only for a handle that was never disposed (dispose deletes the reference first).
void finalize_handle(napi_env env, void* data, void*) {
  AddonData* d = addon_data(env);
  if (!d) return;  // the environment is being torn down: Node frees its references itself
  if (napi_ref r = d->handles.release(reinterpret_cast<uintptr_t>(data))) napi_delete_reference(env, r);
}

// Adapts a node-addon-api style body to a raw N-API callback (C++ exceptions become JS exceptions).
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
napi_value cb(napi_env env, napi_callback_info ci) {
  tf::CallScope call;  // a handle function is a call too (setGrad notes the gradient's device)
  try {
    Napi::CallbackInfo info(env, ci);
    return F(info);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
}

// The first argument's live tensor: TF_DISPOSED for a disposed handle, TF_INVALID_ARGUMENT for anything else.
tf::Tensor& self(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (tf::Tensor* t = handle_tensor(env, info[0])) return *t;
  if (is_handle(env, info[0])) throw_js(env, "TF_DISPOSED", "this tensor has been disposed and can no longer be used");
  arg_error(env, "the first argument is not a tensor handle");
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
  if (!info[1].IsBoolean()) arg_error(env, "requiresGrad must be a boolean");
  bool on = info[1].As<Napi::Boolean>().Value();
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
  if (info[1].IsNull() || info[1].IsUndefined()) {
    x.impl()->grad = tf::Tensor();
    return env.Undefined();
  }
  tf::Tensor g = tensor_from(env, info[1], "grad");
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

// Zero-copy view of a contiguous host tensor (the view keeps the storage alive); a copy otherwise, or when
// data(true) asks for one (toArray() does, so it never pins native memory until the next GC). A GPU tensor is
// copied to the host first (its memory is not addressable from JS).
Napi::Value Data(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tf::Tensor x = self(info);
  TFN_GUARD(env, {
    bool want_copy = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
    if (!tf::is_host(x.device())) x = tf::to_device(tf::detach(x), tf::Device::CPU);
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
  TFN_GUARD(info.Env(), {
    tf::Tensor h = tf::is_host(x.device()) ? x : tf::to_device(tf::detach(x), tf::Device::CPU);
    TF_DISPATCH_ALL(h.dtype(), T, v = double(*h.data_ptr<T>()));
    return Napi::Number::New(info.Env(), v);
  })
  return info.Env().Undefined();
}

// Frees the tensor now: the finalizer reference is deleted (no finalizer will run) and the slot released. A
// disposed handle is ignored (dispose twice is fine); anything else is TF_INVALID_ARGUMENT.
Napi::Value Dispose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  HandleTable::Token tok = token_of(env, info[0]);
  if (!HandleTable::ours(tok)) arg_error(env, "dispose: the argument is not a tensor handle");
  if (napi_ref r = addon_data(env)->handles.release(tok)) {
    napi_delete_reference(env, r);
    sync_external_memory(env);
  }
  return env.Undefined();
}

Napi::Value IsDisposed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (handle_tensor(env, info[0])) return Napi::Boolean::New(env, false);
  if (is_handle(env, info[0])) return Napi::Boolean::New(env, true);
  arg_error(env, "the first argument is not a tensor handle");
}

Napi::Value SharesStorage(const Napi::CallbackInfo& info) {
  const tf::Tensor& x = self(info);
  tf::Tensor o = tensor_arg(info, 1, "other");
  return Napi::Boolean::New(info.Env(), x.storage() == o.storage());
}

}  // namespace

void register_handle_functions(Napi::Env env, Napi::Object exports) {
  struct Entry { const char* name; napi_callback fn; };
  static const Entry entries[] = {
      {"shapeOf", cb<Shape>}, {"stridesOf", cb<Strides>}, {"offsetOf", cb<Offset>}, {"dtypeOf", cb<DType>},
      {"deviceOf", cb<Device>}, {"numelOf", cb<Numel>}, {"isLeaf", cb<IsLeaf>}, {"gradFnOf", cb<GradFn>},
      {"isDisposed", cb<IsDisposed>}, {"requiresGradOf", cb<GetRequiresGrad>}, {"setRequiresGrad", cb<SetRequiresGrad>},
      {"gradOf", cb<GetGrad>}, {"setGrad", cb<SetGrad>}, {"isContiguous", cb<IsContiguous>}, {"dataOf", cb<Data>},
      {"itemOf", cb<Item>}, {"dispose", cb<Dispose>}, {"sharesStorage", cb<SharesStorage>},
  };
  for (const Entry& e : entries) {
    napi_value fn;
    NAPI_THROW_IF_FAILED_VOID(env, napi_create_function(env, e.name, NAPI_AUTO_LENGTH, e.fn, nullptr, &fn));
    exports.Set(e.name, Napi::Value(env, fn));
  }
}

Napi::Value new_handle(Napi::Env env, tf::Tensor t) {
  AddonData* d = addon_data(env);
  HandleTable::Token tok = d->handles.add(std::move(t));
  napi_value ext;
  napi_ref ref = nullptr;
  napi_status st = napi_create_external(env, reinterpret_cast<void*>(tok), nullptr, nullptr, &ext);
  if (st == napi_ok) st = napi_add_finalizer(env, ext, reinterpret_cast<void*>(tok), finalize_handle, nullptr, &ref);
  if (st != napi_ok) {  // nothing holds the token: free it here
    d->handles.release(tok);
    NAPI_THROW_IF_FAILED(env, st, Napi::Value());
  }
  d->handles.set_ref(tok, ref);
  sync_external_memory(env);
  return Napi::Value(env, ext);
}

tf::Tensor* handle_tensor(Napi::Env env, napi_value v) { return addon_data(env)->handles.get(token_of(env, v)); }

bool is_handle(Napi::Env env, napi_value v) { return HandleTable::ours(token_of(env, v)); }

}  // namespace tfn
