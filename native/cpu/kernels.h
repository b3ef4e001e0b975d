// The kernel table: plain function pointers, one slot per (op, dtype), filled once at load from CPUID.
// Every kernel here works on one row of a strided loop (strides in elements) or one contiguous block;
// the op layer does shapes, broadcasting and threading. No STL here: SIMD translation units include this.
#pragma once
#include <stdint.h>
#include "../ops/op_table.h"

namespace tf {
namespace cpu {

// Op identity (UnaryOp, BinaryOp, ReduceOp, UnaryParams) is the engine's, in ops/op_table.h.
typedef void (*UnaryFn)(int64_t n, const char* x, int64_t sx, char* y, int64_t sy, const UnaryParams* p);

typedef void (*BinaryFn)(int64_t n, const char* a, int64_t sa, const char* b, int64_t sb, char* o, int64_t so);

// where(cond, a, b): cond is uint8
typedef void (*WhereFn)(int64_t n, const char* c, int64_t sc, const char* a, int64_t sa, const char* b,
                        int64_t sb, char* o, int64_t so);
// isfinite: writes uint8
typedef void (*PredFn)(int64_t n, const char* x, int64_t sx, char* o, int64_t so);

// out[i] = reduce over r of x[r * sr + i], for i in [0, I). argmax/argmin write int32 indices.
typedef void (*ReduceFn)(const char* x, int64_t R, int64_t I, int64_t sr, char* out);
// out[r * sr + i] = sum_{q <= r} x[q * sr + i]
typedef void (*ScanFn)(const char* x, int64_t R, int64_t I, int64_t sr, char* out);

// C[M,N] (row stride ldc) = (accumulate ? C : 0) + A[M,K] B[K,N]; A and B by arbitrary element strides.
typedef void (*GemmFn)(int64_t M, int64_t N, int64_t K, const char* A, int64_t rsA, int64_t csA, const char* B,
                       int64_t rsB, int64_t csB, char* C, int64_t ldc, int accumulate);

// softmax or log-softmax of `rows` contiguous rows of length n
typedef void (*SoftmaxFn)(const char* x, char* y, int64_t rows, int64_t n, int log);

typedef void (*CastFn)(int64_t n, const char* x, int64_t sx, char* y, int64_t sy);

// float32 -> uint8 codes of n contiguous values: q = clamp(round_half_even(x / s) + z, lo, hi), NaN -> z, exactly
// as quant::quant_code_fast (quant/qmath.h) computes it, on every path (the int8 layers' activation coding).
typedef void (*CodeU8Fn)(int64_t n, const float* x, float s, float z, float lo, float hi, uint8_t* q);
// The int8 epilogue's affine part over n columns: y = float(c - comp) * mult + bias, the product rounded before the
// add (no FMA) on every path, then ReLU when relu != 0. c - comp must not overflow int32 (the caller's `wide` case).
typedef void (*Int8AffineFn)(int64_t n, const int32_t* c, const int32_t* comp, const float* mult, const float* bias,
                             int relu, float* y);
// The same for n values of one output channel (the direct convolution's rows): comp, mult and bias scalars.
typedef void (*Int8AffineRowFn)(int64_t n, const int32_t* c, int32_t comp, float mult, float bias, int relu, float* y);
// Int8AffineRowFn, then coded with (s, z, lo, hi) as CodeU8Fn and decoded as DecodeU8Fn, in one pass: what the
// direct convolution's rows of a coded-and-decoded output (no SiLU) need; equal to the three steps bit for bit.
typedef void (*Int8AffineDecodeRowFn)(int64_t n, const int32_t* c, int32_t comp, float mult, float bias, int relu,
                                      float s, float z, float lo, float hi, float* y);
// Codes back to float32 as dequantize() computes them: y = (float(q) - z) * s, q read as int8 when is_signed.
typedef void (*DecodeU8Fn)(int64_t n, const uint8_t* q, int is_signed, float s, float z, float* y);
// A dynamic coding's range: *lo = min(0, min x), *hi = max(0, max x) over n floats (0 always inside, so it codes
// exactly); returns 0 when some value is not finite (then *lo, *hi are unspecified). Exact on every path (min and
// max round nothing).
typedef int (*RangeF32Fn)(int64_t n, const float* x, float* lo, float* hi);

// Int8 GEMM, u8 x s8 -> s32: C[M, n0:n1] (row stride ldc) = A[M,K] (uint8, row stride lda) times W^T, where
// W[N,K] (int8, one row per output channel) was packed once by `pack` into this kernel's own layout. Integer
// arithmetic throughout, so every path must equal the reference bit for bit. n0 is a multiple of 64 (a
// multiple of every kernel's panel width), so threads may split the columns.
struct GemmU8S8 {
  const char* layout;                                    // names the packed layout ("ref", "avx2-s16", "vnni")
  int64_t (*packed_bytes)(int64_t N, int64_t K);
  void (*pack)(const int8_t* W, int64_t N, int64_t K, int8_t* out);
  void (*gemm)(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda, const int8_t* packed, int32_t* C,
               int64_t ldc, int64_t n0, int64_t n1);
  // The direct convolution, output pixels in vector lanes; null where this layout has none (the op then runs
  // im2col + gemm). x4: the input codes, 4 channels per dword (channel 4q + c in byte c), channel group q's
  // plane of `plane` dwords at x4 + q * plane, padding already in it. The host lays the planes out so that tap t
  // of output position s reads position s + taps[t] (for stride 1, taps[i * kw + j] = i * wp + j over rows of
  // width wp; strides and dilations through phase planes). tile[r * ldt + p] for r < 4, p < 16 nv (nv <= conv_nv) =
  //   sum_{t < ntaps, q < C4, c < 4} byte c of x4[q * plane + s0 + p + taps[t]] * W[o0 + r][(t * C4 + q) * 4 + c]
  // with W the [N, ntaps * C4 * 4] weight `pack` packed (rows past N read its zero padding); o0 % 4 == 0.
  void (*conv_tile)(const uint32_t* x4, int64_t plane, const int64_t* taps, int64_t ntaps, int64_t C4,
                    const int8_t* packed, int64_t o0, int64_t s0, int nv, int32_t* tile, int64_t ldt);
  int conv_nv;
  // conv_tile's input: n pixels of 4 channel rows coded as CodeU8Fn codes and packed into x4 dwords.
  void (*code_x4)(int64_t n, const float* const* x, float s, float z, float lo, float hi, uint32_t* out);
  // A weight packed by `pack` as [N, ntaps * C] (channels last per tap), repacked as [N, ntaps * C4 * 4] with the
  // channels of each tap padded to whole groups of 4 by zeros: what conv_tile reads when C % 4 != 0.
  void (*pack_padded)(const int8_t* packed, int64_t N, int64_t ntaps, int64_t C, int8_t* out);
  // The core's issue rate for this layout's dot instruction (vpdpbusd for VNNI, vpmaddwd + vpaddd for the AVX2
  // int16 form): `iters` steps of independent register-only accumulator chains, each step dot_ops operations (2
  // per multiply-add); returns a lane of the sum so nothing is dropped. Null where there is none.
  int32_t (*dot_chains)(int64_t iters);
  int dot_ops;
};

// In-place forward complex DFTs of L interleaved transforms by `plan` (cpu/fft_plan.h): re and im hold element
// j of lane l at j L + l; work holds 2 plan->work_elems L scalars. L is a multiple of the row's fft_lanes and
// every buffer is 64-byte aligned. Only float32 and float64 rows exist.
struct FftPlan;
typedef void (*FftFn)(const FftPlan* plan, int64_t L, char* re, char* im, char* work);

// The dense factorisations' inner kernels (cpu/simd/linalg.inc; host_linalg.cpp blocks around them). Only the
// float32 [0] and float64 [1] rows exist.
// chol_block: the lower triangle of the n x n block at a (row stride ld) factored in place, jitter added to each
// pivot; work holds chol_work(n) scalars. Returns the column of a failed pivot (value in *bad), or -1.
typedef int64_t (*CholBlockFn)(char* a, int64_t n, int64_t ld, double jitter, char* work, double* bad);
typedef int64_t (*CholWorkFn)(int64_t n);
// tri_subst: row substitution over rows [r0, r1) of x (n x k, contiguous) with op(t) (n x n), lower or upper as
// op(t) is; only op(t)'s columns in [r0, r1) are used. Returns the row of a zero diagonal (value in *bad), or -1.
typedef int64_t (*TriSubstFn)(const char* t, char* x, int64_t n, int64_t k, int transpose, int lower, int64_t r0,
                              int64_t r1, double* bad);

enum { NDT = 5 };  // matches tf::kNumDTypes

// Group norm rows, float32 (cpu/host_norm.cpp's backward). gn_grad_row, over one channel row of n elements:
// xh = (x - mu) r; gz = g, or with silu g silu'(z) at z = xh w + b (the gradient through a fused SiLU), written to
// gz when silu; adds sum(gz xh) to *pw and sum(gz) to *pb. gn_dx_row: d = r (gz w - m1 - (x - mu) r m2).
typedef void (*GnGradRowFn)(int64_t n, const float* x, const float* g, float mu, float r, float w, float b, int silu,
                            float* gz, double* pw, double* pb);
typedef void (*GnDxRowFn)(int64_t n, const float* x, const float* gz, float mu, float r, float w, float m1, float m2,
                          float* d);
// The forward's rows: gn_stats_row adds sum(x) to *s and sum(x^2) to *q, in double (the variance is taken as
// q / M - mean^2, so float sums would lose it to cancellation); gn_affine_row writes y = x a + b, or silu of it.
typedef void (*GnStatsRowFn)(int64_t n, const float* x, double* s, double* q);
typedef void (*GnAffineRowFn)(int64_t n, const float* x, float a, float b, int silu, float* y);
// gn_affine_row's y = x a + b (no SiLU), then y * s, then + t, then SiLU when silu, in one pass and rounded as the
// ops round them one by one on this ISA (the affine as gn_affine_row, the product and the sum apart, SiLU as the
// unary kernel's): GroupNorm's FiLM / AdaGN modulation. Null in the reference table (the host runs the steps).
typedef void (*GnModRowFn)(int64_t n, const float* x, float a, float b, float s, float t, int silu, float* y);

struct KernelTable {
  const char* isa;
  UnaryFn unary[U_COUNT][NDT];
  BinaryFn binary[B_COUNT][NDT];
  WhereFn where[NDT];
  PredFn isfinite[NDT];
  ReduceFn reduce[R_COUNT][NDT];
  ScanFn cumsum[NDT];
  GemmFn gemm[NDT];
  GemmFn gemm_bf16;  // float32 operands at bf16 precision where this CPU has bf16 instructions, else null
  const char* gemm_bf16_name;  // which: "avx512-bf16", "amx-bf16" (null with gemm_bf16)
  SoftmaxFn softmax[NDT];
  CastFn cast[NDT][NDT];
  GemmU8S8 gemm_u8s8;
  CodeU8Fn code_u8;
  Int8AffineFn int8_affine;
  Int8AffineRowFn int8_affine_row;
  Int8AffineDecodeRowFn int8_affine_decode_row;
  DecodeU8Fn decode_u8;
  RangeF32Fn range_f32;
  GnGradRowFn gn_grad_row;
  GnDxRowFn gn_dx_row;
  GnStatsRowFn gn_stats_row;
  GnAffineRowFn gn_affine_row;
  GnModRowFn gn_mod_row;  // may be null
  FftFn fft[NDT];
  int fft_lanes[NDT];
  CholBlockFn chol_block[2];
  CholWorkFn chol_work[2];
  TriSubstFn tri_subst[2];
};

void fill_reference(KernelTable& t);  // cpu/ref: every slot (but gemm_bf16: the reference has no bf16 hardware)
void fill_bf16_gemm(KernelTable& t);  // cpu/avx512bf16/gemm_bf16.cpp (AVX-512 F/BW + BF16)
void fill_amx_bf16_gemm(KernelTable& t);  // cpu/amx/gemm_bf16.cpp (AMX-TILE + AMX-BF16)
// The matmul precision 'tf32' as a model (cpu/ref/gemm.cpp): operands rounded to tf32 (math/mma_tile.h's
// tf32_round: nearest, ties away), exact products summed in double, rounded once.
void gemm_tf32_reference(int64_t M, int64_t N, int64_t K, const char* a, int64_t rsA, int64_t csA, const char* b,
                         int64_t rsB, int64_t csB, char* c, int64_t ldc, int accumulate);
// The model of the matmul precision 'bf16' (cpu/ref/gemm.cpp): inputs rounded to bf16, exact products, double sum.
void gemm_bf16_reference(int64_t M, int64_t N, int64_t K, const char* a, int64_t rsA, int64_t csA, const char* b,
                         int64_t rsB, int64_t csB, char* c, int64_t ldc, int accumulate);
void fill_avx2(KernelTable& t);       // cpu/avx2: float32 overrides (requires AVX2+FMA)
void fill_avx512(KernelTable& t);     // cpu/avx512: float32 overrides (requires AVX-512 F/BW/VL/DQ)
void fill_avx2_int8(KernelTable& t);  // cpu/avx2/gemm_u8s8.cpp (AVX2)
void fill_vnni_int8(KernelTable& t);  // cpu/avx512vnni/gemm_u8s8.cpp (AVX-512 F/BW + VNNI)
void fill_amx_int8(KernelTable& t);   // cpu/amx/gemm_u8s8.cpp (AMX-TILE + AMX-INT8, once the OS allowed it)
bool amx_request_permission();        // cpu/amx/gemm_u8s8.cpp: Linux's per-process opt-in to tile data
void fill_fft_scalar(KernelTable& t); // cpu/ref/fft.cpp: the FFT rows, one lane (cpu/simd/fft.inc)
void fill_fft_avx2(KernelTable& t);   // cpu/avx2/fft.cpp: 8 float / 4 double lanes
void fill_fft_avx512(KernelTable& t); // cpu/avx512/fft.cpp: 16 float / 8 double lanes
void fill_linalg_scalar(KernelTable& t);  // cpu/ref/linalg_rows.cpp: one lane (cpu/simd/linalg.inc)
void fill_linalg_avx2(KernelTable& t);    // cpu/avx2/linalg.cpp: 8 float / 4 double lanes
void fill_linalg_avx512(KernelTable& t);  // cpu/avx512/linalg.cpp: 16 float / 8 double lanes

}  // namespace cpu
}  // namespace tf
