// The index math of the tensor-core GEMMs (cuda/matmul.cu v3: TF32 mma.m16n8k8 and BF16 mma.m16n8k16, both
// accumulating in fp32), as TF_HD functions of the thread index t (lane = t % 32, warp = t / 32). The kernel calls
// them with threadIdx.x; the host test (test/native/hd_check.cpp) runs every thread of every block in turn, with
// the mma instruction emulated from the PTX ISA's fragment tables, against a plain triple loop over the rounded
// operands. What only a GPU can check: the barriers, the double buffer, and that the hardware's fragments are the
// documented ones.
//
// Block tile BM x BN = 128 x 128, 256 threads = 8 warps as 2 (m) x 4 (n), each warp 64 x 32 = 4 x 4 mma tiles of
// 16 x 8. K advances in stages of BK = 16: two 8-deep slabs, each loaded by gemm::load_tile (math/gemm_tile.h: the
// v2 loader, so the four operand layouts and the ragged edges are the ones already tested) and stashed k-major,
// S[k][i], like v2's tiles but with a padded row pitch so the fragment reads hit 32 different banks:
//   TF32 reads S[kk + q][i0 + g] for lane (g = lane / 4, q = lane % 4): bank (q P + g) mod 32 is distinct for
//        P = 136 (q P mod 32 = 8 q);
//   BF16 reads S[2 q (+1)][i0 + g]: bank (2 q P + g) mod 32 is distinct for P = 132 (2 q P mod 32 = 8 q).
// Both pitches keep a row 16-byte aligned (the wide stash writes 4 floats at once).
//
// Fragment layouts (PTX ISA, "Matrix Fragments for mma.m16n8k8" (.tf32) and "... mma.m16n8k16 with floating point
// type" (.bf16)); g = lane >> 2, q = lane % 4:
//   TF32 A (16 x 8):  a0 (g, q)  a1 (g + 8, q)  a2 (g, q + 4)  a3 (g + 8, q + 4)
//   TF32 B (8 x 8):   b0 (q, g)  b1 (q + 4, g)
//   BF16 A (16 x 16): register r holds two elements (low half: the lower column): r0 (g, 2q..2q+1)
//                     r1 (g + 8, 2q..2q+1)  r2 (g, 2q+8..2q+9)  r3 (g + 8, 2q+8..2q+9)
//   BF16 B (16 x 8):  r0 (2q..2q+1, g)  r1 (2q+8..2q+9, g)
//   C/D (16 x 8, f32, both): c0 (g, 2q)  c1 (g, 2q + 1)  c2 (g + 8, 2q)  c3 (g + 8, 2q + 1)
//
// Rounding: the matmul precision 'tf32' rounds each float32 operand to tf32 (10 fraction bits) to nearest, ties
// away from zero, as cvt.rna.tf32.f32 does (the mma reads only the top 19 bits of a register, so the rounding must
// be explicit or it truncates); 'bf16' rounds to bf16 to nearest even (cvt.rn.bf16x2.f32, the CPU's rule in
// cpu/bf16.h, which the host model below calls). The host versions are the models the device instructions are held to.
#pragma once
#include <cstdint>
#include <cstring>
#include "hd.h"
#include "gemm_tile.h"
#include "../cpu/bf16.h"

namespace tf {
namespace mma {

constexpr int BM = 128, BN = 128, BK = 16, kThreads = 256;
constexpr int WM = 64, WN = 32;  // a warp's tile
constexpr int MT = WM / 16, NT = WN / 8;  // its mma tiles
static_assert(BM == gemm::BM && BN == gemm::BN && BK == 2 * gemm::BK && kThreads == gemm::kThreads,
              "a stage is two of gemm::load_tile's slabs");
static_assert((BM / WM) * (BN / WN) * 32 == kThreads, "one warp per warp tile");

enum class Kind { TF32, BF16 };
template <Kind P> struct Pitch { static constexpr int value = P == Kind::TF32 ? 136 : 132; };

TF_HD inline uint32_t bits_of(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  return u;
}
TF_HD inline float float_of(uint32_t u) {
  float x;
  memcpy(&x, &u, 4);
  return x;
}

// float32 -> tf32 (kept in a float32 whose low 13 bits are zero): to nearest, ties away from zero; NaN stays NaN,
// overflow goes to infinity.
TF_HD inline float tf32_round(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint32_t r;
  asm("cvt.rna.tf32.f32 %0, %1;" : "=r"(r) : "f"(x));
  return float_of(r);
#else
  uint32_t u = bits_of(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return float_of(u | 0x00400000u);  // NaN: quiet, never rounded to inf
  u += 0x1000u;  // half of the dropped 13 bits' unit: sign-magnitude, so this rounds the magnitude half up
  return float_of(u & 0xffffe000u);
#endif
}

// Two float32 -> one register of two bf16 (lo in bits 0-15, hi in 16-31), each to nearest even (cpu/bf16.h's rule).
TF_HD inline uint32_t bf16x2(float lo, float hi) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint32_t r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));  // the first source goes to the upper half
  return r;
#else
  return uint32_t(bf16_bits(lo)) | (uint32_t(bf16_bits(hi)) << 16);
#endif
}

TF_HD inline int warp_row(int t) { return ((t >> 5) / (BN / WN)) * WM; }
TF_HD inline int warp_col(int t) { return ((t >> 5) % (BN / WN)) * WN; }

// Thread t's 4 loaded values of `slab` (0: k 0..7 of the stage, 1: k 8..15) into the padded k-major tile S, rounded
// to tf32 first when asked (so each element is rounded once, not once per fragment that reads it).
template <bool WIDE, int P>
TF_HD inline void stash(int t, float (*S)[P], int slab, const float r[4], bool to_tf32) {
  float v[4];
  TF_UNROLL
  for (int j = 0; j < 4; ++j) v[j] = to_tf32 ? tf32_round(r[j]) : r[j];
  const int k0 = slab * gemm::BK;
  if (WIDE) {
    *reinterpret_cast<gemm::F4*>(&S[k0 + t / 32][(t % 32) * 4]) = gemm::F4{v[0], v[1], v[2], v[3]};
  } else {
    TF_UNROLL
    for (int j = 0; j < 4; ++j) S[k0 + (t % 2) * 4 + j][t / 2] = v[j];
  }
}

// TF32 fragments of the k-step at kk (0 or 8) of the stage: A's mma tile whose first row is i0 (block-tile rows),
// B's whose first column is j0. Register values are the (already tf32) floats' bits.
template <int P>
TF_HD inline void frag_a_tf32(int lane, const float (*S)[P], int i0, int kk, uint32_t a[4]) {
  const int g = lane >> 2, q = lane & 3;
  a[0] = bits_of(S[kk + q][i0 + g]);
  a[1] = bits_of(S[kk + q][i0 + g + 8]);
  a[2] = bits_of(S[kk + q + 4][i0 + g]);
  a[3] = bits_of(S[kk + q + 4][i0 + g + 8]);
}
template <int P>
TF_HD inline void frag_b_tf32(int lane, const float (*S)[P], int j0, int kk, uint32_t b[2]) {
  const int g = lane >> 2, q = lane & 3;
  b[0] = bits_of(S[kk + q][j0 + g]);
  b[1] = bits_of(S[kk + q + 4][j0 + g]);
}

// BF16 fragments of the whole stage (one k16 step), packed from the float tile.
template <int P>
TF_HD inline void frag_a_bf16(int lane, const float (*S)[P], int i0, uint32_t a[4]) {
  const int g = lane >> 2, q = lane & 3;
  a[0] = bf16x2(S[2 * q][i0 + g], S[2 * q + 1][i0 + g]);
  a[1] = bf16x2(S[2 * q][i0 + g + 8], S[2 * q + 1][i0 + g + 8]);
  a[2] = bf16x2(S[2 * q + 8][i0 + g], S[2 * q + 9][i0 + g]);
  a[3] = bf16x2(S[2 * q + 8][i0 + g + 8], S[2 * q + 9][i0 + g + 8]);
}
template <int P>
TF_HD inline void frag_b_bf16(int lane, const float (*S)[P], int j0, uint32_t b[2]) {
  const int g = lane >> 2, q = lane & 3;
  b[0] = bf16x2(S[2 * q][j0 + g], S[2 * q + 1][j0 + g]);
  b[1] = bf16x2(S[2 * q + 8][j0 + g], S[2 * q + 9][j0 + g]);
}

// Thread t's accumulators acc[mi][ni][4] into C (row stride N) of the block at (m0, n0): c0/c1 and c2/c3 are two
// adjacent columns, one 8-byte store where aligned and both in range.
TF_HD inline void store_acc(int t, float* C, int64_t M, int64_t N, int64_t m0, int64_t n0, const float acc[MT][NT][4]) {
  const int lane = t & 31, g = lane >> 2, q = lane & 3;
  TF_UNROLL
  for (int mi = 0; mi < MT; ++mi)
    TF_UNROLL
    for (int h = 0; h < 2; ++h) {
      const int64_t m = m0 + warp_row(t) + mi * 16 + g + h * 8;
      if (m >= M) continue;
      TF_UNROLL
      for (int ni = 0; ni < NT; ++ni) {
        const int64_t n = n0 + warp_col(t) + ni * 8 + 2 * q;
        float* c = C + m * N + n;
        const float v0 = acc[mi][ni][2 * h], v1 = acc[mi][ni][2 * h + 1];
        if (n + 1 < N && (reinterpret_cast<uintptr_t>(c) & 7) == 0) {
          struct alignas(8) F2 { float x, y; };
          *reinterpret_cast<F2*>(c) = F2{v0, v1};
        } else {
          if (n < N) c[0] = v0;
          if (n + 1 < N) c[1] = v1;
        }
      }
    }
}

}  // namespace mma
}  // namespace tf
