// The JS handle of a tensor: an ObjectWrap owning one reference to the engine tensor. dispose() drops the
// reference early; the GC finalizer drops it otherwise.
#pragma once
#include <napi.h>
#include "../core/tensor.h"

namespace tfn {

class TensorWrap : public Napi::ObjectWrap<TensorWrap> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit TensorWrap(const Napi::CallbackInfo& info);
  ~TensorWrap() override;

  const tf::Tensor& tensor(Napi::Env env) const;  // TF_DISPOSED if disposed
  tf::Tensor t;

 private:
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Strides(const Napi::CallbackInfo& info);
  Napi::Value Offset(const Napi::CallbackInfo& info);
  Napi::Value DType(const Napi::CallbackInfo& info);
  Napi::Value Device(const Napi::CallbackInfo& info);
  Napi::Value Numel(const Napi::CallbackInfo& info);
  Napi::Value IsContiguous(const Napi::CallbackInfo& info);
  Napi::Value GetRequiresGrad(const Napi::CallbackInfo& info);
  void SetRequiresGrad(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value GetGrad(const Napi::CallbackInfo& info);
  void SetGrad(const Napi::CallbackInfo& info, const Napi::Value& v);
  Napi::Value IsLeaf(const Napi::CallbackInfo& info);
  Napi::Value GradFn(const Napi::CallbackInfo& info);
  Napi::Value Data(const Napi::CallbackInfo& info);
  Napi::Value Item(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value SharesStorage(const Napi::CallbackInfo& info);
};

}  // namespace tfn
