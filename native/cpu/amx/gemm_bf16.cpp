// float32 GEMM at bf16 precision on AMX tiles (the matmul precision 'bf16' where the CPU has AMX-BF16): A and B
// rounded to bf16 pairs while packed (cpu/simd/bf16_pack.inc), tdpbf16ps multiplies a 16-row x 16-pair A tile by
// a 16-pair x 16-column B tile into a 16 x 16 float32 tile. Products are exact in float32; the error is the input
// rounding and float32 accumulation, within the same bound as the AVX512-BF16 kernel (test/bf16-matmul.test.ts).
//
// Blocking: K in blocks of KP pairs (a multiple of the tile's 16, zero-padded); B packed per block into panels of
// 32 columns (per pair 32 lanes, 128 bytes: two B tiles side by side); A per block of MC rows, padded to 32 rows.
// C as 2 x 2 tiles (tmm0-3), A in tmm4-5, B in tmm6-7, as the AMX int8 kernel.
// test/native compiles this file against the scalar tile model (TF_EMULATE_AMX) on every CPU.
#include "tiles.h"
#include "../kernels.h"
#include "../bf16.h"
#include <stdint.h>
#include <string.h>

namespace tf {
namespace cpu {
namespace {

#include "../simd/bf16_pack.inc"

constexpr int64_t NR = 32;   // panel width: two 16-column B tiles
constexpr int64_t PT = 16;   // pairs per tile (64 bytes of bf16 per A row)
constexpr int64_t KP = 128;  // pairs per block
constexpr int64_t MC = 128;  // rows per A block (a multiple of 32)
constexpr int64_t NC = 1024; // columns per B block

void gemm_amx_bf16(int64_t M, int64_t N, int64_t K, const char* ac, int64_t rsA, int64_t csA, const char* bc,
                   int64_t rsB, int64_t csB, char* cc, int64_t ldc, int accumulate) {
  float* C = reinterpret_cast<float*>(cc);
  if (M == 0 || N == 0) return;
  amx::configure_16x64();
  bf16_gemm_blocked(M, N, K, reinterpret_cast<const float*>(ac), rsA, csA, reinterpret_cast<const float*>(bc), rsB,
                    csB, C, ldc, accumulate, NR, KP, MC, NC, PT, 32,
                    [&](const uint32_t* ap, const uint32_t* bp, int64_t pp, int64_t i0, int64_t mc, int64_t j0,
                        int64_t nc, bool acc) {
                      for (int64_t jp = 0; jp < nc; jp += NR) {
                        const int64_t cols = nc - jp < NR ? nc - jp : NR;
                        const uint32_t* b = bp + (jp / NR) * pp * NR;
                        for (int64_t rb = 0; rb < mc; rb += 32) {
                          amx::zero_accumulators();
                          const uint32_t* a = ap + rb * pp;
                          for (int64_t p = 0; p < pp; p += PT) {
                            _tile_loadd(4, a + p, pp * 4);
                            _tile_loadd(5, a + 16 * pp + p, pp * 4);
                            _tile_loadd(6, b + p * NR, NR * 4);
                            _tile_loadd(7, b + p * NR + 16, NR * 4);
                            _tile_dpbf16ps(0, 4, 6);
                            _tile_dpbf16ps(1, 4, 7);
                            _tile_dpbf16ps(2, 5, 6);
                            _tile_dpbf16ps(3, 5, 7);
                          }
                          amx::flush_accumulators(C + (i0 + rb) * ldc + j0 + jp, ldc, mc - rb < 32 ? mc - rb : 32,
                                                  cols, acc);
                        }
                      }
                    });
  _tile_release();
}

}  // namespace

void fill_amx_bf16_gemm(KernelTable& t) {
  t.gemm_bf16 = &gemm_amx_bf16;
  t.gemm_bf16_name = "amx-bf16";
}

}  // namespace cpu
}  // namespace tf
