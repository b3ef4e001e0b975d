// The one list of elementwise ops. Every other list is derived from these rows: the op enums
// (below, in namespace tf; the kernel tables in cpu/kernels.h are indexed by them), the names the addon exports to JS (`native.unaryOps`, `native.binaryOps`), the backward
// node names, which gradients reuse the output, which ops have a float32 SIMD body (cpu/simd/kernels_f32.inc
// fills exactly those, and the addon exports the list so test/conformance.test.ts fails when one of them has
// no case), and the switches over the enum that -Werror=switch makes exhaustive (reference kernel, backward).
//
// Adding a unary op: one row here, its reference body (math/elementwise.h unary_apply, which the CPU reference
// and the CUDA kernels share), its backward
// (ops/unary.cpp unary_grad; the JVP reuses it), a Tensor method in lib/tensor.ts, a test case; and, if it is
// hot, its SIMD body (cpu/simd/kernels_f32.inc unary_k) with simd = 1 below. See CONTRIBUTING.md.
//
// No STL here: SIMD translation units include this through cpu/kernels.h.
#pragma once

// X(ENUM, jsName, BackwardNodeName, gradUsesOutput, simd)
#define TF_UNARY_OPS(X)                                \
  X(NEG, neg, NegBackward, 0, 1)                       \
  X(EXP, exp, ExpBackward, 1, 1)                       \
  X(LOG, log, LogBackward, 0, 0)                       \
  X(LOG1P, log1p, Log1pBackward, 0, 0)                 \
  X(EXPM1, expm1, Expm1Backward, 1, 0)                 \
  X(SQRT, sqrt, SqrtBackward, 1, 1)                    \
  X(RSQRT, rsqrt, RsqrtBackward, 1, 0)                 \
  X(ABS, abs, AbsBackward, 0, 1)                       \
  X(SIGN, sign, SignBackward, 0, 0)                    \
  X(SIN, sin, SinBackward, 0, 0)                       \
  X(COS, cos, CosBackward, 0, 0)                       \
  X(TANH, tanh, TanhBackward, 1, 1)                    \
  X(SIGMOID, sigmoid, SigmoidBackward, 1, 1)           \
  X(RELU, relu, ReluBackward, 0, 1)                    \
  X(LEAKY_RELU, leakyRelu, LeakyReluBackward, 0, 1)    \
  X(ELU, elu, EluBackward, 0, 0)                       \
  X(SILU, silu, SiluBackward, 0, 1)                    \
  X(GELU, gelu, GeluBackward, 0, 1)                    \
  X(GELU_TANH, geluTanh, GeluTanhBackward, 0, 1)       \
  X(SOFTPLUS, softplus, SoftplusBackward, 0, 0)        \
  X(CLAMP, clamp, ClampBackward, 0, 1)                 \
  X(ERF, erf, ErfBackward, 0, 0)                       \
  X(RECIPROCAL, reciprocal, ReciprocalBackward, 1, 0)  \
  X(SQUARE, square, SquareBackward, 0, 1)              \
  X(POW_SCALAR, powScalar, PowBackward, 0, 0)          \
  X(FLOOR, floor, FloorBackward, 0, 0)                 \
  X(COPY, copy, CopyBackward, 0, 0)

// X(ENUM, jsName, BackwardNodeName, simd); the comparisons come last (is_comparison: they write uint8).
#define TF_BINARY_OPS(X)                   \
  X(ADD, add, AddBackward, 1)              \
  X(SUB, sub, SubBackward, 1)              \
  X(MUL, mul, MulBackward, 1)              \
  X(DIV, div, DivBackward, 1)              \
  X(POW, pow, PowBackward, 0)              \
  X(MAX, maximum, MaximumBackward, 1)      \
  X(MIN, minimum, MinimumBackward, 1)      \
  X(EQ, eq, EqBackward, 0)                 \
  X(NE, ne, NeBackward, 0)                 \
  X(LT, lt, LtBackward, 0)                 \
  X(LE, le, LeBackward, 0)                 \
  X(GT, gt, GtBackward, 0)                 \
  X(GE, ge, GeBackward, 0)

// Op identity, derived from the rows above (namespace tf: every backend and front door names ops by these).
// The counts are constants, not enumerators, so a switch over the enum can be exhaustive.
namespace tf {

#define TF_X(E, ...) U_##E,
enum UnaryOp { TF_UNARY_OPS(TF_X) };
#undef TF_X
#define TF_X(E, ...) +1
constexpr int U_COUNT = 0 TF_UNARY_OPS(TF_X);
#undef TF_X
// a, b: the op's scalar parameters (leakyRelu slope; elu alpha; softplus beta, threshold; clamp lo, hi; pow exponent)
struct UnaryParams { double a, b; };

#define TF_X(E, ...) B_##E,
enum BinaryOp { TF_BINARY_OPS(TF_X) };
#undef TF_X
#define TF_X(E, ...) +1
constexpr int B_COUNT = 0 TF_BINARY_OPS(TF_X);
#undef TF_X
inline bool is_comparison(int op) { return op >= B_EQ; }  // comparisons write uint8

enum ReduceOp { R_SUM, R_PROD, R_MAX, R_MIN, R_ARGMAX, R_ARGMIN, R_COUNT };

}  // namespace tf
