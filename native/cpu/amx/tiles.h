// What the AMX kernels (gemm_u8s8.cpp, gemm_bf16.cpp) share: every tile 16 rows x 64 bytes (palette 1), and the
// 2 x 2 accumulator block in tmm0-3 (A tiles in tmm4-5, B tiles in tmm6-7). Static: each translation unit that
// includes this is compiled for AMX, and nothing of it may be linked into baseline code. Under TF_EMULATE_AMX the
// intrinsics are test/native/amx_emulation.h's scalar model.
#pragma once
#ifndef TF_EMULATE_AMX
#include <immintrin.h>
#endif
#include <stdint.h>
#include <string.h>

namespace tf {
namespace cpu {
namespace amx {

// The 64-byte operand of ldtilecfg: palette, start row, 14 reserved bytes, 16 two-byte column widths (bytes per
// row), 16 one-byte row counts.
struct alignas(64) TileConfig {
  uint8_t palette;
  uint8_t start_row;
  uint8_t reserved[14];
  uint16_t colsb[16];
  uint8_t rows[16];
};

// All eight tiles 16 x 64 bytes; pair with _tile_release() when the kernel is done.
static inline void configure_16x64() {
  TileConfig cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.palette = 1;
  for (int t = 0; t < 8; ++t) {
    cfg.rows[t] = 16;
    cfg.colsb[t] = 64;
  }
  __asm__ volatile("" ::: "memory");  // the config is in memory before ldtilecfg reads it
  _tile_loadconfig(&cfg);
}

static inline void zero_accumulators() {
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
}

// The 2 x 2 accumulator tiles (a 32 x 32 block of int32 or float32) into C's rows x cols corner (row stride
// ldc), written, or added to what C holds when `acc`.
template <class T>
static inline void flush_accumulators(T* C, int64_t ldc, int64_t rows, int64_t cols, bool acc) {
  alignas(64) T t[32][32];
  char* b = reinterpret_cast<char*>(&t[0][0]);
  _tile_stored(0, b, 128);
  _tile_stored(1, b + 64, 128);
  _tile_stored(2, b + 16 * 128, 128);
  _tile_stored(3, b + 16 * 128 + 64, 128);
  __asm__ volatile("" ::: "memory");  // stored before the block is read
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) C[r * ldc + c] = acc ? C[r * ldc + c] + t[r][c] : t[r][c];
}

}  // namespace amx
}  // namespace cpu
}  // namespace tf
