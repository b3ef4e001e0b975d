// The int8 surface of the engine (ops/quant.cpp): affine quantization, fake quantization for QAT, weight
// packing and the int8 Linear / conv2d with their fused requantization epilogue.
// Conventions: a real value r is coded as q with r = (q - zero) * scale; rounding is half to even
// (quant/qmath.h). Weights are int8, symmetric (zero 0), one scale per output channel; activations are uint8
// (or int8) with one scale and zero point per tensor.
#pragma once
#include <string>
#include "../backend/backend.h"
#include "../quant/int8_types.h"
#include "ops.h"

namespace tf {

// Per tensor (scale and zero have one element) or per channel along `axis` (numel == x.size(axis)).
// scale > 0 and finite; zero holds integers within the code range. NaN maps to the zero point (a check
// for non-finite values would cost a pass of its own).
Tensor quantize(const Tensor& x, const Tensor& scale, const Tensor& zero, int64_t axis, DType dt);
Tensor dequantize(const Tensor& q, const Tensor& scale, const Tensor& zero, int64_t axis);
// Re-expresses codes of (in_scale, in_zero) in (out_scale, out_zero) as dtype dt (u8 or i8), per tensor.
Tensor requantize(const Tensor& q, double in_scale, int64_t in_zero, double out_scale, int64_t out_zero, DType dt);
// y = (clamp(round(x / s) + z, qmin, qmax) - z) * s, differentiable: straight-through for x (gradient 1 inside
// the range, 0 outside), LSQ for a scale that requires grad (round(x/s) - x/s inside, the clamped code - z
// outside), and for z (0 inside, -s outside). Forward mode uses the same coefficients.
Tensor fake_quantize(const Tensor& x, const Tensor& scale, const Tensor& zero, int64_t qmin, int64_t qmax,
                     int64_t axis);

// W [N, K] int8 packed once for the current backend's int8 kernel, with its column sums (quant/int8_types.h).
PackedInt8 pack_int8_weight(const Tensor& w);
// TF_INVALID_ARGUMENT unless p's tensors match its n, k and layout (a hand-made weight must not let a kernel read
// past its buffer). Every int8 op taking a PackedInt8 calls it.
void check_packed_int8(const PackedInt8& p);

// Activations: float32 (quantized here with x_scale / x_zero; x_scale <= 0 means dynamic: the per-tensor
// range of this x, widened to include 0) or uint8 codes with (x_scale, x_zero). x [..., K] -> [..., N].
Tensor int8_linear(const Tensor& x, double x_scale, int64_t x_zero, const PackedInt8& w, const Int8Epilogue& e);
// x [B, C, H, W] -> [B, O, Ho, Wo]; w packed from the weight in channels-last order, [O, kh*kw*C] (the
// [O, C, kh, kw] weight permuted to [O, kh, kw, C]), groups 1. Padding takes the value 0.0, i.e. the activation
// zero point. Activations are coded channels-last inside, so an im2col row is kh*kw copies of C bytes and a
// 1x1 convolution needs no im2col at all.
Tensor int8_conv2d(const Tensor& x, double x_scale, int64_t x_zero, const PackedInt8& w, int64_t kh, int64_t kw,
                   const Conv2dParams& p, const Int8Epilogue& e);
// The range a dynamic quantization picks for x: scale and zero point for uint8 (0 always representable).
void dynamic_u8_params(const Tensor& x, double* scale, int64_t* zero);

}  // namespace tf
