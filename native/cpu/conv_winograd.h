// Winograd F(2x2, 3x3) for the 3x3 stride-1 float32 convolutions that dominate a diffusion U-Net: 16
// multiplications per 2x2 output tile and channel pair instead of 36 (see conv_winograd.cpp).
#pragma once
#include <cstdint>
#include "../core/params.h"
#include "../core/dtype.h"

namespace tf::winograd {

// float32, 3x3, stride 1, no dilation, one group, and enough channels on both sides for the 16 GEMMs to be
// GEMMs (a first or last layer with a handful of channels stays on im2col). TENSORFIELD_CONV=im2col turns it off.
bool applies(DType dt, int64_t C, int64_t O, int64_t kh, int64_t kw, const Conv2dParams& p);

// The transformed weight U[16][C][O] (G g G^T for each (o, c)) of w [O, C, 3, 3]; 16*C*O floats.
void transform_weight(const float* w, int64_t O, int64_t C, float* U);

// One image: xt [H*W, C] channels last -> out [Ho*Wo, O] channels last, Ho = H + 2 pad_h - 2 (same for W), plus
// bias [O] unless null.
void conv_image(const float* xt, int64_t H, int64_t W, int64_t C, int64_t O, int64_t pad_h, int64_t pad_w,
                const float* U, const float* bias, float* out);

// The weight gradient over n_images images at once: dU [16][C][O] += the transformed gradient of xt
// [n_images][H*W, C] against dyt [n_images][Ho*Wo, O] (channels last); after the last chunk of images,
// dw [O, C, 3, 3] = weight_from_transformed(dU).
void weight_grad_images(const float* xt, const float* dyt, int64_t n_images, int64_t H, int64_t W, int64_t C,
                        int64_t O, int64_t pad_h, int64_t pad_w, float* dU);
void weight_from_transformed(const float* dU, int64_t O, int64_t C, float* dw);

}  // namespace tf::winograd
