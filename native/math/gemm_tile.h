// The index math of the SIMT fp32 GEMM (cuda/matmul.cu v2), one thread's share of each phase, as TF_HD functions of
// the thread index t: the kernel calls them with threadIdx.x, and the host test (test/native/hd_check.cpp) runs every
// t of every block in turn against a plain triple loop, so tile loading, the shared-memory layout, the edges and
// the transposed layouts are checked without a GPU. What only the GPU can check: the barriers and the double buffer.
//
// A block computes a BM x BN tile of C with 256 threads, each TM x TN outputs, K in steps of BK. The tiles of A
// (BM x BK, outer index m) and B (BK x BN, outer index n) are both "128 outer indices i by BK k", kept k-major in
// shared memory (S[k][i]) so a thread's TM (or TN) consecutive values are one or two 16-byte reads.
#pragma once
#include <cstdint>
#include "hd.h"

namespace tf {
namespace gemm {

constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8, kThreads = 256;
static_assert(BM == BN, "one tile loader serves A and B");
static_assert((BM / TM) * (BN / TN) == kThreads, "one thread per TM x TN outputs");

struct alignas(16) F4 { float x, y, z, w; };  // a 16-byte load or store
TF_HD inline bool al16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// Thread t's 4 elements of the tile at (i0, k0) of an operand P with I outer indices and K: WIDE when i is the
// contiguous dim (A stored column-major, B row-major; ld = the stride of k), else k is (A row-major, B
// column-major such as the weight of x @ W^T; ld = the stride of i). One 16-byte load where aligned and in range,
// else element by element with zeros outside the matrix.
template <bool WIDE>
TF_HD inline void load_tile(int t, const float* P, int64_t ld, int64_t I, int64_t K, int64_t i0, int64_t k0, float r[4]) {
  const int64_t i = WIDE ? i0 + (t % 32) * 4 : i0 + t / 2;
  const int64_t k = WIDE ? k0 + t / 32 : k0 + (t % 2) * 4;
  const float* p = WIDE ? P + k * ld + i : P + i * ld + k;
  const bool full = WIDE ? (k < K && i + 3 < I) : (i < I && k + 3 < K);
  if (full && al16(p)) {
    F4 v = *reinterpret_cast<const F4*>(p);
    r[0] = v.x; r[1] = v.y; r[2] = v.z; r[3] = v.w;
  } else {
    TF_UNROLL
    for (int j = 0; j < 4; ++j) {
      const bool in = WIDE ? (k < K && i + j < I) : (i < I && k + j < K);
      r[j] = in ? p[j] : 0.f;
    }
  }
}
// ... and where they go in the k-major shared tile S[BK][128].
template <bool WIDE>
TF_HD inline void stash_tile(int t, float (*S)[BM], const float r[4]) {
  if (WIDE) {
    *reinterpret_cast<F4*>(&S[t / 32][(t % 32) * 4]) = F4{r[0], r[1], r[2], r[3]};
  } else {
    TF_UNROLL
    for (int j = 0; j < 4; ++j) S[(t % 2) * 4 + j][t / 2] = r[j];
  }
}

// Thread t's rows (ty TM ..) and columns (tx TN ..) of the block tile.
TF_HD inline int thread_row(int t) { return (t / (BN / TN)) * TM; }
TF_HD inline int thread_col(int t) { return (t % (BN / TN)) * TN; }

// acc += the outer product of column k of the A tile and row k of the B tile, thread t's TM x TN share.
TF_HD inline void multiply_step(int t, const float (*As)[BM], const float (*Bs)[BN], int k, float acc[TM][TN]) {
  const F4* pa = reinterpret_cast<const F4*>(&As[k][thread_row(t)]);
  const F4* pb = reinterpret_cast<const F4*>(&Bs[k][thread_col(t)]);
  const F4 a0 = pa[0], a1 = pa[1], b0 = pb[0], b1 = pb[1];
  const float a[TM] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
  const float b[TN] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
  TF_UNROLL
  for (int i = 0; i < TM; ++i)
    TF_UNROLL
    for (int j = 0; j < TN; ++j) acc[i][j] += a[i] * b[j];
}

// Thread t's outputs into C (row stride N) of the block at (m0, n0): 16-byte stores where aligned and in range.
TF_HD inline void store_outputs(int t, float* C, int64_t M, int64_t N, int64_t m0, int64_t n0, const float acc[TM][TN]) {
  const int64_t n = n0 + thread_col(t);
  TF_UNROLL
  for (int i = 0; i < TM; ++i) {
    const int64_t m = m0 + thread_row(t) + i;
    if (m >= M) break;
    float* c = C + m * N + n;
    if (n + TN <= N && al16(c)) {
      reinterpret_cast<F4*>(c)[0] = F4{acc[i][0], acc[i][1], acc[i][2], acc[i][3]};
      reinterpret_cast<F4*>(c)[1] = F4{acc[i][4], acc[i][5], acc[i][6], acc[i][7]};
    } else {
      TF_UNROLL
      for (int j = 0; j < TN; ++j)
        if (n + j < N) c[j] = acc[i][j];
    }
  }
}

}  // namespace gemm
}  // namespace tf
