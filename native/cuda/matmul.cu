// Batched matmul on the GPU without cuBLAS: out [..., M, N] (contiguous) = a [..., M, K] b [..., K, N], a and b
// expanded to out's batch dims (stride 0 where broadcast) with any strides in the last two dims.
//
// Versions (llm.c style; the launcher picks):
//   v1 tiled: 16 x 16 output tile per block, one output per thread, K in steps of 16 through shared memory, any
//      element strides. float64, and small float32 products.
//   v2 SIMT fp32 (siboehm-style register blocking): a 128 x 128 tile per block of 256 threads, each thread 8 x 8
//      outputs, K in steps of 8 with double-buffered shared memory (the next tile is loaded into registers while
//      this one is multiplied; one barrier per step), 16-byte loads and stores where aligned. Either last dim of
//      each operand may be the contiguous one (four instantiations: x @ W^T reads W^T in place); operands with
//      neither are first copied (their broadcast batch dims stay broadcast, so nothing is materialised per batch).
//   v3 tensor cores (float32 under the matmul precision 'tf32' or 'bf16'): the same 128 x 128 block tile, stage
//      loader and operand layouts as v2, K in stages of 16; 8 warps of 64 x 32, each 4 x 4 mma.sync tiles of
//      16 x 8 accumulating in fp32 registers: TF32 m16n8k8 (operands rounded to tf32 once, as they are stashed) or
//      BF16 m16n8k16 (pairs rounded to bf16 as the fragments are read). Index math: math/mma_tile.h (host-tested).
// Not here yet: wgmma + TMA on sm_90a, split-K, fused epilogues.
#include "common.cuh"
#include "entries.h"
#include "../cpu/dispatch.h"
#include "../math/gemm_tile.h"
#include "../math/mma_tile.h"
#include "../math/strided.h"

namespace tf {
namespace cuda {

namespace {

// Per-batch element offsets of a and b (and the output's batch index is blockIdx.z + z0).
struct Batch {
  StridedIndex<2> ix;
  int64_t z0;
  // Moves A, B and C (contiguous [M, N] per batch) to this block's batch, blockIdx.z + z0.
  template <class T>
  __device__ void enter(int64_t M, int64_t N, const T*& A, const T*& B, T*& C) const {
    int64_t off[2];
    const int64_t z = z0 + blockIdx.z;
    ix.offsets(z, off);
    A += off[0];
    B += off[1];
    C += z * M * N;
  }
};

// ---- v1 ----------------------------------------------------------------------------------------------------
template <class T>
__global__ void gemm_v1(int64_t M, int64_t N, int64_t K, const T* A, int64_t sam, int64_t sak, const T* B,
                        int64_t sbk, int64_t sbn, T* C, Batch batch) {
  __shared__ T As[16][17], Bs[16][17];  // +1 column: no bank conflicts on the transposed reads
  batch.enter(M, N, A, B, C);
  const int ty = threadIdx.y, tx = threadIdx.x;
  const int64_t row = int64_t(blockIdx.y) * 16 + ty, col = int64_t(blockIdx.x) * 16 + tx;
  T acc = 0;
  for (int64_t k0 = 0; k0 < K; k0 += 16) {
    As[ty][tx] = (row < M && k0 + tx < K) ? A[row * sam + (k0 + tx) * sak] : T(0);
    Bs[ty][tx] = (k0 + ty < K && col < N) ? B[(k0 + ty) * sbk + col * sbn] : T(0);
    __syncthreads();
#pragma unroll
    for (int k = 0; k < 16; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  if (row < M && col < N) C[row * N + col] = acc;
}

// ---- v2 ----------------------------------------------------------------------------------------------------
using gemm::BM;
using gemm::BN;
using gemm::BK;
using gemm::TM;
using gemm::TN;
constexpr int V2_THREADS = gemm::kThreads;

// The phases' index math is math/gemm_tile.h (host-tested); this is the schedule: load the next tile into
// registers while this one is multiplied, then stash it into the other buffer, one barrier per step.
template <bool A_WIDE, bool B_WIDE>
__global__ void __launch_bounds__(V2_THREADS) gemm_v2(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                                                      const float* B, int64_t ldb, float* C, Batch batch) {
  __shared__ __align__(16) float As[2][BK][BM];
  __shared__ __align__(16) float Bs[2][BK][BN];
  batch.enter(M, N, A, B, C);
  const int t = threadIdx.x;
  const int64_t m0 = int64_t(blockIdx.y) * BM, n0 = int64_t(blockIdx.x) * BN;

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) acc[i][j] = 0.f;

  float ra[4] = {0.f, 0.f, 0.f, 0.f}, rb[4] = {0.f, 0.f, 0.f, 0.f};
  gemm::load_tile<A_WIDE>(t, A, lda, M, K, m0, 0, ra);
  gemm::load_tile<B_WIDE>(t, B, ldb, N, K, n0, 0, rb);
  gemm::stash_tile<A_WIDE>(t, As[0], ra);
  gemm::stash_tile<B_WIDE>(t, Bs[0], rb);
  __syncthreads();

  int buf = 0;
  for (int64_t k0 = 0; k0 < K; k0 += BK) {
    const bool more = k0 + BK < K;
    if (more) {  // the next tile's global loads are in flight while this tile is multiplied
      gemm::load_tile<A_WIDE>(t, A, lda, M, K, m0, k0 + BK, ra);
      gemm::load_tile<B_WIDE>(t, B, ldb, N, K, n0, k0 + BK, rb);
    }
#pragma unroll
    for (int k = 0; k < BK; ++k) gemm::multiply_step(t, As[buf], Bs[buf], k, acc);
    if (more) {  // the other buffer: nobody reads it during this step
      gemm::stash_tile<A_WIDE>(t, As[buf ^ 1], ra);
      gemm::stash_tile<B_WIDE>(t, Bs[buf ^ 1], rb);
      __syncthreads();
      buf ^= 1;
    }
  }
  gemm::store_outputs(t, C, M, N, m0, n0, acc);
}

// ---- v3 ----------------------------------------------------------------------------------------------------
// D (16 x 8, fp32) += A B for one warp; the registers as math/mma_tile.h lays them out.
__device__ inline void mma_tf32(float d[4], const uint32_t a[4], const uint32_t b[2]) {
#if __CUDA_ARCH__ >= 800
  asm volatile("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}
__device__ inline void mma_bf16(float d[4], const uint32_t a[4], const uint32_t b[2]) {
#if __CUDA_ARCH__ >= 800
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// One warp's products over a stage held in As / Bs.
template <mma::Kind P, int PITCH>
__device__ inline void v3_stage(int t, const float (*As)[PITCH], const float (*Bs)[PITCH], float acc[mma::MT][mma::NT][4]) {
  const int lane = t & 31, wr = mma::warp_row(t), wc = mma::warp_col(t);
  if (P == mma::Kind::TF32) {
#pragma unroll
    for (int kk = 0; kk < mma::BK; kk += 8) {
      uint32_t a[mma::MT][4], b[mma::NT][2];
#pragma unroll
      for (int mi = 0; mi < mma::MT; ++mi) mma::frag_a_tf32<PITCH>(lane, As, wr + mi * 16, kk, a[mi]);
#pragma unroll
      for (int ni = 0; ni < mma::NT; ++ni) mma::frag_b_tf32<PITCH>(lane, Bs, wc + ni * 8, kk, b[ni]);
#pragma unroll
      for (int mi = 0; mi < mma::MT; ++mi)
#pragma unroll
        for (int ni = 0; ni < mma::NT; ++ni) mma_tf32(acc[mi][ni], a[mi], b[ni]);
    }
  } else {
    uint32_t a[mma::MT][4], b[mma::NT][2];
#pragma unroll
    for (int mi = 0; mi < mma::MT; ++mi) mma::frag_a_bf16<PITCH>(lane, As, wr + mi * 16, a[mi]);
#pragma unroll
    for (int ni = 0; ni < mma::NT; ++ni) mma::frag_b_bf16<PITCH>(lane, Bs, wc + ni * 8, b[ni]);
#pragma unroll
    for (int mi = 0; mi < mma::MT; ++mi)
#pragma unroll
      for (int ni = 0; ni < mma::NT; ++ni) mma_bf16(acc[mi][ni], a[mi], b[ni]);
  }
}

// The v2 schedule with tensor-core products: the next stage's two slabs are loaded into registers while this
// stage is multiplied, then stashed into the other buffer; one barrier per stage.
template <mma::Kind P, bool A_WIDE, bool B_WIDE>
__global__ void __launch_bounds__(mma::kThreads) gemm_v3(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                                                         const float* B, int64_t ldb, float* C, Batch batch) {
  constexpr int PITCH = mma::Pitch<P>::value;
  constexpr bool TF32 = P == mma::Kind::TF32;
  __shared__ __align__(16) float As[2][mma::BK][PITCH];
  __shared__ __align__(16) float Bs[2][mma::BK][PITCH];
  batch.enter(M, N, A, B, C);
  const int t = threadIdx.x;
  const int64_t m0 = int64_t(blockIdx.y) * mma::BM, n0 = int64_t(blockIdx.x) * mma::BN;

  float acc[mma::MT][mma::NT][4];
#pragma unroll
  for (int mi = 0; mi < mma::MT; ++mi)
#pragma unroll
    for (int ni = 0; ni < mma::NT; ++ni)
#pragma unroll
      for (int j = 0; j < 4; ++j) acc[mi][ni][j] = 0.f;

  float ra[2][4], rb[2][4];
  auto load = [&](int64_t k0) {
#pragma unroll
    for (int s = 0; s < 2; ++s) {
      gemm::load_tile<A_WIDE>(t, A, lda, M, K, m0, k0 + s * gemm::BK, ra[s]);
      gemm::load_tile<B_WIDE>(t, B, ldb, N, K, n0, k0 + s * gemm::BK, rb[s]);
    }
  };
  auto stash = [&](int buf) {
#pragma unroll
    for (int s = 0; s < 2; ++s) {
      mma::stash<A_WIDE, PITCH>(t, As[buf], s, ra[s], TF32);
      mma::stash<B_WIDE, PITCH>(t, Bs[buf], s, rb[s], TF32);
    }
  };
  load(0);
  stash(0);
  __syncthreads();
  int buf = 0;
  for (int64_t k0 = 0; k0 < K; k0 += mma::BK) {
    const bool more = k0 + mma::BK < K;
    if (more) load(k0 + mma::BK);
    v3_stage<P, PITCH>(t, As[buf], Bs[buf], acc);
    if (more) {
      stash(buf ^ 1);
      __syncthreads();
      buf ^= 1;
    }
  }
  mma::store_acc(t, C, M, N, m0, n0, acc);
}

// ---- the launcher ------------------------------------------------------------------------------------------

// How v2 reads an operand [R, C] (A: R = M, C = K; B: R = K, C = N): `wide` when its contiguous dim is the tile's
// outer one (A's m, B's n), with `ld` the other dim's stride. Operands with neither last dim contiguous are copied
// first; the copy keeps the batch dims that t broadcasts (stride 0) broadcast, so nothing is materialised per batch.
struct Layout {
  Tensor t;
  Shape strides;  // t's strides, broadcast batch dims 0
  bool wide;
  int64_t ld;
};
Layout layout_of(const Tensor& t, bool is_a) {
  const int64_t nd = t.dim();
  const Shape& st = t.strides();
  const int64_t R = t.shape()[nd - 2], C = t.shape()[nd - 1];
  const int64_t s_outer = is_a ? st[nd - 2] : st[nd - 1], s_k = is_a ? st[nd - 1] : st[nd - 2];
  const int64_t n_outer = is_a ? R : C, n_k = is_a ? C : R;
  if (s_outer == 1 || n_outer == 1) return {t, st, true, s_k};
  if (s_k == 1 || n_k == 1) return {t, st, false, s_outer};
  Shape compact = t.shape();
  for (int64_t d = 0; d < nd - 2; ++d)
    if (st[d] == 0) compact[d] = 1;
  Tensor view = make_view(t, compact, st, t.offset());
  Tensor c = empty(compact, t.dtype(), Device::CUDA);
  copy(c, {view, view.strides()});
  Shape cs = contiguous_strides(compact);
  for (int64_t d = 0; d < nd - 2; ++d)
    if (st[d] == 0) cs[d] = 0;
  // a row-major copy: A's k (its columns) or B's n (its columns) is contiguous
  return {c, cs, !is_a, C};
}

using GemmV2 = void (*)(int64_t, int64_t, int64_t, const float*, int64_t, const float*, int64_t, float*, Batch);
GemmV2 pick_v2(bool a_wide, bool b_wide) {
  if (a_wide) return b_wide ? &gemm_v2<true, true> : &gemm_v2<true, false>;
  return b_wide ? &gemm_v2<false, true> : &gemm_v2<false, false>;
}
template <mma::Kind P>
GemmV2 pick_v3_of(bool a_wide, bool b_wide) {
  if (a_wide) return b_wide ? &gemm_v3<P, true, true> : &gemm_v3<P, true, false>;
  return b_wide ? &gemm_v3<P, false, true> : &gemm_v3<P, false, false>;
}
GemmV2 pick_v3(cpu::MatmulPrecision p, bool a_wide, bool b_wide) {
  return p == cpu::MatmulPrecision::TF32 ? pick_v3_of<mma::Kind::TF32>(a_wide, b_wide)
                                         : pick_v3_of<mma::Kind::BF16>(a_wide, b_wide);
}

}  // namespace

bool matmul(const Tensor& out, const Tensor& a, const Tensor& b) {
  if (!is_floating(a.dtype())) return false;
  const int64_t nd = out.dim() - 2;
  const int64_t M = a.shape()[nd], K = a.shape()[nd + 1], N = b.shape()[nd + 1];
  int64_t nb = 1;
  for (int64_t d = 0; d < nd; ++d) nb *= out.shape()[d];
  if (M == 0 || N == 0 || nb == 0) return true;
  if (K == 0) return fill(out, 0.0);
  // float32 under the 'tf32' / 'bf16' precision: tensor cores at every size (the precision is the numerics asked
  // for, as on the 'ref' model, not an optimisation that small products may skip)
  const cpu::MatmulPrecision prec = cpu::matmul_precision();
  const bool v3 = a.dtype() == DType::F32 && prec != cpu::MatmulPrecision::FP32;
  const bool v2 = v3 || (a.dtype() == DType::F32 && M * N * K >= (int64_t(1) << 18));
  const int64_t tile_m = v2 ? BM : 16;
  TF_CHECK((M + tile_m - 1) / tile_m <= 65535, NotImplemented, "matmul on cuda: M = ", M,
           " rows is more than one launch covers (", 65535 * tile_m, ")");
  Layout la{a, a.strides(), false, 0}, lb{b, b.strides(), false, 0};
  if (v2) {
    la = layout_of(a, true);
    lb = layout_of(b, false);
  }
  const Shape& sa = la.strides;
  const Shape& sb = lb.strides;
  Shape batch_shape(out.shape().begin(), out.shape().end() - 2);
  const int64_t* bst[2] = {sa.data(), sb.data()};
  Batch batch;
  if (!make_strided_index<2>(batch_shape.data(), int(nd), bst, &batch.ix))
    fail(ErrorCode::NotImplemented, "matmul on cuda: more than ", kMaxKernelDims, " batch dims");
  for (int64_t z0 = 0; z0 < nb; z0 += 65535) {
    batch.z0 = z0;
    const unsigned nz = unsigned(std::min<int64_t>(65535, nb - z0));
    if (v2) {
      dim3 grid(unsigned((N + BN - 1) / BN), unsigned((M + BM - 1) / BM), nz);
      GemmV2 kernel = v3 ? pick_v3(prec, la.wide, lb.wide) : pick_v2(la.wide, lb.wide);
      kernel<<<grid, V2_THREADS, 0, stream()>>>(M, N, K, ptr<float>(la.t), la.ld, ptr<float>(lb.t), lb.ld,
                                                ptr<float>(out), batch);
    } else {
      dim3 grid(unsigned((N + 15) / 16), unsigned((M + 15) / 16), nz);
      TF_DISPATCH_FLOAT(a.dtype(), T, {
        gemm_v1<T><<<grid, dim3(16, 16), 0, stream()>>>(M, N, K, ptr<T>(a), sa[nd], sa[nd + 1], ptr<T>(b), sb[nd],
                                                        sb[nd + 1], ptr<T>(out), batch);
      });
    }
    check_launch("matmul");
  }
  return true;
}

}  // namespace cuda
}  // namespace tf
