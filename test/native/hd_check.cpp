// Host checks of the functions the CUDA kernels share with the CPU (math/hd.h: TF_HD), compiled here by a plain C++
// compiler, so they run on machines without a GPU (test/cuda.test.ts builds and runs this file):
//   - Philox4x32-10 against the Random123 known-answer vectors, and the normal draws against Box-Muller written
//     out from the block words (the GPU's randn runs normal_block_f32 / normal_block_f64);
//   - the strided index (math/strided.h: dim merging + offsets) against a plain odometer over the shape, for
//     random shapes, broadcast (0) strides, permuted and sliced strides;
//   - the SIMT GEMM's index math (math/gemm_tile.h): every thread of every block run in turn, for the four operand
//     layouts, ragged edges and rows that break 16-byte alignment, against a plain triple loop;
//   - the tensor-core GEMM's index math (math/mma_tile.h): every thread of every block in turn, the mma.sync
//     instructions emulated from the PTX ISA's fragment tables (written out below from the tables, not from the
//     kernel's functions), for TF32 and BF16, the four operand layouts and ragged edges, against a triple loop
//     over the rounded operands; the rounding models (tf32: nearest, ties away; bf16: the CPU's cpu/bf16.h rule,
//     bit for bit) and the padded pitch's bank-conflict-free fragment reads;
//   - the reductions' combination rules (math/reduce_ops.h): elements dealt to random partials, folded and combined
//     in random order (the GPU's threads and trees), give the CPU reference's max/min/argmax/argmin (NaN, ties);
//   - the per-element bodies (math/elementwise.h) at the edges the CPU tests do not reach directly: saturating
//     casts, NaN through clamp/maximum/minimum, integer clamp.
// Prints "ok <n checks>" and exits 0, or the first failures and exits 1.
#include <cmath>
#include <cstdio>
#include <cstdint>
#include <algorithm>
#include <random>
#include <vector>
#include "../../native/math/elementwise.h"
#include "../../native/math/gemm_tile.h"
#include "../../native/math/mma_tile.h"
#include "../../native/cpu/bf16.h"
#include "../../native/math/reduce_ops.h"
#include "../../native/math/strided.h"
#include "../../native/rng/draws.h"

static int failures = 0;
static long checks = 0;
#define CHECK(cond, ...)                                  \
  do {                                                    \
    ++checks;                                             \
    if (!(cond)) {                                        \
      if (++failures <= 20) {                             \
        std::printf("FAIL %s:%d: ", __FILE__, __LINE__);  \
        std::printf(__VA_ARGS__);                         \
        std::printf("\n");                                \
      }                                                   \
    }                                                     \
  } while (0)

// Referenced by draws.h's declarations only; never called here.
namespace tf {
CallKey next_call() { return {0, 0}; }
void unwind_call(const CallKey&) {}
}  // namespace tf

static void philox() {
  struct Kat { uint32_t ctr[4], key[2], out[4]; };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    uint32_t out[4];
    tf::Philox::block(k.ctr, uint64_t(k.key[0]) | (uint64_t(k.key[1]) << 32), out);
    for (int j = 0; j < 4; ++j) CHECK(out[j] == k.out[j], "philox word %d: %08x != %08x", j, out[j], k.out[j]);
  }
  // normals: the block words through Box-Muller, written out here independently of draws.h's loop
  tf::CallKey ck{0x0123456789abcdefULL, 7};
  for (uint64_t b = 0; b < 1000; ++b) {
    uint32_t w[4];
    tf::block_words(ck, b, w);
    float z[4];
    tf::normal_block_f32(ck, b, z);
    for (int pair = 0; pair < 2; ++pair) {
      double u1 = (double(w[2 * pair] >> 8) + 1.0) / 16777216.0, u2 = double(w[2 * pair + 1] >> 8) / 16777216.0;
      double r = std::sqrt(-2.0 * std::log(u1)), a = 6.283185307179586 * u2;
      CHECK(z[2 * pair] == float(r * std::cos(a)) && z[2 * pair + 1] == float(r * std::sin(a)), "normal f32 block %llu",
            (unsigned long long)b);
    }
    double zd[2];
    tf::normal_block_f64(ck, b, zd);
    double u1 = (double((uint64_t(w[0]) << 21) ^ (w[1] >> 11)) + 1.0) / 9007199254740992.0;
    double u2 = double((uint64_t(w[2]) << 21) ^ (w[3] >> 11)) / 9007199254740992.0;
    double r = std::sqrt(-2.0 * std::log(u1));
    CHECK(zd[0] == r * std::cos(6.283185307179586 * u2) && zd[1] == r * std::sin(6.283185307179586 * u2),
          "normal f64 block %llu", (unsigned long long)b);
    CHECK(tf::u01f(w[0]) >= 0.f && tf::u01f(w[0]) < 1.f, "u01f range");
  }
}

static void strided() {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 3000; ++trial) {
    const int nd = int(rng() % 7);  // 0..6 dims
    std::vector<int64_t> shape(nd);
    for (auto& s : shape) s = int64_t(rng() % 4) + 1;  // sizes 1..4
    // three operands: contiguous, broadcast (random dims stride 0) over a permutation, and a sliced (step 2) view
    constexpr int N = 3;
    std::vector<int64_t> st[N];
    for (auto& v : st) v.assign(nd, 0);
    int64_t acc = 1;
    for (int d = nd - 1; d >= 0; --d) { st[0][d] = acc; acc *= shape[d]; }
    std::vector<int> perm(nd);
    for (int d = 0; d < nd; ++d) perm[d] = d;
    std::shuffle(perm.begin(), perm.end(), rng);
    acc = 1;
    for (int d = 0; d < nd; ++d) {
      st[1][perm[d]] = (rng() % 3 == 0) ? 0 : acc;
      acc *= shape[perm[d]];
    }
    acc = 2 + int64_t(rng() % 2);
    for (int d = nd - 1; d >= 0; --d) { st[2][d] = acc; acc *= shape[d] * 2; }
    const int64_t* sp[N] = {st[0].data(), st[1].data(), st[2].data()};
    tf::StridedIndex<N> ix;
    bool ok = tf::make_strided_index<N>(shape.data(), nd, sp, &ix);
    CHECK(ok, "make_strided_index refused %d dims", nd);
    CHECK(ix.nd <= nd, "merging added dims");
    // odometer over the shape, outermost first, as the CPU's strided loop walks it
    std::vector<int64_t> c(nd, 0);
    int64_t n = 1;
    for (int64_t s : shape) n *= s;
    for (int64_t i = 0; i < n; ++i) {
      int64_t want[N] = {0, 0, 0}, got[N];
      for (int k = 0; k < N; ++k)
        for (int d = 0; d < nd; ++d) want[k] += c[d] * st[k][d];
      ix.offsets(i, got);
      for (int k = 0; k < N; ++k) CHECK(got[k] == want[k], "trial %d index %lld operand %d: %lld != %lld", trial, (long long)i, k, (long long)got[k], (long long)want[k]);
      for (int d = nd - 1; d >= 0; --d) {
        if (++c[d] < shape[d]) break;
        c[d] = 0;
      }
    }
    // all-contiguous operands merge into one dim of unit strides
    const int64_t* cp[N] = {st[0].data(), st[0].data(), st[0].data()};
    tf::StridedIndex<N> cx;
    tf::make_strided_index<N>(shape.data(), nd, cp, &cx);
    CHECK(cx.contiguous(), "contiguous operands did not merge (trial %d)", trial);
  }
  // more than kMaxKernelDims unmergeable dims is refused, not overrun
  std::vector<int64_t> shape(tf::kMaxKernelDims + 1, 2), s(tf::kMaxKernelDims + 1);
  for (size_t d = 0; d < s.size(); ++d) s[d] = int64_t(1) << (2 * d);  // ascending: nothing merges
  const int64_t* sp[1] = {s.data()};
  tf::StridedIndex<1> ix;
  CHECK(!tf::make_strided_index<1>(shape.data(), int(shape.size()), sp, &ix), "too many dims accepted");
}

// Runs cuda/matmul.cu v2's phases on the host: for each block, each k step loads and stashes every thread's share of
// both tiles, then every thread multiplies; finally every thread stores. (The kernel overlaps the next step's loads
// with this step's products through a second buffer; the values are the same.)
template <bool A_WIDE, bool B_WIDE>
static void gemm_emulated(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C) {
  using namespace tf::gemm;
  alignas(16) static float As[BK][BM], Bs[BK][BN];
  static float acc[kThreads][TM][TN];
  for (int64_t m0 = 0; m0 < M; m0 += BM)
    for (int64_t n0 = 0; n0 < N; n0 += BN) {
      for (auto& a : acc) for (auto& row : a) for (float& v : row) v = 0;
      for (int64_t k0 = 0; k0 < K; k0 += BK) {
        for (int t = 0; t < kThreads; ++t) {
          float ra[4], rb[4];
          tf::gemm::load_tile<A_WIDE>(t, A, lda, M, K, m0, k0, ra);
          tf::gemm::load_tile<B_WIDE>(t, B, ldb, N, K, n0, k0, rb);
          tf::gemm::stash_tile<A_WIDE>(t, As, ra);
          tf::gemm::stash_tile<B_WIDE>(t, Bs, rb);
        }
        for (int t = 0; t < kThreads; ++t)
          for (int k = 0; k < BK; ++k) tf::gemm::multiply_step(t, As, Bs, k, acc[t]);
      }
      for (int t = 0; t < kThreads; ++t) tf::gemm::store_outputs(t, C, M, N, m0, n0, acc[t]);
    }
}

template <bool A_WIDE, bool B_WIDE>
static void gemm_case(int64_t M, int64_t N, int64_t K, int pad, int shift) {
  // A [M, K]: narrow = row-major (ld = K + pad), wide = column-major (ld = M + pad); B [K, N]: wide = row-major
  // (ld = N + pad), narrow = column-major (ld = K + pad). `shift` floats in front break 16-byte alignment.
  const int64_t lda = A_WIDE ? M + pad : K + pad, ldb = B_WIDE ? N + pad : K + pad;
  std::vector<float> a(size_t(shift + (A_WIDE ? K : M) * lda + 4)), b(size_t(shift + (B_WIDE ? K : N) * ldb + 4));
  std::mt19937 rng(unsigned(M * 7 + N * 13 + K + pad + shift));
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  const float* A = a.data() + shift;
  const float* B = b.data() + shift;
  auto at = [&](int64_t m, int64_t k) { return A_WIDE ? A[k * lda + m] : A[m * lda + k]; };
  auto bt = [&](int64_t k, int64_t n) { return B_WIDE ? B[k * ldb + n] : B[n * ldb + k]; };
  std::vector<float> c(size_t(M * N + 8), std::nanf(""));
  gemm_emulated<A_WIDE, B_WIDE>(M, N, K, A, lda, B, ldb, c.data() + (shift & 1));
  const float* C = c.data() + (shift & 1);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double want = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) { want += double(at(m, k)) * bt(k, n); scale += std::fabs(double(at(m, k)) * bt(k, n)); }
      CHECK(std::fabs(C[m * N + n] - want) <= 1e-5 * (scale + 1), "gemm %d%d %lldx%lldx%lld pad %d shift %d: C[%lld,%lld] = %g, want %g",
            int(A_WIDE), int(B_WIDE), (long long)M, (long long)N, (long long)K, pad, shift, (long long)m, (long long)n, C[m * N + n], want);
    }
  CHECK(std::isnan(C[M * N]), "gemm wrote past C");
}

static void gemm() {
  // N = 7 and 135 leave a last thread with 7 columns: its 16-byte store must not be taken
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {4, 7, 4}, {9, 135, 5}, {128, 128, 8}, {130, 129, 19}, {64, 200, 33}, {257, 131, 16}};
  for (auto& s : shapes)
    for (int pad : {0, 1, 4})
      for (int shift : {0, 1}) {
        gemm_case<false, true>(s[0], s[1], s[2], pad, shift);
        gemm_case<false, false>(s[0], s[1], s[2], pad, shift);
        gemm_case<true, true>(s[0], s[1], s[2], pad, shift);
        gemm_case<true, false>(s[0], s[1], s[2], pad, shift);
      }
}

// ---- the tensor-core GEMM (math/mma_tile.h) ----

// The mma instructions as the PTX ISA's fragment tables define them, over all 32 lanes' registers at once:
// D (16 x 8) += A B, products exact, each instruction's sum rounded once into the float32 accumulator (the
// hardware's internal order and precision are not documented; the tolerance below covers any fp32 order).
// TF32 m16n8k8: a_i at row g + 8 (i % 2), col q + 4 (i / 2); b_i at row q + 4 i, col g.
// BF16 m16n8k16: a_e (e = 0..7, two per register, low half first) at row g + 8 ((e / 2) % 2), col 2q + e % 2 +
// 8 (e / 4); b_e (e = 0..3) at row 2q + e % 2 + 8 (e / 2), col g. C/D: c_i at row g + 8 (i / 2), col 2q + i % 2.
static float bf16_half(uint32_t r, int h) { return tf::bf16_to_float(uint16_t(h ? r >> 16 : r & 0xffff)); }
static void mma_emulated(bool tf32, const uint32_t a[32][4], const uint32_t b[32][2], float d[32][4]) {
  const int KK = tf32 ? 8 : 16;
  double A[16][16] = {}, B[16][8] = {};
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, q = lane % 4;
    if (tf32) {
      for (int i = 0; i < 4; ++i) A[g + 8 * (i % 2)][q + 4 * (i / 2)] = tf::mma::float_of(a[lane][i]);
      for (int i = 0; i < 2; ++i) B[q + 4 * i][g] = tf::mma::float_of(b[lane][i]);
    } else {
      for (int e = 0; e < 8; ++e) A[g + 8 * ((e / 2) % 2)][2 * q + e % 2 + 8 * (e / 4)] = bf16_half(a[lane][e / 2], e % 2);
      for (int e = 0; e < 4; ++e) B[2 * q + e % 2 + 8 * (e / 2)][g] = bf16_half(b[lane][e / 2], e % 2);
    }
  }
  for (int lane = 0; lane < 32; ++lane) {
    const int g = lane >> 2, q = lane % 4;
    for (int i = 0; i < 4; ++i) {
      const int r = g + 8 * (i / 2), c = 2 * q + i % 2;
      double s = 0;
      for (int k = 0; k < KK; ++k) s += A[r][k] * B[k][c];
      d[lane][i] = float(double(d[lane][i]) + s);
    }
  }
}

// Runs cuda/matmul.cu v3's phases on the host: per block and stage, every thread loads both slabs of both tiles
// (gemm::load_tile) and stashes them (mma::stash); then every warp reads its fragments (mma::frag_*) and the
// emulated instructions multiply; finally every thread stores (mma::store_acc).
template <tf::mma::Kind P, bool A_WIDE, bool B_WIDE>
static void mma_gemm_emulated(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const float* B, int64_t ldb, float* C) {
  namespace mm = tf::mma;
  constexpr int PITCH = mm::Pitch<P>::value;
  constexpr bool TF32 = P == mm::Kind::TF32;
  alignas(16) static float As[mm::BK][PITCH], Bs[mm::BK][PITCH];
  static float acc[mm::kThreads][mm::MT][mm::NT][4];
  for (int64_t m0 = 0; m0 < M; m0 += mm::BM)
    for (int64_t n0 = 0; n0 < N; n0 += mm::BN) {
      for (auto& a : acc) for (auto& x : a) for (auto& y : x) for (float& v : y) v = 0;
      for (int64_t k0 = 0; k0 < K; k0 += mm::BK) {
        for (auto& row : As) for (float& v : row) v = std::nanf("");  // the padding must never be read
        for (auto& row : Bs) for (float& v : row) v = std::nanf("");
        for (int t = 0; t < mm::kThreads; ++t)
          for (int s = 0; s < 2; ++s) {
            float ra[4], rb[4];
            tf::gemm::load_tile<A_WIDE>(t, A, lda, M, K, m0, k0 + s * tf::gemm::BK, ra);
            tf::gemm::load_tile<B_WIDE>(t, B, ldb, N, K, n0, k0 + s * tf::gemm::BK, rb);
            mm::stash<A_WIDE, PITCH>(t, As, s, ra, TF32);
            mm::stash<B_WIDE, PITCH>(t, Bs, s, rb, TF32);
          }
        for (int w = 0; w < mm::kThreads / 32; ++w)
          for (int kk = 0; kk < mm::BK; kk += TF32 ? 8 : 16)
            for (int mi = 0; mi < mm::MT; ++mi)
              for (int ni = 0; ni < mm::NT; ++ni) {
                uint32_t a[32][4], b[32][2];
                float d[32][4];
                for (int lane = 0; lane < 32; ++lane) {
                  const int t = w * 32 + lane;
                  if (TF32) {
                    mm::frag_a_tf32<PITCH>(lane, As, mm::warp_row(t) + mi * 16, kk, a[lane]);
                    mm::frag_b_tf32<PITCH>(lane, Bs, mm::warp_col(t) + ni * 8, kk, b[lane]);
                  } else {
                    mm::frag_a_bf16<PITCH>(lane, As, mm::warp_row(t) + mi * 16, a[lane]);
                    mm::frag_b_bf16<PITCH>(lane, Bs, mm::warp_col(t) + ni * 8, b[lane]);
                  }
                  for (int i = 0; i < 4; ++i) d[lane][i] = acc[t][mi][ni][i];
                }
                mma_emulated(TF32, a, b, d);
                for (int lane = 0; lane < 32; ++lane)
                  for (int i = 0; i < 4; ++i) acc[w * 32 + lane][mi][ni][i] = d[lane][i];
              }
      }
      for (int t = 0; t < mm::kThreads; ++t) mm::store_acc(t, C, M, N, m0, n0, acc[t]);
    }
}

template <tf::mma::Kind P, bool A_WIDE, bool B_WIDE>
static void mma_gemm_case(int64_t M, int64_t N, int64_t K, int pad, int shift) {
  const bool TF32 = P == tf::mma::Kind::TF32;
  const int64_t lda = A_WIDE ? M + pad : K + pad, ldb = B_WIDE ? N + pad : K + pad;
  std::vector<float> a(size_t(shift + (A_WIDE ? K : M) * lda + 4)), b(size_t(shift + (B_WIDE ? K : N) * ldb + 4));
  std::mt19937 rng(unsigned(M * 5 + N * 11 + K * 3 + pad + shift));
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (float& v : a) v = u(rng);
  for (float& v : b) v = u(rng);
  const float* A = a.data() + shift;
  const float* B = b.data() + shift;
  auto rnd = [&](float x) { return TF32 ? double(tf::mma::tf32_round(x)) : double(tf::bf16_round(x)); };
  auto at = [&](int64_t m, int64_t k) { return rnd(A_WIDE ? A[k * lda + m] : A[m * lda + k]); };
  auto bt = [&](int64_t k, int64_t n) { return rnd(B_WIDE ? B[k * ldb + n] : B[n * ldb + k]); };
  std::vector<float> c(size_t(M * N + 8), std::nanf(""));
  mma_gemm_emulated<P, A_WIDE, B_WIDE>(M, N, K, A, lda, B, ldb, c.data() + (shift & 1));
  const float* C = c.data() + (shift & 1);
  // the rounded operands' products are exact in double; the emulated accumulator rounds once per instruction,
  // ceil(K / 8) times at most: |error| <= ceil(K / 8) 2^-24 sum |a b| (+ a little for the tiny sums)
  const double tol_rel = double((K + 7) / 8 + 1) * std::ldexp(1.0, -24);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double want = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) { want += at(m, k) * bt(k, n); scale += std::fabs(at(m, k) * bt(k, n)); }
      CHECK(std::fabs(C[m * N + n] - want) <= tol_rel * scale + 1e-30, "mma %s %d%d %lldx%lldx%lld pad %d shift %d: C[%lld,%lld] = %.9g, want %.9g",
            TF32 ? "tf32" : "bf16", int(A_WIDE), int(B_WIDE), (long long)M, (long long)N, (long long)K, pad, shift, (long long)m,
            (long long)n, C[m * N + n], want);
    }
  CHECK(std::isnan(C[M * N]), "mma gemm wrote past C");
}

static void mma_rounding() {
  using tf::mma::tf32_round;
  using tf::mma::bits_of;
  using tf::mma::float_of;
  // ties: 1 + 2^-11 is halfway between 1 and 1 + 2^-10: away from zero gives 1 + 2^-10 (not even 1)
  CHECK(tf32_round(1.f + std::ldexp(1.f, -11)) == 1.f + std::ldexp(1.f, -10), "tf32 tie up");
  CHECK(tf32_round(-(1.f + std::ldexp(1.f, -11))) == -(1.f + std::ldexp(1.f, -10)), "tf32 tie away (negative)");
  CHECK(tf32_round(1.f + std::ldexp(1.f, -12)) == 1.f, "tf32 below half");
  CHECK(std::isinf(tf32_round(3.4028235e38f)), "tf32 overflow to inf");
  CHECK(std::isinf(tf32_round(INFINITY)) && tf32_round(-INFINITY) < 0, "tf32 inf");
  CHECK(std::isnan(tf32_round(std::nanf(""))) && std::isnan(tf32_round(float_of(0x7f800001u))), "tf32 NaN stays NaN");
  std::mt19937 rng(5);
  for (int i = 0; i < 200000; ++i) {
    const float x = float_of(uint32_t(rng()));
    if (!std::isfinite(x)) continue;
    const float r = tf32_round(x);
    if (!std::isfinite(r)) continue;  // beyond the largest tf32
    // 10 fraction bits kept, within half a tf32 ulp of x (relative 2^-11 for normal x), and no closer value exists
    CHECK((bits_of(r) & 0x1fffu) == 0, "tf32 low bits %08x", bits_of(r));
    const uint32_t lo = bits_of(x) & ~0x1fffu;
    const double d_lo = std::fabs(double(x) - double(float_of(lo))), d_hi = std::fabs(double(x) - double(float_of(lo + 0x2000u)));
    const double want = d_lo < d_hi ? double(float_of(lo)) : double(float_of(lo + 0x2000u));  // ties: the larger magnitude
    CHECK(double(r) == want, "tf32_round(%.9g) = %.9g, want %.9g", x, r, want);
    // the bf16 register packing: lo in the low half, hi in the high half, each by the CPU's bf16 rule
    const float y = float_of(uint32_t(rng()));
    const uint32_t p = tf::mma::bf16x2(x, y);
    CHECK(uint16_t(p & 0xffff) == tf::bf16_bits(x) && uint16_t(p >> 16) == tf::bf16_bits(y), "bf16x2(%.9g, %.9g)", x, y);
  }
  // fragment reads at the padded pitch: the 32 lanes of one read hit 32 different banks (TF32 read through the
  // real functions on a tile whose entries are their own offsets; BF16 from its read pattern S[2q (+1)][i0 + g])
  namespace mm = tf::mma;
  constexpr int PT = mm::Pitch<mm::Kind::TF32>::value, PB = mm::Pitch<mm::Kind::BF16>::value;
  static float S[mm::BK][PT];
  for (int k = 0; k < mm::BK; ++k) for (int i = 0; i < PT; ++i) S[k][i] = float(k * PT + i);
  for (int kk : {0, 8}) for (int i0 : {0, 16, 48}) {
    uint32_t a[32][4];
    for (int lane = 0; lane < 32; ++lane) mm::frag_a_tf32<PT>(lane, S, i0, kk, a[lane]);
    for (int r = 0; r < 4; ++r) {
      unsigned banks = 0;
      for (int lane = 0; lane < 32; ++lane) banks |= 1u << (int(float_of(a[lane][r])) % 32);
      CHECK(banks == 0xffffffffu, "tf32 fragment register %d at kk %d i0 %d: bank conflicts", r, kk, i0);
    }
  }
  for (int dk : {0, 1, 8, 9}) {
    unsigned banks = 0;
    for (int lane = 0; lane < 32; ++lane) banks |= 1u << (((2 * (lane % 4) + dk) * PB + (lane >> 2)) % 32);
    CHECK(banks == 0xffffffffu, "bf16 fragment read row 2q + %d: bank conflicts", dk);
  }
}

static void mma_gemm() {
  mma_rounding();
  using K = tf::mma::Kind;
  // ragged in every dim (N = 7, 135: a last column pair half outside; K not a multiple of the stage), several
  // blocks, misaligned rows
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {16, 8, 16}, {9, 135, 21}, {128, 128, 16}, {130, 129, 35}, {257, 40, 8}};
  for (auto& s : shapes)
    for (int pad : {0, 3})
      for (int shift : {0, 1}) {
        mma_gemm_case<K::TF32, false, true>(s[0], s[1], s[2], pad, shift);
        mma_gemm_case<K::TF32, true, false>(s[0], s[1], s[2], pad, shift);
        mma_gemm_case<K::BF16, false, false>(s[0], s[1], s[2], pad, shift);
        mma_gemm_case<K::BF16, true, true>(s[0], s[1], s[2], pad, shift);
      }
  mma_gemm_case<K::TF32, false, false>(64, 200, 33, 1, 0);
  mma_gemm_case<K::TF32, true, true>(64, 200, 33, 1, 1);
  mma_gemm_case<K::BF16, false, true>(64, 200, 33, 1, 0);
  mma_gemm_case<K::BF16, true, false>(64, 200, 33, 1, 1);
}

// Folds x[] the way the GPU may: elements dealt to `parts` partials (each in its own order), then the partials
// combined in a random order.
template <class Red, class T>
static typename Red::Out fold_random(const std::vector<T>& x, std::mt19937_64& rng) {
  using A = typename Red::A;
  const size_t parts = 1 + rng() % 40;
  std::vector<A> acc(parts, Red::identity());
  std::vector<size_t> order(x.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  for (size_t i : order) {
    A& a = acc[rng() % parts];
    a = (rng() & 1) ? Red::combine(a, Red::load(x[i], int64_t(i))) : Red::combine(Red::load(x[i], int64_t(i)), a);
  }
  while (acc.size() > 1) {  // random pairs, random sides
    size_t i = rng() % acc.size(), j = rng() % (acc.size() - 1);
    if (j >= i) ++j;
    A c = (rng() & 1) ? Red::combine(acc[i], acc[j]) : Red::combine(acc[j], acc[i]);
    acc[std::min(i, j)] = c;
    acc.erase(acc.begin() + std::max(i, j));
  }
  return Red::finish(acc[0]);
}

static void reductions() {
  using namespace tf::red;
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t n = 1 + rng() % 200;
    std::vector<float> x(n);
    for (float& v : x) v = float(int(rng() % 7) - 3);  // ties
    if (rng() % 3 == 0) x[rng() % n] = std::nanf("");
    if (rng() % 5 == 0) x[rng() % n] = std::nanf("");
    // the CPU reference (cpu/ref/reduce.cpp): scan in order, stop at the first NaN
    float mx = x[0], mn = x[0];
    int32_t amx = 0, amn = 0;
    for (size_t r = 1; r < n && mx == mx; ++r)
      if (x[r] != x[r] || x[r] > mx) { mx = x[r]; amx = int32_t(r); }
    for (size_t r = 1; r < n && mn == mn; ++r)
      if (x[r] != x[r] || x[r] < mn) { mn = x[r]; amn = int32_t(r); }
    const float gmx = fold_random<ExtremeR<float, true>>(x, rng), gmn = fold_random<ExtremeR<float, false>>(x, rng);
    CHECK((gmx == mx) || (gmx != gmx && mx != mx), "max trial %d: %g vs %g", trial, gmx, mx);
    CHECK((gmn == mn) || (gmn != gmn && mn != mn), "min trial %d: %g vs %g", trial, gmn, mn);
    const int32_t gamx = fold_random<ArgR<float, true>>(x, rng), gamn = fold_random<ArgR<float, false>>(x, rng);
    CHECK(gamx == amx, "argmax trial %d: %d vs %d", trial, gamx, amx);
    CHECK(gamn == amn, "argmin trial %d: %d vs %d", trial, gamn, amn);
    std::vector<int8_t> xi(n);
    for (int8_t& v : xi) v = int8_t(int(rng() % 255) - 127);
    int64_t s = 0;
    for (int8_t v : xi) s += v;
    CHECK(fold_random<SumR<int8_t>>(xi, rng) == int8_t(s), "integer sum wraps as the CPU's");
  }
}

static void elementwise() {
  using namespace tf;
  using namespace tf::ew;
  const double nan = std::nan("");
  CHECK((cast_apply<double, int32_t>(nan) == 0), "NaN -> int32");
  CHECK((cast_apply<double, int32_t>(1e10) == 2147483647), "saturate int32 high");
  CHECK((cast_apply<double, int32_t>(-1e10) == -2147483647 - 1), "saturate int32 low");
  CHECK((cast_apply<float, int8_t>(-300.f) == -128), "saturate int8");
  CHECK((cast_apply<float, uint8_t>(-3.f) == 0), "saturate uint8 at 0");
  CHECK((cast_apply<float, int32_t>(3.7f) == 3 && cast_apply<float, int32_t>(-3.7f) == -3), "truncate toward zero");
  CHECK((cast_apply<int32_t, float>(7) == 7.f), "int -> float");
  UnaryParams clamp{-1, 2};
  CHECK(std::isnan(unary_apply<float, U_CLAMP>(float(nan), &clamp)), "clamp keeps NaN");
  CHECK((unary_apply<float, U_CLAMP>(5.f, &clamp) == 2.f && unary_apply<float, U_CLAMP>(-5.f, &clamp) == -1.f), "clamp");
  CHECK((unary_apply<int8_t, U_CLAMP>(int8_t(100), &clamp) == 2), "integer clamp");
  CHECK((unary_apply<uint8_t, U_SIGN>(uint8_t(0), nullptr) == 0 && unary_apply<int32_t, U_SIGN>(-5, nullptr) == -1), "sign");
  CHECK(std::isnan(binary_apply<float, B_MAX>(1.f, float(nan))) && std::isnan(binary_apply<double, B_MIN>(nan, 1.0)), "max/min NaN");
  CHECK((binary_apply<int32_t, B_MAX>(3, -4) == 3 && binary_apply<int8_t, B_MIN>(int8_t(3), int8_t(-4)) == -4), "integer max/min");
  CHECK((compare_apply<float, B_LE>(1.f, 1.f) == 1 && compare_apply<float, B_NE>(float(nan), float(nan)) == 1), "compare");
  CHECK((isfinite_apply(1.f) == 1 && isfinite_apply(float(INFINITY)) == 0 && isfinite_apply(nan) == 0 && isfinite_apply(int8_t(3)) == 1), "isfinite");
  CHECK((unary_defined<int32_t>(U_EXP) == false && unary_defined<float>(U_EXP) && unary_defined<uint8_t>(U_ABS)), "unary_defined");
}

int main() {
  philox();
  strided();
  gemm();
  mma_gemm();
  reductions();
  elementwise();
  if (failures) {
    std::printf("%d of %ld checks failed\n", failures, checks);
    return 1;
  }
  std::printf("ok %ld checks\n", checks);
  return 0;
}
