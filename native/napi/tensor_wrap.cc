#include "tensor_wrap.h"
#include <cstring>
#include "addon_data.h"
#include "convert.h"
#include "../autograd/node.h"
#include "../ops/ops.h"

namespace tfn {

const napi_type_tag* tensor_type_tag();

Napi::Function TensorWrap::Define(Napi::Env env) {
  return DefineClass(env, "NativeTensor",
                     {
                         InstanceAccessor<&TensorWrap::Shape>("shape"),
                         InstanceAccessor<&TensorWrap::Strides>("strides"),
                         InstanceAccessor<&TensorWrap::Offset>("offset"),
                         InstanceAccessor<&TensorWrap::DType>("dtype"),
                         InstanceAccessor<&TensorWrap::Device>("device"),
                         InstanceAccessor<&TensorWrap::Numel>("numel"),
                         InstanceAccessor<&TensorWrap::IsLeaf>("isLeaf"),
                         InstanceAccessor<&TensorWrap::GradFn>("gradFn"),
                         InstanceAccessor<&TensorWrap::IsDisposed>("isDisposed"),
                         InstanceAccessor<&TensorWrap::GetRequiresGrad, &TensorWrap::SetRequiresGrad>("requiresGrad"),
                         InstanceAccessor<&TensorWrap::GetGrad, &TensorWrap::SetGrad>("grad"),
                         InstanceMethod<&TensorWrap::IsContiguous>("isContiguous"),
                         InstanceMethod<&TensorWrap::Data>("data"),
                         InstanceMethod<&TensorWrap::Item>("item"),
                         InstanceMethod<&TensorWrap::Dispose>("dispose"),
                         InstanceMethod<&TensorWrap::SharesStorage>("sharesStorage"),
                     });
}

TensorWrap::TensorWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() != 1 || !info[0].IsExternal())
    throw_js(env, "TF_INVALID_ARGUMENT", "NativeTensor cannot be constructed directly; use tensorfield.tensor()", true);
  t = std::move(*info[0].As<Napi::External<tf::Tensor>>().Data());
  napi_type_tag_object(env, info.This(), tensor_type_tag());
}

TensorWrap::~TensorWrap() = default;

const tf::Tensor& TensorWrap::tensor(Napi::Env env) const {
  if (!t.defined()) throw_js(env, "TF_DISPOSED", "this tensor has been disposed and can no longer be used");
  return t;
}

static Napi::Array to_array(Napi::Env env, const tf::Shape& s) {
  Napi::Array a = Napi::Array::New(env, s.size());
  for (size_t i = 0; i < s.size(); ++i) a.Set(uint32_t(i), Napi::Number::New(env, double(s[i])));
  return a;
}

Napi::Value TensorWrap::Shape(const Napi::CallbackInfo& info) { return to_array(info.Env(), tensor(info.Env()).shape()); }
Napi::Value TensorWrap::Strides(const Napi::CallbackInfo& info) { return to_array(info.Env(), tensor(info.Env()).strides()); }
Napi::Value TensorWrap::Offset(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(tensor(info.Env()).offset())); }
Napi::Value TensorWrap::DType(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tf::dtype_name(tensor(info.Env()).dtype()));
}
Napi::Value TensorWrap::Device(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), tf::device_name(tensor(info.Env()).device()));
}
Napi::Value TensorWrap::Numel(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(tensor(info.Env()).numel())); }
Napi::Value TensorWrap::IsContiguous(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensor(info.Env()).is_contiguous());
}
Napi::Value TensorWrap::GetRequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), tensor(info.Env()).requires_grad());
}
void TensorWrap::SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& v) {
  Napi::Env env = info.Env();
  const tf::Tensor& x = tensor(env);
  if (!v.IsBoolean()) arg_error(env, "requiresGrad must be a boolean");
  bool on = v.As<Napi::Boolean>().Value();
  if (!x.impl()->grad_fn) {
    if (on && !tf::is_floating(x.dtype()))
      throw_js(env, "TF_DTYPE", std::string("only floating-point tensors can require gradients, this one is ") +
                                    tf::dtype_name(x.dtype()));
    x.impl()->requires_grad = on;
  } else if (!on) {
    throw_js(env, "TF_AUTOGRAD", "requiresGrad can only be turned off on leaf tensors; use detach() for a result");
  }
}
Napi::Value TensorWrap::GetGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const tf::Tensor& g = tensor(env).impl()->grad;
  if (!g.defined()) return env.Null();
  return wrap(env, g);
}
void TensorWrap::SetGrad(const Napi::CallbackInfo& info, const Napi::Value& v) {
  Napi::Env env = info.Env();
  const tf::Tensor& x = tensor(env);
  if (v.IsNull() || v.IsUndefined()) { x.impl()->grad = tf::Tensor(); return; }
  tf::Tensor g = tensor_from(env, v, "grad");
  if (g.shape() != x.shape())
    throw_js(env, "TF_SHAPE_MISMATCH", "grad has shape " + tf::shape_str(g.shape()) + " but the tensor has shape " +
                                           tf::shape_str(x.shape()));
  if (g.dtype() != x.dtype())
    throw_js(env, "TF_DTYPE", std::string("grad has dtype ") + tf::dtype_name(g.dtype()) + " but the tensor has dtype " +
                                  tf::dtype_name(x.dtype()));
  x.impl()->grad = g;
}
Napi::Value TensorWrap::IsLeaf(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor(info.Env()).impl()->grad_fn);
}
Napi::Value TensorWrap::GradFn(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto& fn = tensor(env).impl()->grad_fn;
  if (!fn) return env.Null();
  return Napi::String::New(env, fn->name());
}

namespace {
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
}  // namespace

// Zero-copy view of a contiguous tensor (the view keeps the storage alive); a copy otherwise, or when
// data(true) asks for one (toArray() does, so it never pins native memory until the next GC).
Napi::Value TensorWrap::Data(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TFN_GUARD(env, {
    tf::Tensor x = tensor(env);
    bool want_copy = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
    if (!x.is_contiguous()) x = tf::contiguous(tf::detach(x));
    size_t es = tf::dtype_size(x.dtype());
    size_t nbytes = size_t(x.numel()) * es;
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

Napi::Value TensorWrap::Item(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const tf::Tensor& x = tensor(env);
  if (x.numel() != 1)
    throw_js(env, "TF_SHAPE_MISMATCH", "item() needs a tensor with exactly one element, this one has shape " +
                                           tf::shape_str(x.shape()));
  double v = 0;
  TF_DISPATCH_ALL(x.dtype(), T, v = double(*x.data_ptr<T>()));
  return Napi::Number::New(env, v);
}

Napi::Value TensorWrap::Dispose(const Napi::CallbackInfo& info) {
  t = tf::Tensor();
  sync_external_memory(info.Env());
  return info.Env().Undefined();
}

Napi::Value TensorWrap::IsDisposed(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), !t.defined()); }

Napi::Value TensorWrap::SharesStorage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  tf::Tensor o = tensor_arg(info, 0, "other");
  return Napi::Boolean::New(env, tensor(env).storage() == o.storage());
}

}  // namespace tfn
