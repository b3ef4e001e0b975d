// The int8 family's plain types, shared by the op layer (ops/quant.cpp: checks, rules) and the backends' int8
// entries (backend/backend.h; host: cpu/host_int8.cpp). Conventions in ops/quant.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "../core/tensor.h"

namespace tf {

// W [N, K] int8 packed once for the current backend's int8 kernel (its `int8_layout`), with the column sums the
// zero-point compensation needs.
struct PackedInt8 {
  Tensor packed;   // int8, flat, in `layout`
  Tensor colsum;   // int32 [N]: sum_k W[n, k]
  std::string layout;
  int64_t N = 0, K = 0;
};
enum class Int8Act { None, Relu, Silu };
// The requantization epilogue: y[m, n] = act((acc - x_zero * colsum[n]) * x_scale * w_scale[n] + bias[n]),
// written as float32, or coded as u8 / i8 with (out_scale, out_zero); int32 gives acc - x_zero * colsum[n] itself
// (saturated), with no scale, bias or activation.
struct Int8Epilogue {
  Tensor w_scale;          // float32 [N]
  Tensor bias;             // float32 [N] or undefined
  Int8Act act = Int8Act::None;
  DType out = DType::F32;  // F32, U8, I8 or I32
  double out_scale = 1;
  int64_t out_zero = 0;
  // With out U8 / I8: decode the codes again, (q - out_zero) * out_scale, and write float32: the output coding's
  // rounding (the paper's fake-quantised layer output) without a pass over a code tensor.
  bool decode = false;
  // float32, the output's shape, or undefined: added to the float32 result as it is written (a residual
  // connection's x + layer(h) without a pass over either tensor); needs a float32 result (out F32 or decode).
  Tensor residual;
};
// A checked affine coding of x viewed as [outer, C, inner]: one (scale, zero) per channel (or one for all), codes
// clamped to [lo, hi].
struct ChannelCoding {
  std::vector<double> scale, zero;
  int64_t outer = 1, C = 1, inner = 1;
  double lo = 0, hi = 0;
  double s(int64_t c) const { return scale.size() == 1 ? scale[0] : scale[c]; }
  double z(int64_t c) const { return zero.size() == 1 ? zero[0] : zero[c]; }
};

// A checked requantization epilogue (Int8Epilogue resolved against a weight and the activations' coding): per
// column multiplier x_scale * w_scale[n] and bias (0 when none), as float32 as the epilogue computes.
struct Int8Finish {
  std::vector<float> mult, bias;
  int32_t x_zero = 0;
  bool wide = false;  // acc - x_zero * colsum may leave int32 (K > 32768)
  Int8Act act = Int8Act::None;
  DType out = DType::F32;
  float out_scale = 1, out_zero = 0, lo = 0, hi = 0;
  bool decode = false;  // out is the coding (U8 / I8); the result is float32 (Int8Epilogue::decode)
  const float* residual = nullptr;  // contiguous, the output's layout: added to each float32 result as written
};

}  // namespace tf
