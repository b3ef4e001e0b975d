// int8 GEMM (u8 x s8 -> s32) on AMX tiles (Intel Sapphire Rapids and later): tdpbusd multiplies a 16 x 64-byte
// tile of activation codes by a 16 x 64-byte tile of weights laid out four k values per int32 column, into a
// 16 x 16 int32 accumulator tile, exactly (integer arithmetic, no saturation), so the result equals the scalar
// reference bit for bit.
//
// Packed weights ("amx"): the VNNI kernel's panels (64 columns; per group of four k, 64 columns x 4 bytes) with
// the group count rounded up to a multiple of 16, zero-filled, so every weight tile load (16 groups, stride 256
// bytes, 64 bytes at the panel's column offset) stays inside the panel. Activations are packed per block with
// rows rounded up to 32 and groups to 16, zero-filled: padding contributes 0 to every sum.
// Register blocking: C as 2 x 2 tiles (32 rows x 32 columns, tmm0-3), A in tmm4-5, B in tmm6-7; per 64-byte k
// step, 2 A loads + 2 B loads feed 4 tdpbusd.
//
// test/native compiles this file against a scalar model of the AMX intrinsics (TF_EMULATE_AMX, which also stands
// in for the OS permission request), so its packing, tiling and tails are checked on every CPU; the real
// instructions run only where CPUID and the OS say AMX-INT8 is usable (cpu/dispatch.cpp, amx_usable()).
#ifndef TF_EMULATE_AMX
#include <sys/syscall.h>
#include <unistd.h>
#endif
#include "tiles.h"
#include "../kernels.h"
#include <stdint.h>
#include <string.h>

namespace tf {
namespace cpu {
namespace {

constexpr int64_t NR = 64;          // panel width (columns), as the VNNI layout
constexpr int64_t KT = 16;          // k groups (of 4) per tile: 64 bytes
constexpr int64_t KC = 128;         // k groups per block: a 32-row A block is 16 KiB, a panel slice 32 KiB
constexpr int64_t MC = 128;         // rows per packed activation block (a multiple of 32)

inline int64_t groups_of(int64_t K) { return (K + 3) / 4; }
inline int64_t groups16_of(int64_t K) { return (groups_of(K) + KT - 1) / KT * KT; }
inline int64_t panels_of(int64_t N) { return (N + NR - 1) / NR; }

int64_t packed_bytes(int64_t N, int64_t K) { return panels_of(N) * groups16_of(K) * NR * 4; }

void pack(const int8_t* W, int64_t N, int64_t K, int8_t* out) {
  const int64_t G = groups16_of(K);
  for (int64_t j = 0; j < panels_of(N); ++j)
    for (int64_t g = 0; g < G; ++g)
      for (int64_t c = 0; c < NR; ++c)
        for (int64_t i = 0; i < 4; ++i) {
          const int64_t n = j * NR + c, k = g * 4 + i;
          *out++ = (n < N && k < K) ? W[n * K + k] : int8_t(0);
        }
}

// rows [m0, m0 + rows) x groups [g0, g0 + gc) of A -> ap (row stride gc * 4 bytes), rows zero-padded to a
// multiple of 32 and k past K zero.
void pack_a(const uint8_t* A, int64_t lda, int64_t K, int64_t m0, int64_t rows, int64_t g0, int64_t gc,
            uint8_t* ap) {
  const int64_t k0 = g0 * 4, kw = gc * 4, kv = K - k0 < kw ? K - k0 : kw;
  const int64_t padded = (rows + 31) / 32 * 32;
  for (int64_t r = 0; r < padded; ++r) {
    uint8_t* dst = ap + r * kw;
    if (r < rows && kv > 0) {
      memcpy(dst, A + (m0 + r) * lda + k0, size_t(kv));
      memset(dst + kv, 0, size_t(kw - kv));
    } else {
      memset(dst, 0, size_t(kw));
    }
  }
}

void gemm(int64_t M, int64_t N, int64_t K, const uint8_t* A, int64_t lda, const int8_t* packed, int32_t* C,
          int64_t ldc, int64_t n0, int64_t n1) {
  (void)N;
  if (M == 0 || n1 <= n0) return;
  amx::configure_16x64();
  const int64_t G = groups16_of(K);
  alignas(64) uint8_t ap[MC * KC * 4];
  for (int64_t g0 = 0; g0 < G; g0 += KC) {
    const int64_t gc = G - g0 < KC ? G - g0 : KC;  // a multiple of 16: G and KC are
    const int64_t astride = gc * 4;
    for (int64_t m0 = 0; m0 < M; m0 += MC) {
      const int64_t rows = M - m0 < MC ? M - m0 : MC;
      pack_a(A, lda, K, m0, rows, g0, gc, ap);
      __asm__ volatile("" ::: "memory");  // packed before the tile loads read it
      for (int64_t n = n0; n < n1; n += NR) {
        const int8_t* panel = packed + (n / NR) * G * NR * 4 + g0 * NR * 4;
        for (int64_t cb = 0; cb < NR && n + cb < n1; cb += 32) {
          const int64_t cols = n1 - (n + cb) < 32 ? n1 - (n + cb) : 32;
          for (int64_t rb = 0; rb < rows; rb += 32) {
            amx::zero_accumulators();
            const uint8_t* a = ap + rb * astride;
            const int8_t* b = panel + cb * 4;
            for (int64_t kk = 0; kk < gc; kk += KT) {
              _tile_loadd(4, a + kk * 4, astride);
              _tile_loadd(5, a + 16 * astride + kk * 4, astride);
              _tile_loadd(6, b + kk * NR * 4, NR * 4);
              _tile_loadd(7, b + kk * NR * 4 + 64, NR * 4);
              _tile_dpbusd(0, 4, 6);
              _tile_dpbusd(1, 4, 7);
              _tile_dpbusd(2, 5, 6);
              _tile_dpbusd(3, 5, 7);
            }
            amx::flush_accumulators(C + (m0 + rb) * ldc + n + cb, ldc, rows - rb < 32 ? rows - rb : 32, cols, g0 > 0);
          }
        }
      }
    }
  }
  _tile_release();
}

}  // namespace

// Asks Linux for the AMX tile-data state (off by default for every process since 5.16); true when granted (or
// already granted). Without it the first tile instruction would kill the process with SIGILL.
bool amx_request_permission() {
#ifdef TF_EMULATE_AMX
  return true;
#else
  const long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
#endif
}

void fill_amx_int8(KernelTable& t) {
  t.gemm_u8s8 = GemmU8S8{"amx", &packed_bytes, &pack, &gemm, nullptr, 0, nullptr, nullptr, nullptr, 0};  // convolutions: im2col + tiles
}

}  // namespace cpu
}  // namespace tf
