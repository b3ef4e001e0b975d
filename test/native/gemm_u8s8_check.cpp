// Checks an int8 GEMM kernel (TF_KERNEL_FILL, default fill_vnni_int8, from the translation unit this program is
// linked with; see test/int8.test.ts) against
// the scalar reference, bit for bit: random shapes including tiny, odd and multi-block K, column ranges split at
// 64, and the saturation corners (all-255 activations with all +127 or all -128 weights).
// Prints "ok <cases>" or the first mismatch, exit status 1.
#include <stdio.h>
#include <stdlib.h>
#include <vector>
#include "../../native/cpu/kernels.h"

namespace tf { namespace cpu {
void fill_reference_gemm_u8s8(KernelTable& t);
} }

#ifndef TF_KERNEL_FILL
#define TF_KERNEL_FILL fill_vnni_int8
#endif

using namespace tf::cpu;

static uint64_t rng = 88172645463325252ull;
static uint32_t next() { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return uint32_t(rng); }

static bool check(const GemmU8S8& ref, const GemmU8S8& k, int64_t M, int64_t N, int64_t K, int mode) {
  std::vector<uint8_t> A(size_t(M * K));
  std::vector<int8_t> W(size_t(N * K));
  for (auto& a : A) a = mode == 0 ? uint8_t(next()) : 255;
  for (auto& w : W) w = mode == 0 ? int8_t(next()) : mode == 1 ? 127 : -128;
  std::vector<int8_t> pr(size_t(ref.packed_bytes(N, K))), pk(size_t(k.packed_bytes(N, K)));
  ref.pack(W.data(), N, K, pr.data());
  k.pack(W.data(), N, K, pk.data());
  const int64_t ldc = N + 3;  // a row stride wider than N
  std::vector<int32_t> Cr(size_t(M * ldc), 7), Ck(size_t(M * ldc), 7);
  ref.gemm(M, N, K, A.data(), K, pr.data(), Cr.data(), ldc, 0, N);
  for (int64_t n0 = 0; n0 < N; n0 += 64) {
    int64_t n1 = n0 + 64 < N ? n0 + 64 : N;
    k.gemm(M, N, K, A.data(), K, pk.data(), Ck.data(), ldc, n0, n1);
  }
  for (int64_t i = 0; i < M * ldc; ++i)
    if (Cr[i] != Ck[i]) {
      printf("mismatch M=%lld N=%lld K=%lld mode=%d at row %lld col %lld: ref %d kernel %d\n", (long long)M, (long long)N,
             (long long)K, mode, (long long)(i / ldc), (long long)(i % ldc), Cr[i], Ck[i]);
      return false;
    }
  return true;
}

int main() {
  KernelTable r{}, k{};
  fill_reference_gemm_u8s8(r);
  TF_KERNEL_FILL(k);
  const int64_t fixed[][3] = {{1, 1, 1}, {1, 1, 3}, {2, 3, 5}, {7, 13, 17}, {8, 32, 4}, {9, 33, 5}, {96, 64, 64},
                              {97, 65, 1030}, {200, 130, 1027}, {5, 300, 2049}, {1, 64, 4100}};
  int cases = 0;
  for (auto& s : fixed)
    for (int mode = 0; mode < 3; ++mode) {
      if (!check(r.gemm_u8s8, k.gemm_u8s8, s[0], s[1], s[2], mode)) return 1;
      ++cases;
    }
  for (int t = 0; t < 60; ++t) {
    int64_t M = 1 + next() % 130, N = 1 + next() % 150, K = 1 + next() % 1100;
    if (!check(r.gemm_u8s8, k.gemm_u8s8, M, N, K, 0)) return 1;
    ++cases;
  }
  printf("ok %d\n", cases);
  return 0;
}
