// Int8 ops: affine (de/re)quantization, fake quantization with STE/LSQ gradients, weight packing, and the int8
// Linear / conv2d: activations coded to uint8, the integer GEMM of the kernel table, then one epilogue pass per
// block of rows, while the block's int32 sums are still in cache.
#include "quant.h"
#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"
#include "../autograd/node.h"
#include "../core/allocator.h"
#include "../cpu/dispatch.h"
#include "../cpu/threadpool.h"
#include "../quant/qmath.h"

namespace tf {

namespace {

constexpr int64_t kMaxK = 65792;  // K * 255 * 128 must fit int32 (the reference's accumulator)

struct QRange { double lo, hi; };
QRange code_range(DType dt, const char* op) {
  if (dt == DType::U8) return {0, 255};
  if (dt == DType::I8) return {-128, 127};
  fail(ErrorCode::DType, op, ": codes must be uint8 or int8, got ", dtype_name(dt));
}

// Per-tensor or per-channel parameters as doubles, validated.
struct ChannelParams {
  std::vector<double> scale, zero;
  int64_t outer = 1, C = 1, inner = 1;  // x viewed as [outer, C, inner]
  double s(int64_t c) const { return scale.size() == 1 ? scale[0] : scale[c]; }
  double z(int64_t c) const { return zero.size() == 1 ? zero[0] : zero[c]; }
};

std::vector<double> to_doubles(const Tensor& t) {
  GradModeGuard off(false);
  Tensor d = contiguous(to_dtype(detach_op(t), DType::F64));
  const double* p = d.data_ptr<double>();
  return std::vector<double>(p, p + d.numel());
}

ChannelParams channel_params(const Tensor& x, const Tensor& scale, const Tensor& zero, int64_t axis, QRange r,
                             const char* op) {
  TF_CHECK(scale.defined() && zero.defined(), InvalidArgument, op, ": scale and zero point are required");
  ChannelParams cp;
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

// Runs f(c, i0, i1) over flat element ranges that each lie in one channel, in parallel: chunks of the flat index,
// cut again where a channel row ends (a per-tensor coding is one long row and still splits across the pool).
template <class F>
void for_channels(const ChannelParams& cp, F f) {
  constexpr int64_t kChunk = 32768;
  const int64_t total = cp.outer * cp.C * cp.inner;
  parallel_for(0, (total + kChunk - 1) / kChunk, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      int64_t i0 = b * kChunk;
      const int64_t i1 = std::min(total, i0 + kChunk);
      while (i0 < i1) {
        const int64_t r = i0 / cp.inner, e = std::min(i1, (r + 1) * cp.inner);
        f(r % cp.C, i0, e);
        i0 = e;
      }
    }
  });
}

template <class T, class Q>
void quantize_loop(const T* x, Q* q, const ChannelParams& cp, QRange r) {
  for_channels(cp, [&](int64_t c, int64_t i0, int64_t i1) {
    T s = T(cp.s(c)), z = T(cp.z(c)), lo = T(r.lo), hi = T(r.hi);
    if constexpr (std::is_same<T, float>::value) {
      for (int64_t i = i0; i < i1; ++i) q[i] = Q(int32_t(quant::quant_code_fast(x[i], s, z, lo, hi)));
    } else {
      for (int64_t i = i0; i < i1; ++i) q[i] = Q(quant::quant_code(x[i], s, z, lo, hi));
    }
  });
}

}  // namespace

Tensor quantize(const Tensor& x, const Tensor& scale, const Tensor& zero, int64_t axis, DType dt) {
  TF_CHECK(x.defined(), InvalidArgument, "quantize: undefined tensor");
  check_float(x, "quantize");
  QRange r = code_range(dt, "quantize");
  ChannelParams cp = channel_params(x, scale, zero, axis, r, "quantize");
  Tensor xc = contiguous(detach_op(x));
  Tensor q = empty(x.shape(), dt);
  if (x.dtype() == DType::F32) {
    if (dt == DType::U8) quantize_loop(xc.data_ptr<float>(), q.data_ptr<uint8_t>(), cp, r);
    else quantize_loop(xc.data_ptr<float>(), q.data_ptr<int8_t>(), cp, r);
  } else {
    if (dt == DType::U8) quantize_loop(xc.data_ptr<double>(), q.data_ptr<uint8_t>(), cp, r);
    else quantize_loop(xc.data_ptr<double>(), q.data_ptr<int8_t>(), cp, r);
  }
  return q;
}

Tensor dequantize(const Tensor& q, const Tensor& scale, const Tensor& zero, int64_t axis) {
  TF_CHECK(q.defined(), InvalidArgument, "dequantize: undefined tensor");
  TF_CHECK(q.dtype() == DType::U8 || q.dtype() == DType::I8 || q.dtype() == DType::I32, DType,
           "dequantize: codes must be uint8, int8 or int32, got ", dtype_name(q.dtype()));
  QRange r = q.dtype() == DType::I32 ? QRange{-2147483648.0, 2147483647.0} : code_range(q.dtype(), "dequantize");
  ChannelParams cp = channel_params(q, scale, zero, axis, r, "dequantize");
  Tensor qc = contiguous(q);
  Tensor y = empty(q.shape(), DType::F32);
  float* out = y.data_ptr<float>();
  auto run = [&](auto* src) {
    for_channels(cp, [&](int64_t c, int64_t i0, int64_t i1) {
      float s = float(cp.s(c)), z = float(cp.z(c));
      for (int64_t i = i0; i < i1; ++i) out[i] = (float(src[i]) - z) * s;
    });
  };
  if (q.dtype() == DType::U8) run(qc.data_ptr<uint8_t>());
  else if (q.dtype() == DType::I8) run(qc.data_ptr<int8_t>());
  else run(qc.data_ptr<int32_t>());
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
  Tensor qc = contiguous(q);
  Tensor y = empty(q.shape(), dt);
  // in float64: (q - zin) * (sin / sout) is exact enough that every code rounds as the real value would
  const double mult = in_scale / out_scale;
  auto run = [&](auto* src, auto* dst) {
    using D = std::remove_pointer_t<decltype(dst)>;
    parallel_for(0, q.numel(), 65536, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        double v = quant::round_even((double(src[i]) - double(in_zero)) * mult) + double(out_zero);
        dst[i] = D(v < r.lo ? r.lo : v > r.hi ? r.hi : v);
      }
    });
  };
  auto with_dst = [&](auto* src) {
    if (dt == DType::U8) run(src, y.data_ptr<uint8_t>()); else run(src, y.data_ptr<int8_t>());
  };
  if (q.dtype() == DType::U8) with_dst(qc.data_ptr<uint8_t>());
  else if (q.dtype() == DType::I8) with_dst(qc.data_ptr<int8_t>());
  else with_dst(qc.data_ptr<int32_t>());
  return y;
}

// ---- fake quantization --------------------------------------------------------------------------------------

namespace {

// Forward plus the three derivative coefficients of y with respect to x (the in-range mask), s and z.
struct FakeQuantResult { Tensor y, inside, coef_s, coef_z; };

template <class T>
FakeQuantResult fake_quant_forward(const Tensor& xc, const ChannelParams& cp, QRange r, bool need_s, bool need_z) {
  FakeQuantResult o;
  o.y = empty(xc.shape(), xc.dtype());
  o.inside = empty(xc.shape(), DType::U8);
  if (need_s) o.coef_s = empty(xc.shape(), xc.dtype());
  if (need_z) o.coef_z = empty(xc.shape(), xc.dtype());
  const T* x = xc.data_ptr<T>();
  T* y = o.y.data_ptr<T>();
  uint8_t* in = o.inside.data_ptr<uint8_t>();
  T* cs = need_s ? o.coef_s.data_ptr<T>() : nullptr;
  T* cz = need_z ? o.coef_z.data_ptr<T>() : nullptr;
  for_channels(cp, [&](int64_t c, int64_t i0, int64_t i1) {
    T s = T(cp.s(c)), z = T(cp.z(c)), lo = T(r.lo), hi = T(r.hi);
    for (int64_t i = i0; i < i1; ++i) {
      // quant_code, keeping the unclamped code: inside iff it was not clamped
      const T u = x[i] / s, v = quant::round_even(u) + z;
      const bool inside = v >= lo && v <= hi;
      const T q = !(v == v) ? z : v < lo ? lo : v > hi ? hi : v;
      y[i] = (q - z) * s;
      in[i] = inside;
      if (cs) cs[i] = inside ? (q - z) - u : q - z;
      if (cz) cz[i] = inside ? T(0) : -s;
    }
  });
  return o;
}

// The broadcast shape of per-channel parameters against x: [1.., C, 1..] (or all ones per tensor).
Shape param_view_shape(const Tensor& x, const ChannelParams& cp, int64_t axis) {
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
  ChannelParams cp = channel_params(x, scale, zero, axis, r, "fakeQuantize");
  const bool grad_on = compute_requires_grad({&x, &scale, &zero});
  const bool fwd = has_tangent({&x, &scale, &zero}) && forward_ad_active();
  const bool need_s = (grad_on && scale.requires_grad()) || (fwd && tangent(scale).defined());
  const bool need_z = (grad_on && zero.requires_grad()) || (fwd && tangent(zero).defined());
  Tensor xc = contiguous(detach_op(x));
  FakeQuantResult fr = x.dtype() == DType::F32 ? fake_quant_forward<float>(xc, cp, r, need_s, need_z)
                                               : fake_quant_forward<double>(xc, cp, r, need_s, need_z);
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
  const cpu::GemmU8S8& kern = backend_kernels().gemm_u8s8;
  bool ok = p.packed.defined() && p.colsum.defined() && p.N > 0 && p.K > 0 && p.colsum.dtype() == DType::I32 &&
            p.colsum.numel() == p.N && p.colsum.is_contiguous() && p.packed.dtype() == DType::I8 &&
            p.packed.is_contiguous() && (p.layout != kern.layout || p.packed.numel() == kern.packed_bytes(p.N, p.K));
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
  const cpu::GemmU8S8& kern = backend_kernels().gemm_u8s8;
  Tensor wc = contiguous(w);
  p.layout = kern.layout;
  p.packed = empty({kern.packed_bytes(p.N, p.K)}, DType::I8);
  kern.pack(wc.data_ptr<int8_t>(), p.N, p.K, p.packed.data_ptr<int8_t>());
  p.colsum = empty({p.N}, DType::I32);
  const int8_t* W = wc.data_ptr<int8_t>();
  int32_t* cs = p.colsum.data_ptr<int32_t>();
  for (int64_t n = 0; n < p.N; ++n) {
    int32_t s = 0;
    for (int64_t k = 0; k < p.K; ++k) s += W[n * p.K + k];
    cs[n] = s;
  }
  return p;
}

// ---- int8 Linear / conv2d -----------------------------------------------------------------------------------------

void dynamic_u8_params(const Tensor& x, double* scale, int64_t* zero) {
  TF_CHECK(x.defined() && x.dtype() == DType::F32, DType, "int8: dynamic quantization needs a float32 tensor");
  Tensor xc = contiguous(detach_op(x));
  const float* p = xc.data_ptr<float>();
  const int64_t n = xc.numel();
  // one pass for the range; NaN fails the finite check (amin/amax would skip it)
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(64, n / 65536));
  std::vector<float> lo(size_t(chunks), 0.f), hi(size_t(chunks), 0.f);
  std::vector<uint8_t> bad(size_t(chunks), 0);
  parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float l = 0.f, h = 0.f;
      bool b = false;
      for (int64_t i = c * n / chunks; i < (c + 1) * n / chunks; ++i) {
        float v = p[i];
        b |= !std::isfinite(v);
        l = v < l ? v : l;
        h = v > h ? v : h;
      }
      lo[c] = l; hi[c] = h; bad[c] = b;
    }
  });
  double l = 0, h = 0;
  for (int64_t c = 0; c < chunks; ++c) {
    TF_CHECK(!bad[c], InvalidArgument, "int8: dynamic quantization of a tensor with non-finite values");
    l = std::min(l, double(lo[c]));
    h = std::max(h, double(hi[c]));
  }
  double s = (h - l) / 255.0;
  if (!(s > 0)) s = 1.0;
  s = double(float(s));  // the epilogue and the simulation use it as float32
  int64_t z = int64_t(std::nearbyint(-l / s));
  *scale = s;
  *zero = std::min<int64_t>(255, std::max<int64_t>(0, z));
}

namespace {

struct EpiData {
  const int32_t* colsum;
  std::vector<float> mult, bias;  // per column: x_scale * w_scale[n]; bias or 0
  int32_t x_zero;
  bool wide;  // acc - x_zero * colsum may leave int32 (K > 32768)
  Int8Act act;
  DType out;
  float out_scale, out_zero, lo, hi;
};

EpiData epilogue_data(const PackedInt8& w, const Int8Epilogue& e, double x_scale, int64_t x_zero, const char* op) {
  EpiData d;
  d.colsum = w.colsum.data_ptr<int32_t>();
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
  return d;
}

// rows [m0, m1) x cols [n0, n1) of C -> out[m * rs + n * cs] (elements of d.out). Written as straight loops
// over a row of at most kEpiCols columns, with the branches hoisted, so the compiler vectorises them; the base
// translation unit has no FMA, so every ISA path rounds alike.
constexpr int64_t kEpiCols = 256;
void epilogue(const EpiData& d, const int32_t* C, int64_t ldc, int64_t m0, int64_t m1, int64_t n0, int64_t n1, char* out,
              int64_t rs, int64_t cs) {
  const int64_t W = n1 - n0;
  TF_CHECK(W <= kEpiCols, Internal, "int8 epilogue block too wide");
  alignas(64) float y[kEpiCols];
  alignas(64) int32_t comp[kEpiCols];
  const float* mult = d.mult.data() + n0;
  const float* bias = d.bias.data() + n0;
  for (int64_t j = 0; j < W; ++j) comp[j] = d.x_zero * d.colsum[n0 + j];  // |x_zero * colsum| <= 255 * 128 * K < 2^31
  for (int64_t m = m0; m < m1; ++m) {
    const int32_t* c = C + m * ldc + n0;
    if (d.out == DType::I32) {  // the integer result itself (tests, custom epilogues), saturated to int32
      int32_t* o = reinterpret_cast<int32_t*>(out) + m * rs + n0 * cs;
      for (int64_t j = 0; j < W; ++j) {
        int64_t a = int64_t(c[j]) - int64_t(comp[j]);
        o[j * cs] = int32_t(std::min<int64_t>(INT32_MAX, std::max<int64_t>(INT32_MIN, a)));
      }
      continue;
    }
    if (d.wide) {  // K large enough that acc - comp could leave int32
      for (int64_t j = 0; j < W; ++j) y[j] = float(int64_t(c[j]) - int64_t(comp[j])) * mult[j] + bias[j];
    } else {
      for (int64_t j = 0; j < W; ++j) y[j] = float(c[j] - comp[j]) * mult[j] + bias[j];
    }
    if (d.act == Int8Act::Relu) {
      for (int64_t j = 0; j < W; ++j) y[j] = y[j] > 0.f ? y[j] : 0.f;
    } else if (d.act == Int8Act::Silu) {
      for (int64_t j = 0; j < W; ++j) y[j] = y[j] / (1.f + std::exp(-y[j]));
    }
    if (d.out == DType::F32) {
      float* o = reinterpret_cast<float*>(out) + m * rs + n0 * cs;
      if (cs == 1) std::memcpy(o, y, size_t(W) * sizeof(float));
      else for (int64_t j = 0; j < W; ++j) o[j * cs] = y[j];
      continue;
    }
    for (int64_t j = 0; j < W; ++j) y[j] = quant::quant_code_fast(y[j], d.out_scale, d.out_zero, d.lo, d.hi);
    if (d.out == DType::U8) {
      uint8_t* o = reinterpret_cast<uint8_t*>(out) + m * rs + n0 * cs;
      for (int64_t j = 0; j < W; ++j) o[j * cs] = uint8_t(int32_t(y[j]));
    } else {
      int8_t* o = reinterpret_cast<int8_t*>(out) + m * rs + n0 * cs;
      for (int64_t j = 0; j < W; ++j) o[j * cs] = int8_t(int32_t(y[j]));
    }
  }
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
  const char* cur = backend_kernels().gemm_u8s8.layout;
  TF_CHECK(w.layout == cur, InvalidArgument, op, ": weight packed for the '", w.layout,
           "' int8 kernel, but the current kernel is '", cur, "' (the ISA changed): pack it again");
}

// C[M, N] int32 for all rows, computed and finished (epilogue) in blocks split across the pool.
void gemm_epilogue(int64_t M, const uint8_t* A, int64_t lda, const PackedInt8& w, const EpiData& d, char* out,
                   int64_t rs, int64_t cs, bool parallel) {
  const cpu::GemmU8S8& kern = backend_kernels().gemm_u8s8;
  const int64_t N = w.N, K = w.K;
  // Tasks: column blocks (a multiple of 64, where the kernels allow a split) over row blocks of up to 256 rows.
  // Each task streams its columns' packed weights once per row block, so taller row blocks read the weights fewer
  // times; enough tasks remain for the pool (and the int32 block stays in L2 for the epilogue: 256 x 256 x 4 bytes).
  const int64_t NB = 256;
  const int64_t nblocks = (N + NB - 1) / NB;
  int64_t mblocks = (M + 255) / 256;
  while (mblocks * nblocks < 2 * num_threads() && mblocks * 16 < M) ++mblocks;  // split rows when there are few columns
  const int64_t MB = (M + mblocks - 1) / mblocks;
  alloc::Scratch cbuf(size_t(M * N) * sizeof(int32_t));
  int32_t* C = cbuf.as<int32_t>();
  auto task = [&](int64_t t) {
    int64_t mb = t / nblocks, nb = t % nblocks;
    int64_t m0 = mb * MB, m1 = std::min(M, m0 + MB), n0 = nb * NB, n1 = std::min(N, n0 + NB);
    kern.gemm(m1 - m0, N, K, A + m0 * lda, lda, w.packed.data_ptr<int8_t>(), C + m0 * N, N, n0, n1);
    epilogue(d, C, N, m0, m1, n0, n1, out, rs, cs);
  };
  int64_t tasks = mblocks * nblocks;
  if (!parallel) { for (int64_t t = 0; t < tasks; ++t) task(t); return; }
  parallel_for(0, tasks, 1, [&](int64_t lo, int64_t hi) { for (int64_t t = lo; t < hi; ++t) task(t); });
}

}  // namespace

Tensor int8_linear(const Tensor& x, double x_scale, int64_t x_zero, const PackedInt8& w, const Int8Epilogue& e) {
  const char* op = "int8Linear";
  TF_CHECK(x.defined(), InvalidArgument, op, ": undefined input");
  check_layout(w, op);
  TF_CHECK(x.dim() >= 1 && x.size(-1) == w.K, ShapeMismatch, op, ": input ", shape_str(x.shape()),
           " does not end in K = ", w.K);
  Tensor a = activation_codes(x, &x_scale, &x_zero, op);
  EpiData d = epilogue_data(w, e, x_scale, x_zero, op);
  Shape os = x.shape();
  os.back() = w.N;
  Tensor out = empty(os, e.out);
  int64_t M = x.numel() / w.K;
  if (M == 0) return out;
  gemm_epilogue(M, a.data_ptr<uint8_t>(), w.K, w, d, out.raw_ptr(), w.N, 1, true);
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
  const int64_t P = Ho * Wo, K = w.K, O = w.N, HW = H * W;
  // activation codes channels last, image by image (an image's codes stay in cache while transposed): an im2col
  // row is then kh*kw runs of C contiguous bytes
  resolve_activation_params(x, &x_scale, &x_zero, op);
  Tensor xc = contiguous(detach_op(x));
  EpiData d = epilogue_data(w, e, x_scale, x_zero, op);
  Tensor out = empty({B, O, Ho, Wo}, e.out);
  if (B == 0 || P == 0) return out;
  alloc::Scratch nhwc_buf(size_t(B * HW * C));
  uint8_t* nhwc = nhwc_buf.as<uint8_t>();
  const float sx = float(x_scale), zx = float(x_zero);
  parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      uint8_t* dst = nhwc + b * HW * C;
      for (int64_t c = 0; c < C; ++c) {
        if (x.dtype() == DType::F32) {
          const float* src = xc.data_ptr<float>() + (b * C + c) * HW;
          for (int64_t i = 0; i < HW; ++i) dst[i * C + c] = uint8_t(int32_t(quant::quant_code_fast(src[i], sx, zx, 0.f, 255.f)));
        } else {
          const uint8_t* src = xc.data_ptr<uint8_t>() + (b * C + c) * HW;
          for (int64_t i = 0; i < HW; ++i) dst[i * C + c] = src[i];
        }
      }
    }
  });
  const uint8_t pad = uint8_t(x_zero);
  const int64_t es = int64_t(dtype_size(e.out));
  const bool direct = kh == 1 && kw == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_h == 0 && p.pad_w == 0;
  // one image per task: im2col (rows = output pixels, K = (i, j, c) contiguous), GEMM, epilogue into NCHW
  auto image = [&](int64_t b, bool parallel) {
    const uint8_t* xb = nhwc + b * HW * C;
    char* ob = out.raw_ptr() + b * O * P * es;
    if (direct) { gemm_epilogue(P, xb, C, w, d, ob, 1, P, parallel); return; }
    alloc::Scratch colbuf(size_t(P * K));
    uint8_t* cols = colbuf.as<uint8_t>();
    for (int64_t oh = 0; oh < Ho; ++oh)
      for (int64_t ow = 0; ow < Wo; ++ow) {
        uint8_t* row = cols + (oh * Wo + ow) * K;
        for (int64_t i = 0; i < kh; ++i) {
          const int64_t ih = oh * p.stride_h - p.pad_h + i * p.dil_h;
          for (int64_t j = 0; j < kw; ++j, row += C) {
            const int64_t iw = ow * p.stride_w - p.pad_w + j * p.dil_w;
            const bool in = ih >= 0 && ih < H && iw >= 0 && iw < W;
            if (C >= 16) {
              if (in) std::memcpy(row, xb + (ih * W + iw) * C, size_t(C)); else std::memset(row, pad, size_t(C));
            } else {  // a few channels (the first layer): a call per run would cost more than the copy
              const uint8_t* src = xb + (in ? (ih * W + iw) * C : 0);
              for (int64_t c = 0; c < C; ++c) row[c] = in ? src[c] : pad;
            }
          }
        }
      }
    gemm_epilogue(P, cols, K, w, d, ob, 1, P, parallel);
  };
  if (B >= num_threads()) {
    parallel_for(0, B, 1, [&](int64_t lo, int64_t hi) { for (int64_t b = lo; b < hi; ++b) image(b, false); });
  } else {
    for (int64_t b = 0; b < B; ++b) image(b, true);
  }
  return out;
}

}  // namespace tf
