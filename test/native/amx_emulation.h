// A scalar model of the AMX intrinsics the AMX kernels use (native/cpu/amx/), following the Intel SDM: eight
// tiles of up to 16 rows x 64 bytes, shaped by ldtilecfg's palette-1 configuration; a tile load reads `rows` rows
// of `colsb` bytes at `stride` and zeroes the rest; tdpbusd C[m][n] += sum over k of u8 A[m][k] *
// s8 B[k / 4][4 n + k % 4], wrapping in int32; tdpbf16ps C[m][n] += A[m].bf16[2p] B[p].bf16[2n] then
// += A[m].bf16[2p+1] B[p].bf16[2n+1] for each pair p, each add rounded to float32, bf16 subnormals read as zero
// and subnormal sums flushed (avx512bf16_emulation.h's helpers). Shape mismatches and use without a
// configuration abort, as the hardware would fault, so a kernel that relies on either fails its check.
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "avx512bf16_emulation.h"

struct TfEmulatedTile { int rows, colsb; uint8_t d[16][64]; };
static thread_local TfEmulatedTile tf_amx_tiles[8];
static thread_local bool tf_amx_configured = false;

static inline void tf_amx_fail(const char* what) {
  printf("amx emulation: %s\n", what);
  exit(2);
}
static inline TfEmulatedTile& tf_amx_tile(int t) {
  if (!tf_amx_configured) tf_amx_fail("tile instruction without a tile configuration");
  if (t < 0 || t > 7) tf_amx_fail("tile index out of range");
  return tf_amx_tiles[t];
}
static inline void _tile_loadconfig(const void* p) {
  const uint8_t* c = static_cast<const uint8_t*>(p);
  if (c[0] != 1) tf_amx_fail("palette must be 1");
  for (int t = 0; t < 8; ++t) {
    uint16_t colsb;
    memcpy(&colsb, c + 16 + 2 * t, 2);
    const int rows = c[48 + t];
    if (rows > 16 || colsb > 64) tf_amx_fail("tile shape beyond 16 rows x 64 bytes");
    tf_amx_tiles[t].rows = rows;
    tf_amx_tiles[t].colsb = colsb;
    memset(tf_amx_tiles[t].d, 0, sizeof(tf_amx_tiles[t].d));
  }
  tf_amx_configured = true;
}
static inline void _tile_release() { tf_amx_configured = false; }
static inline void _tile_zero(int t) { memset(tf_amx_tile(t).d, 0, sizeof(tf_amx_tiles[t].d)); }
static inline void _tile_loadd(int t, const void* base, long stride) {
  TfEmulatedTile& x = tf_amx_tile(t);
  memset(x.d, 0, sizeof(x.d));
  for (int r = 0; r < x.rows; ++r) memcpy(x.d[r], static_cast<const uint8_t*>(base) + r * stride, size_t(x.colsb));
}
static inline void _tile_stored(int t, void* base, long stride) {
  TfEmulatedTile& x = tf_amx_tile(t);
  for (int r = 0; r < x.rows; ++r) memcpy(static_cast<uint8_t*>(base) + r * stride, x.d[r], size_t(x.colsb));
}
static inline void _tile_dpbusd(int c, int a, int b) {
  TfEmulatedTile &C = tf_amx_tile(c), &A = tf_amx_tile(a), &B = tf_amx_tile(b);
  if (C.rows != A.rows || B.rows * 4 != A.colsb || C.colsb != B.colsb) tf_amx_fail("tdpbusd tile shapes do not match");
  for (int m = 0; m < C.rows; ++m)
    for (int n = 0; n < C.colsb / 4; ++n) {
      int32_t acc;
      memcpy(&acc, &C.d[m][4 * n], 4);
      uint32_t s = uint32_t(acc);
      for (int k = 0; k < A.colsb; ++k)
        s += uint32_t(int32_t(A.d[m][k]) * int32_t(int8_t(B.d[k / 4][4 * n + k % 4])));
      acc = int32_t(s);
      memcpy(&C.d[m][4 * n], &acc, 4);
    }
}
static inline void _tile_dpbf16ps(int c, int a, int b) {
  TfEmulatedTile &C = tf_amx_tile(c), &A = tf_amx_tile(a), &B = tf_amx_tile(b);
  if (C.rows != A.rows || B.rows * 4 != A.colsb || C.colsb != B.colsb) tf_amx_fail("tdpbf16ps tile shapes do not match");
  for (int m = 0; m < C.rows; ++m)
    for (int n = 0; n < C.colsb / 4; ++n) {
      float acc;
      memcpy(&acc, &C.d[m][4 * n], 4);
      for (int p = 0; p < A.colsb / 4; ++p)
        for (int h = 0; h < 2; ++h) {
          uint16_t x, y;
          memcpy(&x, &A.d[m][4 * p + 2 * h], 2);
          memcpy(&y, &B.d[p][4 * n + 2 * h], 2);
          acc = tf_emulated_ftz(acc + tf_emulated_bf16_daz(x) * tf_emulated_bf16_daz(y));
        }
      memcpy(&C.d[m][4 * n], &acc, 4);
    }
}
