// Scalar reference for the int8 GEMM: the integer definition every SIMD path is checked against bit for bit.
// Its packed layout is W itself ([N,K] int8, row-major).
#include <cmath>
#include "../kernels.h"
#include "../../quant/qmath.h"
#include <string.h>

namespace tf {
namespace cpu {

namespace {

int64_t ref_packed_bytes(int64_t N, int64_t K) { return N * K; }

void ref_pack(const int8_t* W, int64_t N, int64_t K, int8_t* out) { memcpy(out, W, size_t(N * K)); }

void ref_gemm(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda, const int8_t* W, int32_t* C,
              int64_t ldc, int64_t n0, int64_t n1) {
  (void)N;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = n0; n < n1; ++n) {
      // |sum| <= K * 255 * 128 < 2^31 for K < 65793; the op layer refuses larger K
      int32_t s = 0;
      for (int64_t k = 0; k < K; ++k) s += int32_t(A[m * lda + k]) * int32_t(W[n * K + k]);
      C[m * ldc + n] = s;
    }
}

void ref_code_u8(int64_t n, const float* x, float s, float z, float lo, float hi, uint8_t* q) {
  for (int64_t i = 0; i < n; ++i) q[i] = uint8_t(int32_t(quant::quant_code_fast(x[i], s, z, lo, hi)));
}

void ref_int8_affine(int64_t n, const int32_t* c, const int32_t* comp, const float* mult, const float* bias, int relu,
                     float* y) {
  for (int64_t j = 0; j < n; ++j) {
    const float r = float(c[j] - comp[j]) * mult[j] + bias[j];  // baseline x86-64: no FMA to contract into
    y[j] = relu ? (r > 0.f ? r : 0.f) : r;
  }
}

void ref_int8_affine_row(int64_t n, const int32_t* c, int32_t comp, float mult, float bias, int relu, float* y) {
  for (int64_t j = 0; j < n; ++j) {
    const float r = float(c[j] - comp) * mult + bias;
    y[j] = relu ? (r > 0.f ? r : 0.f) : r;
  }
}

void ref_int8_affine_decode_row(int64_t n, const int32_t* c, int32_t comp, float mult, float bias, int relu, float s,
                                float z, float lo, float hi, float* y) {
  for (int64_t j = 0; j < n; ++j) {
    float r = float(c[j] - comp) * mult + bias;
    r = relu ? (r > 0.f ? r : 0.f) : r;
    y[j] = (quant::quant_code_fast(r, s, z, lo, hi) - z) * s;  // the code is an integer-valued float: decoded as is
  }
}

void ref_decode_u8(int64_t n, const uint8_t* q, int is_signed, float s, float z, float* y) {
  for (int64_t j = 0; j < n; ++j) y[j] = ((is_signed ? float(int8_t(q[j])) : float(q[j])) - z) * s;
}

int ref_range_f32(int64_t n, const float* x, float* lo, float* hi) {
  float l = 0.f, h = 0.f;
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    if (!std::isfinite(v)) return 0;
    l = v < l ? v : l;
    h = v > h ? v : h;
  }
  *lo = l;
  *hi = h;
  return 1;
}

}  // namespace

void fill_reference_gemm_u8s8(KernelTable& t) {
  t.gemm_u8s8 = GemmU8S8{"ref", &ref_packed_bytes, &ref_pack, &ref_gemm, nullptr, 0, nullptr, nullptr, nullptr, 0};
  t.code_u8 = &ref_code_u8;
  t.int8_affine = &ref_int8_affine;
  t.int8_affine_row = &ref_int8_affine_row;
  t.int8_affine_decode_row = &ref_int8_affine_decode_row;
  t.decode_u8 = &ref_decode_u8;
  t.range_f32 = &ref_range_f32;
}

}  // namespace cpu
}  // namespace tf
