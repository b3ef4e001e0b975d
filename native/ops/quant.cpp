// Int8 ops: affine (de/re)quantization, fake quantization with STE/LSQ gradients, weight packing, and the int8
// Linear / conv2d. The checks, the parameters' resolution and the rules are here; the kernels are the backend's
// int8 entries (host: cpu/host_int8.cpp: the integer GEMM, then one epilogue pass per block of rows).
#include "quant.h"
#include <algorithm>
#include <cmath>
#include <vector>
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"
#include "../autograd/node.h"

namespace tf {

namespace {

constexpr int64_t kMaxK = 65792;  // K * 255 * 128 must fit int32 (the reference's accumulator)

struct QRange { double lo, hi; };
QRange code_range(DType dt, const char* op) {
  if (dt == DType::U8) return {0, 255};
  if (dt == DType::I8) return {-128, 127};
  fail(ErrorCode::DType, op, ": codes must be uint8 or int8, got ", dtype_name(dt));
}

// A small parameter tensor (scales, zero points, bias) read into the host, from whatever device it is on
std::vector<double> to_doubles(const Tensor& t) {
  GradModeGuard off(false);
  Tensor d = contiguous(to_dtype(to_device(detach_op(t), Device::CPU), DType::F64));
  const double* p = d.data_ptr<double>();
  return std::vector<double>(p, p + d.numel());
}

// Per-tensor or per-channel parameters as doubles, validated (quant/int8_types.h ChannelCoding).
ChannelCoding channel_params(const Tensor& x, const Tensor& scale, const Tensor& zero, int64_t axis, QRange r,
                             const char* op) {
  TF_CHECK(scale.defined() && zero.defined(), InvalidArgument, op, ": scale and zero point are required");
  ChannelCoding cp;
  cp.lo = r.lo;
  cp.hi = r.hi;
  cp.scale = to_doubles(scale);
  cp.zero = to_doubles(zero);
  // a single scale or zero point is shared by every channel
  if (cp.zero.size() == 1 && cp.scale.size() > 1) cp.zero.assign(cp.scale.size(), cp.zero[0]);
  if (cp.scale.size() == 1 && cp.zero.size() > 1) cp.scale.assign(cp.zero.size(), cp.scale[0]);
  TF_CHECK(!cp.scale.empty() && cp.scale.size() == cp.zero.size(), ShapeMismatch, op,
           ": scale and zero point need the same number of elements (", cp.scale.size(), " and ", cp.zero.size(), ")");
  if (cp.scale.size() > 1 || (x.dim() > 0 && axis >= -x.dim() && axis < x.dim() && scale.dim() > 0)) {
    TF_CHECK(x.dim() > 0, ShapeMismatch, op, ": per-channel parameters need a tensor with dimensions");
    int64_t a = axis < 0 ? axis + x.dim() : axis;
    TF_CHECK(a >= 0 && a < x.dim(), InvalidArgument, op, ": axis ", axis, " is out of range for ", shape_str(x.shape()));
    if (int64_t(cp.scale.size()) == x.size(a)) {
      cp.C = x.size(a);
      for (int64_t d = 0; d < a; ++d) cp.outer *= x.size(d);
      for (int64_t d = a + 1; d < x.dim(); ++d) cp.inner *= x.size(d);
    } else {
      TF_CHECK(cp.scale.size() == 1, ShapeMismatch, op, ": ", cp.scale.size(), " scales for axis ", axis, " of ",
               shape_str(x.shape()), " (expected 1 or ", x.size(a), ")");
    }
  }
  if (cp.C == 1) { cp.outer = 1; cp.inner = x.numel(); }
  for (size_t i = 0; i < cp.scale.size(); ++i) {
    TF_CHECK(cp.scale[i] > 0 && std::isfinite(cp.scale[i]), InvalidArgument, op,
             ": scales must be finite and > 0, got ", cp.scale[i]);
    TF_CHECK(cp.zero[i] == std::floor(cp.zero[i]) && cp.zero[i] >= r.lo && cp.zero[i] <= r.hi, InvalidArgument, op,
             ": zero points must be integers in [", r.lo, ", ", r.hi, "], got ", cp.zero[i]);
  }
  return cp;
}

}  // namespace

Tensor quantize(const Tensor& x, const Tensor& scale, const Tensor& zero, int64_t axis, DType dt) {
  TF_CHECK(x.defined(), InvalidArgument, "quantize: undefined tensor");
  check_float(x, "quantize");
  QRange r = code_range(dt, "quantize");
  ChannelCoding cp = channel_params(x, scale, zero, axis, r, "quantize");
  Tensor xc = contiguous(detach_op(x));
  Tensor q = empty(x.shape(), dt);
  current_backend().quantize(q, xc, cp);
  return q;
}

Tensor dequantize(const Tensor& q, const Tensor& scale, const Tensor& zero, int64_t axis) {
  TF_CHECK(q.defined(), InvalidArgument, "dequantize: undefined tensor");
  TF_CHECK(q.dtype() == DType::U8 || q.dtype() == DType::I8 || q.dtype() == DType::I32, DType,
           "dequantize: codes must be uint8, int8 or int32, got ", dtype_name(q.dtype()));
  QRange r = q.dtype() == DType::I32 ? QRange{-2147483648.0, 2147483647.0} : code_range(q.dtype(), "dequantize");
  ChannelCoding cp = channel_params(q, scale, zero, axis, r, "dequantize");
  Tensor y = empty(q.shape(), DType::F32);
  current_backend().dequantize(y, contiguous(q), cp);
  return y;
}

Tensor requantize(const Tensor& q, double in_scale, int64_t in_zero, double out_scale, int64_t out_zero, DType dt) {
  TF_CHECK(q.defined(), InvalidArgument, "requantize: undefined tensor");
  TF_CHECK(q.dtype() == DType::U8 || q.dtype() == DType::I8 || q.dtype() == DType::I32, DType,
           "requantize: codes must be uint8, int8 or int32, got ", dtype_name(q.dtype()));
  QRange r = code_range(dt, "requantize");
  TF_CHECK(in_scale > 0 && std::isfinite(in_scale) && out_scale > 0 && std::isfinite(out_scale), InvalidArgument,
           "requantize: scales must be finite and > 0");
  TF_CHECK(out_zero >= r.lo && out_zero <= r.hi, InvalidArgument, "requantize: zero point ", out_zero,
           " is outside the code range");
  Tensor y = empty(q.shape(), dt);
  current_backend().requantize(y, contiguous(q), in_scale / out_scale, in_zero, out_zero, r.lo, r.hi);
  return y;
}

// ---- fake quantization --------------------------------------------------------------------------------------

namespace {

// Forward plus the three derivative coefficients of y with respect to x (the in-range mask), s and z.
struct FakeQuantResult { Tensor y, inside, coef_s, coef_z; };

FakeQuantResult fake_quant_forward(const Tensor& xc, const ChannelCoding& cp, bool need_s, bool need_z) {
  FakeQuantResult o;
  o.y = empty(xc.shape(), xc.dtype());
  o.inside = empty(xc.shape(), DType::U8);
  if (need_s) o.coef_s = empty(xc.shape(), xc.dtype());
  if (need_z) o.coef_z = empty(xc.shape(), xc.dtype());
  current_backend().fake_quantize(o.y, o.inside, need_s ? &o.coef_s : nullptr, need_z ? &o.coef_z : nullptr, xc, cp);
  return o;
}

// The broadcast shape of per-channel parameters against x: [1.., C, 1..] (or all ones per tensor).
Shape param_view_shape(const Tensor& x, const ChannelCoding& cp, int64_t axis) {
  Shape s(size_t(x.dim()), 1);
  if (cp.C > 1) s[size_t(axis < 0 ? axis + x.dim() : axis)] = cp.C;
  return s;
}

}  // namespace

Tensor fake_quantize(const Tensor& x, const Tensor& scale, const Tensor& zero, int64_t qmin, int64_t qmax,
                     int64_t axis) {
  TF_CHECK(x.defined(), InvalidArgument, "fakeQuantize: undefined tensor");
  check_float(x, "fakeQuantize");
  TF_CHECK(qmin < qmax, InvalidArgument, "fakeQuantize: qmin (", qmin, ") must be below qmax (", qmax, ")");
  TF_CHECK(qmin >= -(int64_t(1) << 24) && qmax <= (int64_t(1) << 24), InvalidArgument,
           "fakeQuantize: the code range must lie within +-2^24");
  QRange r{double(qmin), double(qmax)};
  ChannelCoding cp = channel_params(x, scale, zero, axis, r, "fakeQuantize");
  const bool grad_on = compute_requires_grad({&x, &scale, &zero});
  const bool fwd = has_tangent({&x, &scale, &zero}) && forward_ad_active();
  const bool need_s = (grad_on && scale.requires_grad()) || (fwd && tangent(scale).defined());
  const bool need_z = (grad_on && zero.requires_grad()) || (fwd && tangent(zero).defined());
  Tensor xc = contiguous(detach_op(x));
  FakeQuantResult fr = fake_quant_forward(xc, cp, need_s, need_z);
  Tensor out = fr.y;
  const Shape pshape = param_view_shape(x, cp, axis);
  const Shape sshape = scale.shape(), zshape = zero.shape();
  const DType sdt = scale.dtype(), zdt = zero.dtype();
  // gradient of a parameter: sum of g * coefficient over everything but its channel axis
  auto param_grad = [pshape](const Tensor& g, const Tensor& coef, const Shape& shape, DType dt) {
    Tensor r = sum_to(g * coef, pshape);
    if (checked_numel(shape) == 1) r = sum(r, {}, false);  // one parameter shared by every channel
    r = reshape(r, shape);
    return r.dtype() == dt ? r : to_dtype(r, dt);
  };
  if (grad_on) {
    auto node = make_node("FakeQuantizeBackward", {x, scale, zero},
                          [param_grad, sshape, zshape, sdt, zdt, need_s](FnNode& n, const TensorList& g) -> TensorList {
                            Tensor inside = n.saved(0);
                            TensorList r(3);
                            if (n.needs_input_grad(0)) r[0] = mask_grad(inside, g[0]);
                            // saved: the mask, then the coefficient of s and of z where they were computed
                            if (n.needs_input_grad(1)) r[1] = param_grad(g[0], n.saved(1), sshape, sdt);
                            if (n.needs_input_grad(2)) r[2] = param_grad(g[0], n.saved(need_s ? 2 : 1), zshape, zdt);
                            return r;
                          });
    node->save(fr.inside);
    if (need_s) node->save(fr.coef_s);
    if (need_z) node->save(fr.coef_z);
    set_history(out, node);
  }
  jvp_rule(out, {&x, &scale, &zero}, [&]() -> Tensor {
    Tensor t;
    auto acc = [&](const Tensor& term) { t = t.defined() ? t + term : term; };
    if (tangent(x).defined()) acc(mask_grad(fr.inside, tangent(x)));
    auto view = [&](const Tensor& t) { return t.numel() == 1 ? reshape(t, Shape(size_t(x.dim()), 1)) : reshape(t, pshape); };
    if (tangent(scale).defined()) acc(view(tangent(scale)) * fr.coef_s);
    if (tangent(zero).defined()) acc(view(tangent(zero)) * fr.coef_z);
    return t;
  });
  return out;
}

// ---- packing ---------------------------------------------------------------------------------------------------

void check_packed_int8(const PackedInt8& p) {
  const Backend& be = current_backend();
  bool ok = p.packed.defined() && p.colsum.defined() && p.N > 0 && p.K > 0 && p.colsum.dtype() == DType::I32 &&
            p.colsum.numel() == p.N && p.colsum.is_contiguous() && p.packed.dtype() == DType::I8 &&
            p.packed.is_contiguous() &&
            (p.layout != be.int8_layout() || p.packed.numel() == be.int8_packed_bytes(p.N, p.K));
  TF_CHECK(ok, InvalidArgument, "packed int8 weight: tensors do not match its n, k and layout");
}

PackedInt8 pack_int8_weight(const Tensor& w) {
  TF_CHECK(w.defined(), InvalidArgument, "packInt8Weight: undefined tensor");
  TF_CHECK(w.dtype() == DType::I8, DType, "packInt8Weight: weights must be int8, got ", dtype_name(w.dtype()));
  TF_CHECK(w.dim() == 2, ShapeMismatch, "packInt8Weight: weights must be [N, K], got ", shape_str(w.shape()));
  PackedInt8 p;
  p.N = w.size(0);
  p.K = w.size(1);
  TF_CHECK(p.N > 0 && p.K > 0, ShapeMismatch, "packInt8Weight: empty weight ", shape_str(w.shape()));
  TF_CHECK(p.K <= kMaxK, InvalidArgument, "packInt8Weight: K = ", p.K, " exceeds ", kMaxK,
           " (int32 accumulators could overflow)");
  const Backend& be = current_backend();
  p.layout = be.int8_layout();
  p.packed = empty({be.int8_packed_bytes(p.N, p.K)}, DType::I8);
  p.colsum = empty({p.N}, DType::I32);
  be.int8_pack(p, contiguous(w));
  return p;
}

// ---- int8 Linear / conv2d -----------------------------------------------------------------------------------------

void dynamic_u8_params(const Tensor& x, double* scale, int64_t* zero) {
  TF_CHECK(x.defined() && x.dtype() == DType::F32, DType, "int8: dynamic quantization needs a float32 tensor");
  double l = 0, h = 0;
  TF_CHECK(current_backend().int8_range(contiguous(detach_op(x)), &l, &h), InvalidArgument,
           "int8: dynamic quantization of a tensor with non-finite values");
  double s = (h - l) / 255.0;
  if (!(s > 0)) s = 1.0;
  s = double(float(s));  // the epilogue and the simulation use it as float32
  int64_t z = int64_t(std::nearbyint(-l / s));
  *scale = s;
  *zero = std::min<int64_t>(255, std::max<int64_t>(0, z));
}

namespace {

Int8Finish epilogue_data(const PackedInt8& w, const Int8Epilogue& e, double x_scale, int64_t x_zero, const char* op) {
  Int8Finish d;
  TF_CHECK(e.w_scale.defined() && e.w_scale.numel() == w.N, ShapeMismatch, op, ": weight scales need ", w.N,
           " elements");
  std::vector<double> ws = to_doubles(e.w_scale);
  d.mult.resize(size_t(w.N));
  for (int64_t n = 0; n < w.N; ++n) {
    TF_CHECK(ws[n] > 0 && std::isfinite(ws[n]), InvalidArgument, op, ": weight scales must be finite and > 0");
    d.mult[n] = float(x_scale) * float(ws[n]);
  }
  d.bias.assign(size_t(w.N), 0.f);
  if (e.bias.defined()) {
    TF_CHECK(e.bias.numel() == w.N, ShapeMismatch, op, ": bias needs ", w.N, " elements, got ", e.bias.numel());
    std::vector<double> b = to_doubles(e.bias);
    for (int64_t n = 0; n < w.N; ++n) d.bias[n] = float(b[n]);
  }
  d.x_zero = int32_t(x_zero);
  d.wide = w.K > 32768;
  d.act = e.act;
  d.out = e.out;
  TF_CHECK(e.out == DType::F32 || e.out == DType::U8 || e.out == DType::I8 || e.out == DType::I32, DType, op,
           ": output must be float32, uint8, int8 or int32");
  if (e.out == DType::U8 || e.out == DType::I8) {
    QRange r = code_range(e.out, op);
    TF_CHECK(e.out_scale > 0 && std::isfinite(e.out_scale), InvalidArgument, op, ": output scale must be finite and > 0");
    TF_CHECK(e.out_zero >= r.lo && e.out_zero <= r.hi, InvalidArgument, op, ": output zero point out of range");
    d.lo = float(r.lo); d.hi = float(r.hi);
  }
  d.out_scale = float(e.out_scale);
  d.out_zero = float(e.out_zero);
  TF_CHECK(!e.decode || e.out == DType::U8 || e.out == DType::I8, InvalidArgument, op,
           ": decode needs an output coding (out uint8 or int8 with outScale / outZero)");
  d.decode = e.decode;
  return d;
}

// The epilogue's residual, checked against the output (float32 result, same shape and device) and made contiguous;
// d->residual points into the returned tensor, which the caller keeps alive through the kernel.
Tensor residual_operand(const Int8Epilogue& e, const Shape& out_shape, const Tensor& x, Int8Finish* d, const char* op) {
  if (!e.residual.defined()) return Tensor();
  TF_CHECK(e.out == DType::F32 || e.decode, InvalidArgument, op,
           ": a residual is added to a float32 result (out float32, or decode), not to codes");
  TF_CHECK(e.residual.dtype() == DType::F32, DType, op, ": residual must be float32, got ", dtype_name(e.residual.dtype()));
  TF_CHECK(e.residual.shape() == out_shape, ShapeMismatch, op, ": residual ", shape_str(e.residual.shape()),
           " does not match the output ", shape_str(out_shape));
  TF_CHECK(e.residual.device() == x.device(), InvalidArgument, op, ": residual on another device than the input");
  Tensor r = contiguous(detach_op(e.residual));
  d->residual = r.data_ptr<float>();
  return r;
}

// The activations' coding: uint8 codes come with their (scale, zero point); float32 takes the given ones or, when
// the scale is <= 0, its own range (dynamic). The scale is rounded to float32, as the epilogue uses it.
void resolve_activation_params(const Tensor& x, double* x_scale, int64_t* x_zero, const char* op) {
  TF_CHECK(x.dtype() == DType::F32 || x.dtype() == DType::U8, DType, op,
           ": activations must be float32 or uint8 codes, got ", dtype_name(x.dtype()));
  if (x.dtype() == DType::F32 && !(*x_scale > 0)) dynamic_u8_params(x, x_scale, x_zero);
  TF_CHECK(*x_scale > 0 && std::isfinite(*x_scale) && *x_zero >= 0 && *x_zero <= 255, InvalidArgument, op,
           ": activation scale must be finite and > 0 (uint8 activations need theirs), zero point in [0, 255], got ",
           *x_scale, " and ", *x_zero);
  *x_scale = double(float(*x_scale));
}

// Activation codes, contiguous uint8 (float32 coded here).
Tensor activation_codes(const Tensor& x, double* x_scale, int64_t* x_zero, const char* op) {
  resolve_activation_params(x, x_scale, x_zero, op);
  if (x.dtype() == DType::U8) return contiguous(x);
  return quantize(x, scalar_tensor(*x_scale, DType::F64), scalar_tensor(double(*x_zero), DType::F64), 0, DType::U8);
}

void check_layout(const PackedInt8& w, const char* op) {
  TF_CHECK(w.packed.defined() && w.colsum.defined(), InvalidArgument, op, ": the weight is not packed");
  check_packed_int8(w);
  const char* cur = current_backend().int8_layout();
  TF_CHECK(w.layout == cur, InvalidArgument, op, ": weight packed for the '", w.layout,
           "' int8 kernel, but the current kernel is '", cur, "' (the ISA changed): pack it again");
}

}  // namespace

Tensor int8_linear(const Tensor& x, double x_scale, int64_t x_zero, const PackedInt8& w, const Int8Epilogue& e) {
  const char* op = "int8Linear";
  TF_CHECK(x.defined(), InvalidArgument, op, ": undefined input");
  check_layout(w, op);
  TF_CHECK(x.dim() >= 1 && x.size(-1) == w.K, ShapeMismatch, op, ": input ", shape_str(x.shape()),
           " does not end in K = ", w.K);
  Tensor a = activation_codes(x, &x_scale, &x_zero, op);
  Int8Finish d = epilogue_data(w, e, x_scale, x_zero, op);
  Shape os = x.shape();
  os.back() = w.N;
  Tensor res = residual_operand(e, os, x, &d, op);
  Tensor out = empty(os, e.decode ? DType::F32 : e.out);
  current_backend().int8_linear(out, a, w, d);
  return out;
}

Tensor int8_conv2d(const Tensor& x, double x_scale, int64_t x_zero, const PackedInt8& w, int64_t kh, int64_t kw,
                   const Conv2dParams& p, const Int8Epilogue& e) {
  const char* op = "int8Conv2d";
  TF_CHECK(x.defined(), InvalidArgument, op, ": undefined input");
  check_layout(w, op);
  TF_CHECK(x.dim() == 4, ShapeMismatch, op, ": input must be [B, C, H, W], got ", shape_str(x.shape()));
  TF_CHECK(p.groups == 1, InvalidArgument, op, ": grouped convolution is not supported in int8");
  TF_CHECK(kh >= 1 && kw >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.dil_h >= 1 && p.dil_w >= 1 && p.pad_h >= 0 &&
               p.pad_w >= 0, InvalidArgument, op, ": kernel, stride and dilation must be >= 1 and padding >= 0");
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  TF_CHECK(C * kh * kw == w.K, ShapeMismatch, op, ": weight depth ", w.K, " != C*kh*kw = ", C * kh * kw);
  const int64_t eh = (kh - 1) * p.dil_h + 1, ew = (kw - 1) * p.dil_w + 1;
  TF_CHECK(H + 2 * p.pad_h >= eh && W + 2 * p.pad_w >= ew, ShapeMismatch, op, ": kernel larger than the padded input");
  const int64_t Ho = (H + 2 * p.pad_h - eh) / p.stride_h + 1, Wo = (W + 2 * p.pad_w - ew) / p.stride_w + 1;
  resolve_activation_params(x, &x_scale, &x_zero, op);
  Tensor xc = contiguous(detach_op(x));
  Int8Finish d = epilogue_data(w, e, x_scale, x_zero, op);
  Tensor res = residual_operand(e, {B, w.N, Ho, Wo}, x, &d, op);
  Tensor out = empty({B, w.N, Ho, Wo}, e.decode ? DType::F32 : e.out);
  current_backend().int8_conv2d(out, xc, x_scale, x_zero, w, kh, kw, p, d);
  return out;
}

}  // namespace tf
