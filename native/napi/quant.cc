// Bindings of the int8 ops. A packed weight crosses to JS as a plain object {packed, colSum, layout, n, k} of
// tensors and numbers, so it is owned, disposed and counted like any tensor; ops check its layout against the
// current kernel, and lib/quant repacks when the ISA was switched.
#include "quant.h"
#include <string>
#include "convert.h"
#include "../cpu/dispatch.h"
#include "../ops/ops.h"
#include "../ops/quant.h"

namespace tfn {

namespace {

// A number becomes a 0-d float64 tensor; a tensor is taken as it is.
// A number scale or zero point becomes a 0-d tensor on the device of the call's input (argument 0): made on the
// host, where a scalar can be written, then moved, so a quantize on 'ref' (or a later device) does not mix devices.
tf::Tensor param_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) return tensor_arg(info, i, name);
  tf::Tensor s = tf::scalar_tensor(info[i].As<Napi::Number>().DoubleValue(), tf::DType::F64);
  tf::Device dev = tensor_arg(info, 0, "input").device();
  return dev == s.device() ? s : tf::to_device(s, dev);
}

tf::PackedInt8 packed_arg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (!info[i].IsObject()) arg_error(env, "expected a packed int8 weight (from packInt8Weight)");
  Napi::Object o = info[i].As<Napi::Object>();
  tf::PackedInt8 p;
  p.packed = tensor_from(env, o.Get("packed"), "packed");
  p.colsum = tensor_from(env, o.Get("colSum"), "colSum");
  if (!o.Get("layout").IsString() || !o.Get("n").IsNumber() || !o.Get("k").IsNumber())
    arg_error(env, "a packed int8 weight needs layout, n and k");
  p.layout = o.Get("layout").As<Napi::String>().Utf8Value();
  p.N = o.Get("n").As<Napi::Number>().Int64Value();
  p.K = o.Get("k").As<Napi::Number>().Int64Value();
  TFN_GUARD(env, { tf::check_packed_int8(p); })
  return p;
}

tf::Int8Epilogue epilogue_arg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  if (!info[i].IsObject()) arg_error(env, "int8 options must be an object {wScale, bias?, act?, out?, outScale?, outZero?, decode?, residual?}");
  Napi::Object o = info[i].As<Napi::Object>();
  tf::Int8Epilogue e;
  e.w_scale = tensor_from(env, o.Get("wScale"), "wScale");
  Napi::Value b = o.Get("bias");
  if (!b.IsUndefined() && !b.IsNull()) e.bias = tensor_from(env, b, "bias");
  Napi::Value act = o.Get("act");
  std::string a = act.IsString() ? act.As<Napi::String>().Utf8Value() : act.IsUndefined() ? "none" : "?";
  if (a == "none") e.act = tf::Int8Act::None;
  else if (a == "relu") e.act = tf::Int8Act::Relu;
  else if (a == "silu") e.act = tf::Int8Act::Silu;
  else arg_error(env, "int8 act must be 'none', 'relu' or 'silu'");
  Napi::Value out = o.Get("out");
  if (!out.IsUndefined()) {
    if (!out.IsString()) arg_error(env, "int8 out must be 'float32', 'uint8' or 'int8'");
    std::string s = out.As<Napi::String>().Utf8Value();
    if (!tf::parse_dtype(s.c_str(), &e.out)) arg_error(env, "int8 out: unknown dtype '" + s + "'");
  }
  Napi::Value os = o.Get("outScale"), oz = o.Get("outZero");
  if (os.IsNumber()) e.out_scale = os.As<Napi::Number>().DoubleValue();
  if (oz.IsNumber()) e.out_zero = oz.As<Napi::Number>().Int64Value();
  Napi::Value dec = o.Get("decode");
  if (!dec.IsUndefined()) {
    if (!dec.IsBoolean()) arg_error(env, "int8 decode must be a boolean");
    e.decode = dec.As<Napi::Boolean>().Value();
  }
  Napi::Value res = o.Get("residual");
  if (!res.IsUndefined() && !res.IsNull()) e.residual = tensor_from(env, res, "residual");
  return e;
}

Napi::Value Quantize(const Napi::CallbackInfo& info) {
  GUARDED({
    return wrap(env, tf::quantize(tensor_arg(info, 0, "input"), param_arg(info, 1, "scale"), param_arg(info, 2, "zeroPoint"),
                                  int_or(info, 3, 0, "axis"), dtype_or(info, 4, tf::DType::U8)));
  })
}
Napi::Value Dequantize(const Napi::CallbackInfo& info) {
  GUARDED({
    return wrap(env, tf::dequantize(tensor_arg(info, 0, "codes"), param_arg(info, 1, "scale"), param_arg(info, 2, "zeroPoint"),
                                    int_or(info, 3, 0, "axis")));
  })
}
Napi::Value Requantize(const Napi::CallbackInfo& info) {
  GUARDED({
    return wrap(env, tf::requantize(tensor_arg(info, 0, "codes"), num_arg(info, 1, "inScale"), int_arg(info, 2, "inZero"),
                                    num_arg(info, 3, "outScale"), int_arg(info, 4, "outZero"),
                                    dtype_or(info, 5, tf::DType::U8)));
  })
}
Napi::Value FakeQuantize(const Napi::CallbackInfo& info) {
  GUARDED({
    return wrap(env, tf::fake_quantize(tensor_arg(info, 0, "input"), param_arg(info, 1, "scale"),
                                       param_arg(info, 2, "zeroPoint"), int_arg(info, 3, "qmin"), int_arg(info, 4, "qmax"),
                                       int_or(info, 5, 0, "axis")));
  })
}
Napi::Value PackInt8Weight(const Napi::CallbackInfo& info) {
  GUARDED({
    tf::PackedInt8 p = tf::pack_int8_weight(tensor_arg(info, 0, "weight"));
    Napi::Object o = Napi::Object::New(env);
    o.Set("packed", wrap(env, p.packed));
    o.Set("colSum", wrap(env, p.colsum));
    o.Set("layout", p.layout);
    o.Set("n", double(p.N));
    o.Set("k", double(p.K));
    sync_external_memory(env);
    return o;
  })
}
Napi::Value Int8Linear(const Napi::CallbackInfo& info) {
  GUARDED({
    tf::Tensor r = tf::int8_linear(tensor_arg(info, 0, "input"), num_or(info, 1, 0, "xScale"), int_or(info, 2, 0, "xZero"),
                                   packed_arg(info, 3), epilogue_arg(info, 4));
    Napi::Value w = wrap(env, r);
    sync_external_memory(env);
    return w;
  })
}
// int8Conv2d(x, xScale, xZero, packed, kh, kw, options, stride, padding, dilation)
Napi::Value Int8Conv2d(const Napi::CallbackInfo& info) {
  GUARDED({
    tf::Conv2dParams p = conv_params(info, 7);
    tf::Tensor r = tf::int8_conv2d(tensor_arg(info, 0, "input"), num_or(info, 1, 0, "xScale"), int_or(info, 2, 0, "xZero"),
                                   packed_arg(info, 3), int_arg(info, 4, "kh"), int_arg(info, 5, "kw"), p, epilogue_arg(info, 6));
    Napi::Value w = wrap(env, r);
    sync_external_memory(env);
    return w;
  })
}
Napi::Value DynamicQParams(const Napi::CallbackInfo& info) {
  GUARDED({
    double s;
    int64_t z;
    tf::dynamic_u8_params(tensor_arg(info, 0, "input"), &s, &z);
    Napi::Object o = Napi::Object::New(env);
    o.Set("scale", s);
    o.Set("zeroPoint", double(z));
    return o;
  })
}
// int8Peak(seconds): one core's dot-instruction rate of the CPU's int8 kernel, GOP/s (0: no probe)
Napi::Value Int8Peak(const Napi::CallbackInfo& info) {
  GUARDED({
    const double sec = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.2;
    TF_CHECK(sec > 0 && sec <= 10, InvalidArgument, "int8Peak: seconds must be in (0, 10], got ", sec);
    tf::DeviceScope on(tf::Device::CPU);
    return Napi::Number::New(env, tf::backend(tf::Device::CPU).int8_peak(sec));
  })
}

// The packed layout of the int8 kernel a device runs now (optional device name; default 'cpu')
Napi::Value Int8Layout(const Napi::CallbackInfo& info) {
  // the host entries read the kernel table of the call's device, so the query runs as a call on that device
  GUARDED({
    tf::Device dev = device_or(info, 0);
    tf::DeviceScope on(dev);
    return Napi::String::New(env, tf::backend(dev).int8_layout());
  })
}

}  // namespace

void RegisterQuant(Napi::Env env, Napi::Object exports) {
  struct Entry { const char* name; Napi::Value (*fn)(const Napi::CallbackInfo&); };
  static const Entry entries[] = {
      {"quantize", Quantize}, {"dequantize", Dequantize}, {"requantize", Requantize}, {"fakeQuantize", FakeQuantize},
      {"packInt8Weight", PackInt8Weight}, {"int8Linear", Int8Linear}, {"int8Conv2d", Int8Conv2d},
      {"dynamicQParams", DynamicQParams}, {"int8Layout", Int8Layout}, {"int8Peak", Int8Peak},
  };
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
}

}  // namespace tfn
