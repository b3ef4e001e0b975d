// Scalar reference GEMM (triple loop, double accumulator) and softmax rows.
#include "../kernels.h"
#include "../bf16.h"
#include "../../math/mma_tile.h"
#include <cmath>

namespace tf {
namespace cpu {

namespace {

template <class T>
void gemm_ref(int64_t M, int64_t N, int64_t K, const char* a, int64_t rsA, int64_t csA, const char* b, int64_t rsB,
              int64_t csB, char* c, int64_t ldc, int accumulate) {
  const T* A = reinterpret_cast<const T*>(a);
  const T* B = reinterpret_cast<const T*>(b);
  T* C = reinterpret_cast<T*>(c);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = accumulate ? double(C[m * ldc + n]) : 0.0;
      for (int64_t k = 0; k < K; ++k) s += double(A[m * rsA + k * csA]) * double(B[k * rsB + n * csB]);
      C[m * ldc + n] = T(s);
    }
}

template <class T>
void softmax_ref(const char* x, char* y, int64_t rows, int64_t n, int log) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* X = reinterpret_cast<const T*>(x) + r * n;
    T* Y = reinterpret_cast<T*>(y) + r * n;
    double m = -INFINITY;
    for (int64_t i = 0; i < n; ++i) m = X[i] > m ? double(X[i]) : m;
    if (std::isinf(m) && m < 0) m = 0;  // an all -inf row gives NaN like PyTorch, via exp(-inf - 0)/0
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += std::exp(double(X[i]) - m);
    if (log) {
      double ls = std::log(s);
      for (int64_t i = 0; i < n; ++i) Y[i] = T(double(X[i]) - m - ls);
    } else {
      for (int64_t i = 0; i < n; ++i) Y[i] = T(std::exp(double(X[i]) - m) / s);
    }
  }
}

}  // namespace

namespace {
// A reduced-precision matmul as a model: each float32 input rounded by `round`, the exact products summed in
// double, the sum rounded once. Every kernel of that precision is within float32 accumulation error of this.
template <float (*round)(float)>
void gemm_rounded_reference(int64_t M, int64_t N, int64_t K, const char* a, int64_t rsA, int64_t csA, const char* b,
                            int64_t rsB, int64_t csB, char* c, int64_t ldc, int accumulate) {
  const float* A = reinterpret_cast<const float*>(a);
  const float* B = reinterpret_cast<const float*>(b);
  float* C = reinterpret_cast<float*>(c);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = accumulate ? double(C[m * ldc + n]) : 0.0;
      for (int64_t k = 0; k < K; ++k) s += double(round(A[m * rsA + k * csA])) * double(round(B[k * rsB + n * csB]));
      C[m * ldc + n] = float(s);
    }
}
float round_bf16(float x) { return bf16_round(x); }            // cpu/bf16.h: nearest, ties to even
float round_tf32(float x) { return mma::tf32_round(x); }       // math/mma_tile.h: nearest, ties away (cvt.rna)
}  // namespace

// The matmul precision 'bf16' as a model (the AVX512-BF16 / AMX kernels and the CUDA tensor cores are held to it).
void gemm_bf16_reference(int64_t M, int64_t N, int64_t K, const char* a, int64_t rsA, int64_t csA, const char* b,
                         int64_t rsB, int64_t csB, char* c, int64_t ldc, int accumulate) {
  gemm_rounded_reference<&round_bf16>(M, N, K, a, rsA, csA, b, rsB, csB, c, ldc, accumulate);
}

// The matmul precision 'tf32' as a model: the inputs rounded exactly as the CUDA kernel's cvt.rna.tf32.f32 rounds them.
void gemm_tf32_reference(int64_t M, int64_t N, int64_t K, const char* a, int64_t rsA, int64_t csA, const char* b,
                         int64_t rsB, int64_t csB, char* c, int64_t ldc, int accumulate) {
  gemm_rounded_reference<&round_tf32>(M, N, K, a, rsA, csA, b, rsB, csB, c, ldc, accumulate);
}

void fill_reference_gemm(KernelTable& t) {
  t.gemm[0] = &gemm_ref<float>;
  t.gemm[1] = &gemm_ref<double>;
  t.softmax[0] = &softmax_ref<float>;
  t.softmax[1] = &softmax_ref<double>;
}

}  // namespace cpu
}  // namespace tf
