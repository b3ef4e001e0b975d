// Module init and the op bindings. Each binding converts arguments, calls one engine op, and wraps the
// result; engine errors surface as JS errors with stable codes.
#include <napi.h>
#include <cmath>
#include <cstdio>
#include <cstring>
#include "addon_data.h"
#include "convert.h"
#include "fused_steps.h"
#include "quant.h"
#include "handle.h"
#include "../autograd/grad_mode.h"
#include "../autograd/forward_ad.h"
#include "../autograd/node.h"
#include "../core/allocator.h"
#include "../cpu/dispatch.h"
#include "../cpu/threadpool.h"
#include "../ops/ops.h"
#include "../backend/backend.h"
#include "../backend/cuda_api.h"
#include "../rng/philox.h"

namespace tfn {
namespace {

using tf::Tensor;

#define BINDING(NAME) Napi::Value NAME(const Napi::CallbackInfo& info)

Napi::Value wrap_list(Napi::Env env, const tf::TensorList& ts) {
  Napi::Array a = Napi::Array::New(env, ts.size());
  for (size_t i = 0; i < ts.size(); ++i) a.Set(uint32_t(i), ts[i].defined() ? wrap(env, ts[i]) : env.Null());
  return a;
}

// ---- creation -------------------------------------------------------------------------------------------
// A factory's optional last argument names the device its tensor is made on (and filled there, by that
// device's backend entries).
#define ON_DEVICE(i) tf::DeviceScope on_device_(device_or(info, i))
BINDING(Zeros) { GUARDED({ ON_DEVICE(2); return wrap(env, tf::zeros(shape_arg(info, 0, "shape"), dtype_or(info, 1, tf::DType::F32))); }) }
BINDING(Ones) { GUARDED({ ON_DEVICE(2); return wrap(env, tf::ones(shape_arg(info, 0, "shape"), dtype_or(info, 1, tf::DType::F32))); }) }
BINDING(Full) {
  GUARDED({ ON_DEVICE(3); return wrap(env, tf::full(shape_arg(info, 0, "shape"), num_arg(info, 1, "value"), dtype_or(info, 2, tf::DType::F32))); })
}
BINDING(Empty) { GUARDED({ ON_DEVICE(2); return wrap(env, tf::empty(shape_arg(info, 0, "shape"), dtype_or(info, 1, tf::DType::F32))); }) }
BINDING(Arange) {
  GUARDED({
    ON_DEVICE(4);
    return wrap(env, tf::arange(num_arg(info, 0, "start"), num_arg(info, 1, "end"), num_or(info, 2, 1, "step"),
                                dtype_or(info, 3, tf::DType::F32)));
  })
}
BINDING(Linspace) {
  GUARDED({
    ON_DEVICE(4);
    return wrap(env, tf::linspace(num_arg(info, 0, "start"), num_arg(info, 1, "end"), size_arg(info, 2, "linspace: steps"),
                                  dtype_or(info, 3, tf::DType::F32)));
  })
}
BINDING(Eye) {
  GUARDED({
    ON_DEVICE(3);
    int64_t n = size_arg(info, 0, "eye: n");
    int64_t m = info[1].IsUndefined() || info[1].IsNull() ? n : size_arg(info, 1, "eye: m");
    return wrap(env, tf::eye(n, m, dtype_or(info, 2, tf::DType::F32)));
  })
}
// fromTyped(typedArray, shape, dtype): copies the data
BINDING(FromTyped) {
  GUARDED({
    if (!info[0].IsTypedArray()) arg_error(env, "data must be a typed array");
    Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
    tf::DType src;
    switch (ta.TypedArrayType()) {
      case napi_float32_array: src = tf::DType::F32; break;
      case napi_float64_array: src = tf::DType::F64; break;
      case napi_int32_array: src = tf::DType::I32; break;
      case napi_int8_array: src = tf::DType::I8; break;
      case napi_uint8_array: case napi_uint8_clamped_array: src = tf::DType::U8; break;
      default: throw_js(env, "TF_DTYPE", "unsupported typed array type (use Float32Array, Float64Array, Int32Array, Int8Array or Uint8Array)", true);
    }
    Napi::ArrayBuffer ab = ta.ArrayBuffer();
    const char* p = static_cast<const char*>(ab.Data()) + ta.ByteOffset();
    tf::Shape s = shape_arg(info, 1, "shape");
    tf::DType dt = dtype_or(info, 2, src);
    return wrap(env, tf::from_buffer(p, ta.ByteLength(), src, s, dt));
  })
}

// Two operands at i, i+1: at least one a Tensor; a number takes the other operand's dtype (PyTorch's rule).
std::pair<Tensor, Tensor> operand_pair(const Napi::CallbackInfo& info, size_t i) {
  if (Tensor* a = handle_tensor(info.Env(), info[i])) {  // the common case, with one lookup
    Tensor ta = *a;
    tf::note_call_device(ta.device());
    return {ta, tensor_or_scalar(info, i + 1, &ta)};
  }
  if (is_tensor(info.Env(), info[i])) {
    Tensor a = tensor_arg(info, i);
    return {a, tensor_or_scalar(info, i + 1, &a)};
  }
  Tensor b = tensor_arg(info, i + 1, "operand");
  return {tensor_or_scalar(info, i, &b), b};
}

// ---- elementwise ----------------------------------------------------------------------------------------
BINDING(Unary) {
  GUARDED({
    int64_t op = int_arg(info, 0, "op");
    if (op < 0 || op >= tf::U_COUNT) arg_error(env, "unknown unary op");
    Tensor x = tensor_arg(info, 1, "input");
    double a = num_or(info, 2, 0, "parameter"), b = num_or(info, 3, 0, "parameter");
    return wrap(env, tf::unary(tf::UnaryOp(op), x, a, b));
  })
}
BINDING(Binary) {
  GUARDED({
    int64_t op = int_arg(info, 0, "op");
    if (op < 0 || op >= tf::B_COUNT) arg_error(env, "unknown binary op");
    auto [a, b] = operand_pair(info, 1);
    return wrap(env, tf::binary(tf::BinaryOp(op), a, b));
  })
}
BINDING(Where) {
  GUARDED({
    Tensor c = tensor_arg(info, 0, "condition");
    auto [a, b] = operand_pair(info, 1);
    return wrap(env, tf::where(c, a, b));
  })
}
BINDING(IsFinite) { GUARDED({ return wrap(env, tf::isfinite(tensor_arg(info, 0))); }) }

// ---- reductions -----------------------------------------------------------------------------------------
BINDING(Sum) { GUARDED({ return wrap(env, tf::sum(tensor_arg(info, 0), dims_arg(info, 1, "dim"), bool_or(info, 2, false))); }) }
BINDING(Mean) { GUARDED({ return wrap(env, tf::mean(tensor_arg(info, 0), dims_arg(info, 1, "dim"), bool_or(info, 2, false))); }) }
BINDING(Var) {
  GUARDED({
    return wrap(env, tf::var(tensor_arg(info, 0), dims_arg(info, 1, "dim"), num_or(info, 2, 1, "correction"), bool_or(info, 3, false)));
  })
}
BINDING(Std) {
  GUARDED({
    return wrap(env, tf::std_(tensor_arg(info, 0), dims_arg(info, 1, "dim"), num_or(info, 2, 1, "correction"), bool_or(info, 3, false)));
  })
}
BINDING(Amax) { GUARDED({ return wrap(env, tf::amax(tensor_arg(info, 0), dims_arg(info, 1, "dim"), bool_or(info, 2, false))); }) }
BINDING(Amin) { GUARDED({ return wrap(env, tf::amin(tensor_arg(info, 0), dims_arg(info, 1, "dim"), bool_or(info, 2, false))); }) }
BINDING(MaxDim) {
  GUARDED({
    auto r = tf::max_dim(tensor_arg(info, 0), int_arg(info, 1, "dim"), bool_or(info, 2, false));
    return wrap_list(env, {r.first, r.second});
  })
}
BINDING(MinDim) {
  GUARDED({
    auto r = tf::min_dim(tensor_arg(info, 0), int_arg(info, 1, "dim"), bool_or(info, 2, false));
    return wrap_list(env, {r.first, r.second});
  })
}
BINDING(Argmax) {
  GUARDED({
    bool all = info[1].IsUndefined() || info[1].IsNull();
    return wrap(env, tf::argmax(tensor_arg(info, 0), all ? 0 : int_arg(info, 1, "dim"), bool_or(info, 2, false), all));
  })
}
BINDING(Argmin) {
  GUARDED({
    bool all = info[1].IsUndefined() || info[1].IsNull();
    return wrap(env, tf::argmin(tensor_arg(info, 0), all ? 0 : int_arg(info, 1, "dim"), bool_or(info, 2, false), all));
  })
}
BINDING(Logsumexp) {
  GUARDED({ return wrap(env, tf::logsumexp(tensor_arg(info, 0), dims_arg(info, 1, "dim"), bool_or(info, 2, false))); })
}
BINDING(Norm) {
  GUARDED({
    return wrap(env, tf::norm(tensor_arg(info, 0), num_or(info, 1, 2, "p"), dims_arg(info, 2, "dim"), bool_or(info, 3, false)));
  })
}
BINDING(Cumsum) { GUARDED({ return wrap(env, tf::cumsum(tensor_arg(info, 0), int_arg(info, 1, "dim"))); }) }
BINDING(Softmax) { GUARDED({ return wrap(env, tf::softmax(tensor_arg(info, 0), int_arg(info, 1, "dim"))); }) }
BINDING(Fft) {
  GUARDED({
    return wrap(env, tf::fft_c2c(tensor_arg(info, 0), int_arg(info, 1, "dim"), bool_or(info, 2, false),
                                 num_or(info, 3, 1, "scale")));
  })
}
BINDING(Rfft) {
  GUARDED({ return wrap(env, tf::rfft(tensor_arg(info, 0), int_arg(info, 1, "dim"), num_or(info, 2, 1, "scale"))); })
}
BINDING(Irfft) {
  GUARDED({
    return wrap(env, tf::irfft(tensor_arg(info, 0), int_arg(info, 1, "dim"), int_arg(info, 2, "n"),
                               num_or(info, 3, 1, "scale")));
  })
}
BINDING(Cholesky) { GUARDED({ return wrap(env, tf::cholesky(tensor_arg(info, 0), num_or(info, 1, 0, "jitter"))); }) }
BINDING(TriangularSolve) {
  GUARDED({
    return wrap(env, tf::triangular_solve(tensor_arg(info, 0), tensor_arg(info, 1), bool_or(info, 2, false),
                                          bool_or(info, 3, false)));
  })
}
BINDING(LogSoftmax) { GUARDED({ return wrap(env, tf::log_softmax(tensor_arg(info, 0), int_arg(info, 1, "dim"))); }) }

// ---- views and copies -----------------------------------------------------------------------------------
BINDING(View) { GUARDED({ return wrap(env, tf::view(tensor_arg(info, 0), shape_arg(info, 1, "shape", true))); }) }
BINDING(Reshape) { GUARDED({ return wrap(env, tf::reshape(tensor_arg(info, 0), shape_arg(info, 1, "shape", true))); }) }
BINDING(Permute) { GUARDED({ return wrap(env, tf::permute(tensor_arg(info, 0), dims_arg(info, 1, "dims"))); }) }
BINDING(Transpose) {
  GUARDED({ return wrap(env, tf::transpose(tensor_arg(info, 0), int_or(info, 1, -2, "dim0"), int_or(info, 2, -1, "dim1"))); })
}
BINDING(Expand) { GUARDED({ return wrap(env, tf::expand(tensor_arg(info, 0), shape_arg(info, 1, "shape", true))); }) }
BINDING(Slice) {
  GUARDED({
    return wrap(env, tf::slice(tensor_arg(info, 0), int_arg(info, 1, "dim"), int_or(info, 2, 0, "start"),
                               int_or(info, 3, INT64_MAX, "end"), int_or(info, 4, 1, "step")));
  })
}
BINDING(Narrow) {
  GUARDED({
    return wrap(env, tf::narrow(tensor_arg(info, 0), int_arg(info, 1, "dim"), int_arg(info, 2, "start"), int_arg(info, 3, "length")));
  })
}
BINDING(Select) {
  GUARDED({ return wrap(env, tf::select(tensor_arg(info, 0), int_arg(info, 1, "dim"), int_arg(info, 2, "index"))); })
}
BINDING(Squeeze) { GUARDED({ return wrap(env, tf::squeeze(tensor_arg(info, 0), dims_arg(info, 1, "dim"))); }) }
BINDING(Unsqueeze) { GUARDED({ return wrap(env, tf::unsqueeze(tensor_arg(info, 0), int_arg(info, 1, "dim"))); }) }
BINDING(Flatten) {
  GUARDED({ return wrap(env, tf::flatten(tensor_arg(info, 0), int_or(info, 1, 0, "startDim"), int_or(info, 2, -1, "endDim"))); })
}
BINDING(Detach) { GUARDED({ return wrap(env, tf::detach(tensor_arg(info, 0))); }) }
BINDING(Contiguous) { GUARDED({ return wrap(env, tf::contiguous(tensor_arg(info, 0))); }) }
BINDING(Clone) { GUARDED({ return wrap(env, tf::clone(tensor_arg(info, 0))); }) }
BINDING(ToDType) {
  GUARDED({
    Tensor x = tensor_arg(info, 0);
    return wrap(env, tf::to_dtype(x, dtype_or(info, 1, x.dtype())));
  })
}
BINDING(Matmul) { GUARDED({ return wrap(env, tf::matmul(tensor_arg(info, 0), tensor_arg(info, 1, "other"))); }) }

// ---- convolution ----------------------------------------------------------------------------------------
// conv2d(x, w, stride, padding, dilation, groups, bias?)
BINDING(Conv2d) {
  GUARDED({
    Tensor b = info[6].IsNull() || info[6].IsUndefined() ? Tensor() : tensor_arg(info, 6, "bias");
    return wrap(env, tf::conv2d(tensor_arg(info, 0, "input"), tensor_arg(info, 1, "weight"), conv_params(info, 2), b));
  })
}
BINDING(Conv2dInputGrad) {
  GUARDED({
    return wrap(env, tf::conv2d_input_grad(tensor_arg(info, 0, "grad"), tensor_arg(info, 1, "weight"),
                                           shape_arg(info, 2, "inputShape"), conv_params(info, 3)));
  })
}
BINDING(Conv2dWeightGrad) {
  GUARDED({
    return wrap(env, tf::conv2d_weight_grad(tensor_arg(info, 0, "input"), tensor_arg(info, 1, "grad"),
                                            shape_arg(info, 2, "weightShape"), conv_params(info, 3)));
  })
}

// ---- indexing and joining -------------------------------------------------------------------------------
BINDING(Cat) { GUARDED({ return wrap(env, tf::cat(tensor_list_arg(info, 0, "tensors"), int_or(info, 1, 0, "dim"))); }) }
BINDING(Stack) { GUARDED({ return wrap(env, tf::stack(tensor_list_arg(info, 0, "tensors"), int_or(info, 1, 0, "dim"))); }) }
BINDING(Gather) {
  GUARDED({ return wrap(env, tf::gather(tensor_arg(info, 0), int_arg(info, 1, "dim"), tensor_arg(info, 2, "index"))); })
}
BINDING(ScatterAdd) {
  GUARDED({
    return wrap(env, tf::scatter_add(tensor_arg(info, 0), int_arg(info, 1, "dim"), tensor_arg(info, 2, "index"), tensor_arg(info, 3, "src")));
  })
}
BINDING(IndexSelect) {
  GUARDED({ return wrap(env, tf::index_select(tensor_arg(info, 0), int_arg(info, 1, "dim"), tensor_arg(info, 2, "index"))); })
}
BINDING(IndexAdd) {
  GUARDED({
    return wrap(env, tf::index_add(tensor_arg(info, 0), int_arg(info, 1, "dim"), tensor_arg(info, 2, "index"), tensor_arg(info, 3, "src")));
  })
}
BINDING(Pad) {
  GUARDED({
    std::string mode = info[2].IsUndefined() ? "constant" : string_arg(info, 2, "mode");
    return wrap(env, tf::pad(tensor_arg(info, 0), dims_arg(info, 1, "pad"), mode, num_or(info, 3, 0, "value")));
  })
}
BINDING(Flip) { GUARDED({ return wrap(env, tf::flip(tensor_arg(info, 0), dims_arg(info, 1, "dims"))); }) }
BINDING(Roll) {
  GUARDED({ return wrap(env, tf::roll(tensor_arg(info, 0), dims_arg(info, 1, "shifts"), dims_arg(info, 2, "dims"))); })
}
BINDING(Repeat) { GUARDED({ return wrap(env, tf::repeat(tensor_arg(info, 0), dims_arg(info, 1, "repeats"))); }) }

// ---- random ---------------------------------------------------------------------------------------------
BINDING(ManualSeed) {
  GUARDED({
    double s = num_arg(info, 0, "seed");
    TF_CHECK(std::isfinite(s) && s >= 0 && std::floor(s) == s, InvalidArgument, "seed must be a non-negative integer");
    tf::manual_seed(uint64_t(s));
    return env.Undefined();
  })
}
// The generator state as two 16-digit hex strings (64-bit values do not survive JS numbers).
BINDING(GetRngState) {
  GUARDED({
    tf::RngState st = tf::get_rng_state();
    char buf[17];
    Napi::Object o = Napi::Object::New(env);
    std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)st.seed);
    o.Set("seed", Napi::String::New(env, buf));
    std::snprintf(buf, sizeof buf, "%016llx", (unsigned long long)st.calls);
    o.Set("calls", Napi::String::New(env, buf));
    return o;
  })
}
static uint64_t parse_hex64(const std::string& s, const char* name) {
  TF_CHECK(!s.empty() && s.size() <= 16, InvalidArgument, "setRngState: ", name, " must be 1 to 16 hex digits, got '", s, "'");
  uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    TF_CHECK(d >= 0, InvalidArgument, "setRngState: ", name, " must be 1 to 16 hex digits, got '", s, "'");
    v = (v << 4) | uint64_t(d);
  }
  return v;
}
BINDING(SetRngState) {
  GUARDED({
    tf::RngState st{parse_hex64(string_arg(info, 0, "seed"), "seed"), parse_hex64(string_arg(info, 1, "calls"), "calls")};
    tf::set_rng_state(st);
    return env.Undefined();
  })
}
BINDING(Rand) { GUARDED({ ON_DEVICE(2); return wrap(env, tf::rand(shape_arg(info, 0, "shape"), dtype_or(info, 1, tf::DType::F32))); }) }
BINDING(Randn) { GUARDED({ ON_DEVICE(2); return wrap(env, tf::randn(shape_arg(info, 0, "shape"), dtype_or(info, 1, tf::DType::F32))); }) }
BINDING(Randint) {
  GUARDED({
    ON_DEVICE(4);
    return wrap(env, tf::randint(int_arg(info, 0, "low"), int_arg(info, 1, "high"), shape_arg(info, 2, "shape"),
                                 dtype_or(info, 3, tf::DType::I32)));
  })
}
BINDING(Bernoulli) { GUARDED({ return wrap(env, tf::bernoulli(tensor_arg(info, 0, "probabilities"))); }) }
BINDING(Binomial) {
  GUARDED({
    Tensor p = tensor_arg(info, 1, "probabilities");
    // a plain-number count stays exact (float64), whatever the probabilities' dtype
    tf::DeviceScope on_p(p.device());  // a plain-number count is made where the probabilities are
    Tensor count = info[0].IsNumber() ? tf::scalar_tensor(num_arg(info, 0, "count"), tf::DType::F64)
                                      : tensor_arg(info, 0, "count");
    return wrap(env, tf::binomial(count, p));
  })
}
BINDING(Poisson) { GUARDED({ return wrap(env, tf::poisson(tensor_arg(info, 0, "rates"))); }) }
BINDING(Multinomial) {
  GUARDED({
    return wrap(env, tf::multinomial(tensor_arg(info, 0, "probabilities"), int_arg(info, 1, "numSamples"), bool_or(info, 2, false)));
  })
}

// ---- in-place -------------------------------------------------------------------------------------------
BINDING(AddInPlace) {
  GUARDED({
    Tensor d = tensor_arg(info, 0, "destination");
    tf::add_(d, tensor_or_scalar(info, 1, &d), num_or(info, 2, 1, "alpha"));
    return env.Undefined();
  })
}
BINDING(MulInPlace) {
  GUARDED({
    Tensor d = tensor_arg(info, 0, "destination");
    tf::mul_(d, tensor_or_scalar(info, 1, &d));
    return env.Undefined();
  })
}
BINDING(CopyInPlace) {
  GUARDED({
    Tensor d = tensor_arg(info, 0, "destination");
    tf::copy_(d, tensor_or_scalar(info, 1, &d));
    return env.Undefined();
  })
}
BINDING(FillInPlace) {
  GUARDED({
    tf::fill_(tensor_arg(info, 0, "destination"), num_arg(info, 1, "value"));
    return env.Undefined();
  })
}

// groupNorm(x, groups, weight|null, bias|null, eps, composite?, silu?, modScale?, modShift?, codeScale?, codeZero?,
//           inScale?, inZero?): codeScale given, the uint8-coded output; inScale given, x is uint8 codes
BINDING(GroupNorm) {
  GUARDED({
    Tensor x = tensor_arg(info, 0, "input");
    int64_t G = int_arg(info, 1, "groups");
    Tensor w = info[2].IsNull() || info[2].IsUndefined() ? Tensor() : tensor_arg(info, 2, "weight");
    Tensor b = info[3].IsNull() || info[3].IsUndefined() ? Tensor() : tensor_arg(info, 3, "bias");
    double eps = num_or(info, 4, 1e-5, "eps");
    auto given = [&](size_t i) { return info.Length() > i && !info[i].IsNull() && !info[i].IsUndefined(); };
    if (given(9) || given(11)) {
      // float32 parameters: a scale beyond float32's range fails the op's check as infinity
      tf::NormCode out{0, 0}, in{0, 0};
      if (given(9)) out = {float(num_arg(info, 9, "code scale")), float(num_arg(info, 10, "code zero point"))};
      if (given(11)) in = {float(num_arg(info, 11, "input code scale")), float(num_arg(info, 12, "input code zero point"))};
      Tensor s = given(7) ? tensor_arg(info, 7, "modulation scale") : Tensor();
      Tensor t = given(8) ? tensor_arg(info, 8, "modulation shift") : Tensor();
      return wrap(env, tf::group_norm_coded(x, G, w, b, eps, s, t, bool_or(info, 6, false), given(11) ? &in : nullptr,
                                            given(9) ? &out : nullptr));
    }
    if (info.Length() > 7 && !info[7].IsNull() && !info[7].IsUndefined()) {
      Tensor s = tensor_arg(info, 7, "modulation scale");
      Tensor t = info.Length() > 8 && !info[8].IsNull() && !info[8].IsUndefined() ? tensor_arg(info, 8, "modulation shift") : Tensor();
      return wrap(env, tf::group_norm_modulated(x, G, w, b, eps, s, t, bool_or(info, 6, false), bool_or(info, 5, false)));
    }
    return wrap(env, tf::group_norm_op(x, G, w, b, eps, bool_or(info, 6, false), bool_or(info, 5, false)));
  })
}

// attention(q, k, v, scale, causal, composite?)
BINDING(Attention) {
  GUARDED({
    Tensor q = tensor_arg(info, 0, "q"), k = tensor_arg(info, 1, "k"), v = tensor_arg(info, 2, "v");
    double scale = num_arg(info, 3, "scale");
    bool causal = bool_or(info, 4, false);
    return wrap(env, tf::attention_op(q, k, v, scale, causal, bool_or(info, 5, false)));
  })
}

// ---- optimizers -----------------------------------------------------------------------------------------
// adamStep(params, grads, m, v, lr, beta1, beta2, eps, weightDecay, step, decoupled)
BINDING(AdamStep) {
  GUARDED({
    tf::AdamHyper h{num_arg(info, 4, "lr"), num_arg(info, 5, "beta1"), num_arg(info, 6, "beta2"), num_arg(info, 7, "eps"),
                    num_arg(info, 8, "weightDecay"), int_arg(info, 9, "step"), bool_or(info, 10, false)};
    tf::adam_update(tensor_list_arg(info, 0, "params"), tensor_list_arg(info, 1, "grads"), tensor_list_arg(info, 2, "m"),
                    tensor_list_arg(info, 3, "v"), h);
    return env.Undefined();
  })
}
// sgdStep(params, grads, bufs, lr, momentum, dampening, weightDecay, nesterov, firstStep)
BINDING(SgdStep) {
  GUARDED({
    tf::sgd_update(tensor_list_arg(info, 0, "params"), tensor_list_arg(info, 1, "grads"), tensor_list_arg(info, 2, "buffers"),
                   num_arg(info, 3, "lr"), num_arg(info, 4, "momentum"), num_arg(info, 5, "dampening"),
                   num_arg(info, 6, "weightDecay"), bool_or(info, 7, false), bool_or(info, 8, false));
    return env.Undefined();
  })
}

// ---- autograd -------------------------------------------------------------------------------------------
// backward(outputs[], grads[] (null entries allowed), retainGraph, createGraph)
BINDING(Backward) {
  GUARDED({
    tf::AllowMixedDevices mixed;  // a graph may cross devices; the engine runs each node on its own
    tf::TensorList outs = tensor_list_arg(info, 0, "outputs");
    tf::TensorList grads = tensor_list_arg(info, 1, "gradients", true);
    bool create = bool_or(info, 3, false);
    bool retain = bool_or(info, 2, create);
    tf::run_backward(outs, grads, retain, create, {}, false);
    sync_external_memory(env);
    return env.Undefined();
  })
}
// grad(outputs[], inputs[], gradOutputs[], retainGraph, createGraph, allowUnused)
BINDING(Grad) {
  GUARDED({
    tf::AllowMixedDevices mixed;  // a graph may cross devices; the engine runs each node on its own
    tf::TensorList outs = tensor_list_arg(info, 0, "outputs");
    tf::TensorList ins = tensor_list_arg(info, 1, "inputs");
    tf::TensorList grads = tensor_list_arg(info, 2, "gradOutputs", true);
    TF_CHECK(!ins.empty(), InvalidArgument, "grad: inputs must not be empty");
    bool create = bool_or(info, 4, false);
    bool retain = bool_or(info, 3, create);
    return wrap_list(env, tf::run_backward(outs, grads, retain, create, ins, bool_or(info, 5, false)));
  })
}
BINDING(SetGradEnabled) {
  GUARDED({
    tf::GradMode::set(bool_or(info, 0, true));
    return env.Undefined();
  })
}
// ---- forward mode ---------------------------------------------------------------------------------------
BINDING(EnterDualLevel) { GUARDED({ return Napi::Number::New(env, double(tf::enter_dual_level())); }) }
BINDING(ExitDualLevel) {
  GUARDED({
    tf::exit_dual_level(uint64_t(int_arg(info, 0, "level")));
    return env.Undefined();
  })
}
BINDING(MakeDual) { GUARDED({ return wrap(env, tf::make_dual(tensor_arg(info, 0, "primal"), tensor_arg(info, 1, "tangent"))); }) }
// [primal without tangent (shares storage and reverse history), tangent or null]
BINDING(UnpackDual) {
  GUARDED({
    auto [primal, tan] = tf::unpack_dual(tensor_arg(info, 0, "dual"));
    return wrap_list(env, {primal, tan});
  })
}

BINDING(IsGradEnabled) { return Napi::Boolean::New(info.Env(), tf::GradMode::enabled()); }

// ---- engine ---------------------------------------------------------------------------------------------
BINDING(Memory) {
  Napi::Env env = info.Env();
  tf::MemoryStats s = tf::memory_stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("tensors", double(s.tensors));
  o.Set("storages", double(s.storages));
  o.Set("bytes", double(s.bytes));
  o.Set("peakBytes", double(s.peak_bytes));
  tf::alloc::CacheStats c = tf::alloc::cache_stats();
  o.Set("cachedBytes", double(c.cached_bytes));
  o.Set("cacheLimitBytes", double(c.limit_bytes));
  o.Set("cacheLimitAuto", c.automatic);
  o.Set("cacheHits", double(c.hits));
  o.Set("cacheMisses", double(c.misses));
  // what this JS environment has told V8 it holds (napi_adjust_external_memory), settled within 1 MiB
  sync_external_memory(env);
  o.Set("reportedToV8", double(addon_data(env)->reported_bytes));
  return o;
}
// Starts a new peak window (live bytes now); returns the closed window's peak.
BINDING(ResetPeakMemory) { return Napi::Number::New(info.Env(), double(tf::reset_peak_bytes())); }
BINDING(EmptyCache) {
  tf::alloc::empty_cache();
  return info.Env().Undefined();
}
BINDING(SetCacheLimit) {
  GUARDED({
    if (info.Length() > 0 && info[0].IsString() && info[0].As<Napi::String>().Utf8Value() == "auto") {
      tf::alloc::set_cache_limit(tf::alloc::kCacheLimitAuto);
      return env.Undefined();
    }
    double b = num_arg(info, 0, "bytes");
    if (!(b >= 0) || !std::isfinite(b)) arg_error(env, "setCacheLimit: bytes must be a finite number >= 0 or 'auto'");
    tf::alloc::set_cache_limit(uint64_t(b));
    return env.Undefined();
  })
}
BINDING(SetNumThreads) {
  GUARDED({
    int64_t n = int_arg(info, 0, "threads");
    TF_CHECK(n >= 1 && n <= 1024, InvalidArgument, "setNumThreads: expected 1..1024 threads, got ", n);
    tf::set_num_threads(int(n));
    return env.Undefined();
  })
}
BINDING(GetNumThreads) { return Napi::Number::New(info.Env(), tf::num_threads()); }
BINDING(SetIsa) {
  GUARDED({
    tf::cpu::set_isa(string_arg(info, 0, "isa"));
    return env.Undefined();
  })
}
// The float32 matmul precision (cpu/dispatch.h): 'fp32' | 'bf16' | 'tf32'.
BINDING(SetMatmulPrecision) {
  GUARDED({
    std::string p = string_arg(info, 0, "precision");
    tf::cpu::MatmulPrecision mp;
    TF_CHECK(tf::cpu::matmul_precision_of(p, &mp), InvalidArgument,
             "setMatmulPrecision: expected 'fp32', 'bf16' or 'tf32', got '", p, "'");
    tf::cpu::set_matmul_precision(mp);
    return env.Undefined();
  })
}
BINDING(GetMatmulPrecision) {
  return Napi::String::New(info.Env(), tf::cpu::matmul_precision_name(tf::cpu::matmul_precision()));
}
BINDING(Info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("isa", tf::cpu::current_isa());
  o.Set("int8Kernel", tf::cpu::kernels().gemm_u8s8.layout);
  // what a float32 matmul runs at precision 'bf16' on this path: bf16 instructions, or fp32 where there are none
  o.Set("bf16Matmul", tf::cpu::kernels().gemm_bf16 ? tf::cpu::kernels().gemm_bf16_name : "none (fp32)");
  o.Set("matmulPrecision", tf::cpu::matmul_precision_name(tf::cpu::matmul_precision()));
  Napi::Array sup = Napi::Array::New(env);
  auto isas = tf::cpu::supported_isas();
  for (size_t i = 0; i < isas.size(); ++i) sup.Set(uint32_t(i), isas[i]);
  o.Set("supportedIsas", sup);
  o.Set("cpu", tf::cpu::cpu_brand());
  auto f = tf::cpu::cpu_features();
  Napi::Object feats = Napi::Object::New(env);
  feats.Set("avx2", f.avx2 && f.os_avx);
  feats.Set("fma", f.fma);
  feats.Set("avx512f", f.avx512f && f.os_avx512);
  feats.Set("avx512bw", f.avx512bw && f.os_avx512);
  feats.Set("avx512vl", f.avx512vl && f.os_avx512);
  feats.Set("avx512dq", f.avx512dq && f.os_avx512);
  feats.Set("avx512vnni", f.avx512vnni && f.os_avx512);
  feats.Set("avx512bf16", f.avx512bf16 && f.os_avx512);
  feats.Set("amxTile", f.amx_tile && f.os_amx);
  feats.Set("amxInt8", f.amx_int8 && f.os_amx);
  feats.Set("amxBf16", f.amx_bf16 && f.os_amx);
  o.Set("features", feats);
  o.Set("threads", tf::num_threads());
  int nd = 0;
  const char* const* devs = tf::available_devices(&nd);
  Napi::Array da = Napi::Array::New(env, nd);
  for (int i = 0; i < nd; ++i) da.Set(uint32_t(i), devs[i]);
  o.Set("devices", da);
  o.Set("allocationLimit", double(tf::allocation_limit()));
  return o;
}
BINDING(SetAllocationLimit) {
  GUARDED({
    double b = num_arg(info, 0, "bytes");
    TF_CHECK(b >= 0 && std::isfinite(b), InvalidArgument, "allocation limit must be a non-negative number of bytes");
    tf::set_allocation_limit(uint64_t(b));
    return env.Undefined();
  })
}
// tf.cuda.*: the CUDA device's status, memory and synchronisation (backend/cuda_api.h; a CPU build answers
// "built without CUDA").
BINDING(CudaStatus) {
  Napi::Env env = info.Env();
  tf::CudaStatus s = tf::cuda_status();
  Napi::Object o = Napi::Object::New(env);
  o.Set("built", s.built);
  o.Set("available", s.available);
  o.Set("reason", s.reason);
  o.Set("devices", s.devices);
  return o;
}
BINDING(CudaMemory) {
  GUARDED({
    tf::CudaMemoryStats m = tf::cuda_memory_stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("allocatedBytes", double(m.allocated_bytes));
    o.Set("cachedBytes", double(m.cached_bytes));
    o.Set("peakAllocatedBytes", double(m.peak_allocated_bytes));
    o.Set("liveBlocks", double(m.live_blocks));
    o.Set("cacheHits", double(m.cache_hits));
    o.Set("cacheMisses", double(m.cache_misses));
    o.Set("deviceFreeBytes", double(m.device_free_bytes));
    o.Set("deviceTotalBytes", double(m.device_total_bytes));
    return o;
  })
}
BINDING(CudaEmptyCache) {
  GUARDED({
    tf::cuda_empty_cache();
    return env.Undefined();
  })
}
BINDING(CudaSynchronize) {
  GUARDED({
    tf::cuda_synchronize();
    return env.Undefined();
  })
}
BINDING(ToDevice) {
  GUARDED({
    Tensor x = tensor_arg(info, 0, "input");
    std::string name = string_arg(info, 1, "device");
    tf::Device d;
    if (!tf::parse_device(name.c_str(), &d))
      throw_js(env, "TF_DEVICE", "unknown device '" + name + "' (this build has: cpu, ref)");
    return wrap(env, tf::to_device(x, d));
  })
}
// Test-only: one raw Philox4x32-10 block, so the suite can check the generator against the published
// Random123 known-answer vectors (a wrong round constant passes every statistical test). Internal name
// (leading underscore), not part of the public API. ctr: 4 words, key: 2 words, each an integer in [0, 2^32).
static uint32_t u32_word(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsNumber()) arg_error(env, std::string("_philoxBlock: ") + what + " words must be numbers");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(std::isfinite(d) && d >= 0 && d <= 4294967295.0 && std::floor(d) == d))
    throw_js(env, "TF_INVALID_ARGUMENT", std::string("_philoxBlock: ") + what + " words must be integers in [0, 2^32)");
  return uint32_t(d);
}
static void u32_words(Napi::Env env, const Napi::Value& v, const char* what, uint32_t* out, uint32_t n) {
  if (!v.IsArray()) arg_error(env, std::string("_philoxBlock: ") + what + " must be an array of " + std::to_string(n) + " numbers");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() != n)
    throw_js(env, "TF_INVALID_ARGUMENT", std::string("_philoxBlock: ") + what + " must have " + std::to_string(n) + " words");
  for (uint32_t i = 0; i < n; ++i) out[i] = u32_word(env, a.Get(i), what);
}
BINDING(PhiloxBlock) {
  GUARDED({
    uint32_t ctr[4], key[2], out[4];
    u32_words(env, info[0], "counter", ctr, 4);
    u32_words(env, info[1], "key", key, 2);
    tf::Philox::block(ctr, uint64_t(key[0]) | (uint64_t(key[1]) << 32), out);
    Napi::Array r = Napi::Array::New(env, 4);
    for (uint32_t i = 0; i < 4; ++i) r.Set(i, Napi::Number::New(env, double(out[i])));
    return r;
  })
}
BINDING(IsTensor) { return Napi::Boolean::New(info.Env(), is_tensor(info.Env(), info[0])); }

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  env.SetInstanceData<AddonData>(data);
  // Node runs each environment on its own thread: the environment's context is that thread's from now on.
  tf::set_current_context(&data->context);
  t_addon = data;
  register_handle_functions(env, exports);
  struct Entry { const char* name; Napi::Value (*fn)(const Napi::CallbackInfo&); };
  static const Entry entries[] = {
      {"zeros", Zeros}, {"ones", Ones}, {"full", Full}, {"empty", Empty}, {"arange", Arange},
      {"linspace", Linspace}, {"eye", Eye}, {"fromTyped", FromTyped}, {"unary", Unary}, {"binary", Binary},
      {"where", Where}, {"isfinite", IsFinite}, {"sum", Sum}, {"mean", Mean}, {"var", Var}, {"std", Std},
      {"amax", Amax}, {"amin", Amin}, {"maxDim", MaxDim}, {"minDim", MinDim}, {"argmax", Argmax},
      {"argmin", Argmin}, {"logsumexp", Logsumexp}, {"norm", Norm}, {"cumsum", Cumsum}, {"softmax", Softmax},
      {"fft", Fft}, {"rfft", Rfft}, {"irfft", Irfft}, {"cholesky", Cholesky}, {"triangularSolve", TriangularSolve},
      {"logSoftmax", LogSoftmax}, {"view", View}, {"reshape", Reshape}, {"permute", Permute},
      {"transpose", Transpose}, {"expand", Expand}, {"slice", Slice}, {"narrow", Narrow}, {"select", Select},
      {"squeeze", Squeeze}, {"unsqueeze", Unsqueeze}, {"flatten", Flatten}, {"detach", Detach},
      {"contiguous", Contiguous}, {"clone", Clone}, {"to", ToDType}, {"matmul", Matmul}, {"conv2d", Conv2d},
      {"conv2dInputGrad", Conv2dInputGrad}, {"conv2dWeightGrad", Conv2dWeightGrad}, {"cat", Cat},
      {"stack", Stack}, {"gather", Gather}, {"scatterAdd", ScatterAdd}, {"indexSelect", IndexSelect},
      {"indexAdd", IndexAdd}, {"pad", Pad}, {"flip", Flip}, {"roll", Roll}, {"repeat", Repeat},
      {"manualSeed", ManualSeed}, {"getRngState", GetRngState}, {"setRngState", SetRngState}, {"rand", Rand},
      {"randn", Randn}, {"randint", Randint},
      {"bernoulli", Bernoulli}, {"binomial", Binomial}, {"poisson", Poisson}, {"multinomial", Multinomial},
      {"add_", AddInPlace}, {"mul_", MulInPlace}, {"copy_", CopyInPlace}, {"fill_", FillInPlace},
      {"groupNorm", GroupNorm}, {"attention", Attention}, {"adamStep", AdamStep}, {"fusedStep", FusedStep}, {"sgdStep", SgdStep}, {"backward", Backward}, {"grad", Grad}, {"setGradEnabled", SetGradEnabled},
      {"isGradEnabled", IsGradEnabled}, {"enterDualLevel", EnterDualLevel}, {"exitDualLevel", ExitDualLevel},
      {"makeDual", MakeDual}, {"unpackDual", UnpackDual}, {"memory", Memory}, {"resetPeakMemory", ResetPeakMemory}, {"setNumThreads", SetNumThreads},
      {"getNumThreads", GetNumThreads}, {"setIsa", SetIsa}, {"setMatmulPrecision", SetMatmulPrecision},
      {"getMatmulPrecision", GetMatmulPrecision}, {"info", Info},
      {"setAllocationLimit", SetAllocationLimit}, {"emptyCache", EmptyCache}, {"setCacheLimit", SetCacheLimit}, {"cudaStatus", CudaStatus}, {"cudaMemory", CudaMemory}, {"cudaEmptyCache", CudaEmptyCache}, {"cudaSynchronize", CudaSynchronize}, {"isTensor", IsTensor}, {"toDevice", ToDevice},
      {"_philoxBlock", PhiloxBlock},
  };
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
  RegisterQuant(env, exports);
  // Op codes for the generic unary/binary bindings, exported so JS never hard-codes the enum.
  // Both from ops/op_table.h, as are the lists of ops with a float32 SIMD body (the conformance suite checks
  // that it covers each of them).
  Napi::Object u = Napi::Object::New(env), b = Napi::Object::New(env);
  Napi::Array su = Napi::Array::New(env), sb = Napi::Array::New(env);
#define TF_X(E, js, node, uses_out, simd) \
  u.Set(#js, int(tf::U_##E));         \
  if (simd) su.Set(su.Length(), #js);
  TF_UNARY_OPS(TF_X)
#undef TF_X
#define TF_X(E, js, node, simd) \
  b.Set(#js, int(tf::B_##E)); \
  if (simd) sb.Set(sb.Length(), #js);
  TF_BINARY_OPS(TF_X)
#undef TF_X
  exports.Set("unaryOps", u);
  exports.Set("binaryOps", b);
  exports.Set("simdUnaryOps", su);
  exports.Set("simdBinaryOps", sb);
  return exports;
}

}  // namespace tfn

static Napi::Object InitTensorfield(Napi::Env env, Napi::Object exports) { return tfn::Init(env, exports); }
NODE_API_MODULE(tensorfield, InitTensorfield)
