// The plain parameter structs that the op layer checks and the backends' entries run with (backend/backend.h):
// a convolution's geometry, an optimizer step's hyper-parameters, a Fourier transform's kind.
#pragma once
#include <cstdint>

namespace tf {

struct Conv2dParams {
  int64_t stride_h = 1, stride_w = 1, pad_h = 0, pad_w = 0, dil_h = 1, dil_w = 1, groups = 1;
};

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;     // 1-based, for bias correction
  bool decoupled;   // AdamW
};

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, first_step;  // the first step stores the gradient as the momentum buffer (as PyTorch does)
};

// The discrete Fourier transforms (ops/fft.cpp): complex to complex, real to the half spectrum, half spectrum to
// real. A complex value is a (re, im) pair in a trailing dimension of size 2.
struct FftParams {
  enum Kind { C2C, R2C, C2R } kind;
  bool inverse;  // C2C only: exp(+2 pi i jk / n) instead of exp(-2 pi i jk / n)
  double scale;  // every output times this
};

// A normalisation's output coded to uint8 for the next int8 layer (ops/norm.cpp group_norm_coded): each float32
// value y becomes the code the int8 layers give it, clamp(nearbyint(y / scale) + zero, 0, 255).
struct NormCode {
  float scale, zero;
};

// A triangular solve op(T) X = B (ops/linalg.cpp): T upper or lower, op(T) = T or T^T.
struct TriSolveParams {
  bool upper;
  bool transpose;
};

}  // namespace tf
