// Unary elementwise ops: forward through the kernel table, backward as engine ops.
#include <cmath>
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {

bool works_on_ints(UnaryOp op) {
  switch (op) {
    case U_NEG: case U_ABS: case U_SIGN: case U_RELU: case U_CLAMP:
    case U_SQUARE: case U_FLOOR: case U_COPY: return true;
    default: return false;
  }
}

Tensor unary_forward(UnaryOp op, const Tensor& x, double a, double b) {
  Tensor in = x;
  if (!is_floating(x.dtype()) && !works_on_ints(op)) {
    GradModeGuard off(false);
    in = to_dtype(x, DType::F32);  // math functions of integers are computed in float32, as in PyTorch
  }
  TF_CHECK(!(op == U_NEG && in.dtype() == DType::U8), DType, "neg is not defined for uint8 tensors");
  Tensor out = empty(in.shape(), in.dtype());
  TF_CHECK(current_backend().unary(op, out, in, UnaryParams{a, b}), DType,
           "this elementwise op does not support dtype ", dtype_name(in.dtype()));
  return out;
}

const char* unary_name(UnaryOp op) {
#define TF_X(E, js, node, ...) #node,
  static const char* const names[] = {TF_UNARY_OPS(TF_X)};
#undef TF_X
  return names[op];
}

// d out / d x as engine ops, given x, the output y and the op's parameters.
Tensor unary_grad(UnaryOp op, const Tensor& g, const Tensor& x, const Tensor& y, double a, double b) {
  using namespace cpu;
  switch (op) {
    case U_NEG: return -g;
    case U_EXP: return g * y;
    case U_LOG: return g / x;
    case U_LOG1P: return g / (x + 1.0);
    case U_EXPM1: return g * (y + 1.0);
    case U_SQRT: return g / (y * 2.0);
    case U_RSQRT: return g * (y * y * y) * -0.5;
    case U_ABS: return g * sign(x);
    case U_SIGN: case U_FLOOR: return Tensor();
    case U_SIN: return g * cos(x);
    case U_COS: return -(g * sin(x));
    case U_TANH: return g * (1.0 - y * y);
    case U_SIGMOID: return g * (y * (1.0 - y));
    case U_RELU: return mask_grad(gt0(x), g);
    case U_LEAKY_RELU: return where(gt0(x), g, g * a);
    case U_ELU: return where(gt0(x), g, g * (exp(x) * a));
    case U_SILU: {
      Tensor s = sigmoid(x);
      return g * (s * (1.0 + x * (1.0 - s)));
    }
    case U_GELU: {
      Tensor cdf = (erf(x * M_SQRT1_2) + 1.0) * 0.5;
      Tensor pdf = exp(square(x) * -0.5) * (0.5 * M_2_SQRTPI * M_SQRT1_2);
      return g * (cdf + x * pdf);
    }
    case U_GELU_TANH: {
      const double k = std::sqrt(2.0 / M_PI), c = 0.044715;
      Tensor t = tanh((x + square(x) * x * c) * k);
      Tensor du = (square(x) * (3.0 * c) + 1.0) * k;
      return g * ((t + 1.0) * 0.5 + x * 0.5 * (1.0 - t * t) * du);
    }
    case U_SOFTPLUS: {
      Tensor bx = x * a;
      return where(compare(B_GT, bx, sc(b, bx)), g, g * sigmoid(bx));
    }
    case U_CLAMP: {
      Tensor inside = mul(compare(B_GE, x, sc(a, x)), compare(B_LE, x, sc(b, x)));
      return mask_grad(inside, g);
    }
    case U_ERF: return g * (exp(-square(x)) * M_2_SQRTPI);
    case U_RECIPROCAL: return -(g * (y * y));
    case U_SQUARE: return g * (x * 2.0);
    case U_POW_SCALAR:
      if (a == 0) return g * 0.0;
      return g * (pow_scalar(x, a - 1) * a);
    case U_COPY: return g;
  }
  fail(ErrorCode::Internal, "no gradient for unary op ", int(op));
}

// The rules whose formula reads the output y rather than the input x (op_table.h's gradUsesOutput column).
bool grad_uses_output(UnaryOp op) {
#define TF_X(E, js, node, uses_out, simd) uses_out != 0,
  static const bool uses[] = {TF_UNARY_OPS(TF_X)};
#undef TF_X
  return uses[op];
}

}  // namespace

Tensor unary(UnaryOp op, const Tensor& x, double a, double b) {
  TF_CHECK(x.defined(), InvalidArgument, "unary op on an undefined tensor");
  Tensor out = unary_forward(op, x, a, b);
  if (is_floating(x.dtype()) && compute_requires_grad({&x})) {
    bool use_out = grad_uses_output(op);
    auto node = make_node(unary_name(op), {x}, [op, a, b, use_out](FnNode& n, const TensorList& g) -> TensorList {
      Tensor xs = use_out ? Tensor() : n.saved(0);
      Tensor ys = use_out ? n.saved(0) : Tensor();
      return {unary_grad(op, g[0], xs, ys, a, b)};
    });
    if (use_out) node->save_output(out, 0); else node->save(x);
    set_history(out, node);
  }
  // the derivative is linear in the incoming vector, so the VJP formula applied to the tangent is the JVP
  jvp_rule(out, {&x}, [&] { return unary_grad(op, tangent(x), x, out, a, b); });
  return out;
}

Tensor neg(const Tensor& x) { return unary(U_NEG, x); }
Tensor exp(const Tensor& x) { return unary(U_EXP, x); }
Tensor log(const Tensor& x) { return unary(U_LOG, x); }
Tensor log1p(const Tensor& x) { return unary(U_LOG1P, x); }
Tensor expm1(const Tensor& x) { return unary(U_EXPM1, x); }
Tensor sqrt(const Tensor& x) { return unary(U_SQRT, x); }
Tensor rsqrt(const Tensor& x) { return unary(U_RSQRT, x); }
Tensor abs(const Tensor& x) { return unary(U_ABS, x); }
Tensor sign(const Tensor& x) { return unary(U_SIGN, x); }
Tensor sin(const Tensor& x) { return unary(U_SIN, x); }
Tensor cos(const Tensor& x) { return unary(U_COS, x); }
Tensor tanh(const Tensor& x) { return unary(U_TANH, x); }
Tensor sigmoid(const Tensor& x) { return unary(U_SIGMOID, x); }
Tensor relu(const Tensor& x) { return unary(U_RELU, x); }
Tensor leaky_relu(const Tensor& x, double slope) { return unary(U_LEAKY_RELU, x, slope); }
Tensor elu(const Tensor& x, double alpha) { return unary(U_ELU, x, alpha); }
Tensor silu(const Tensor& x) { return unary(U_SILU, x); }
Tensor gelu(const Tensor& x, bool tanh_approx) { return unary(tanh_approx ? U_GELU_TANH : U_GELU, x); }
Tensor softplus(const Tensor& x, double beta, double threshold) {
  TF_CHECK(beta != 0 && std::isfinite(beta), InvalidArgument, "softplus: beta must be finite and non-zero");
  return unary(U_SOFTPLUS, x, beta, threshold);
}
Tensor clamp(const Tensor& x, double lo, double hi) {
  TF_CHECK(!(lo > hi), InvalidArgument, "clamp: min (", lo, ") is greater than max (", hi, ")");
  return unary(U_CLAMP, x, lo, hi);
}
Tensor erf(const Tensor& x) { return unary(U_ERF, x); }
Tensor reciprocal(const Tensor& x) { return unary(U_RECIPROCAL, x); }
Tensor square(const Tensor& x) { return unary(U_SQUARE, x); }
Tensor pow_scalar(const Tensor& x, double p) {
  if (p == 1) return unary(U_COPY, x);
  if (p == 2) return square(x);
  return unary(U_POW_SCALAR, x, p);
}
Tensor floor(const Tensor& x) { return unary(U_FLOOR, x); }

Tensor isfinite(const Tensor& x) {
  Tensor out = empty(x.shape(), DType::U8);
  TF_CHECK(current_backend().isfinite(out, x), DType, "isfinite does not support dtype ", dtype_name(x.dtype()));
  return out;
}

}  // namespace tf
