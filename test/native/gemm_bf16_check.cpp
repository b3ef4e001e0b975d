// Checks a bf16 GEMM kernel (TF_BF16_FILL, linked from the translation unit this program is built with; see
// test/bf16-matmul.test.ts) against gemm_bf16_reference, on random shapes (tiny, odd, several K blocks, several
// column blocks), operand strides (row-major, transposed) and accumulate on/off:
//   exact: operands small integers, so every bf16 rounding, product and float32 partial sum is exact and any
//          indexing, packing or blocking slip shows as a mismatch;
//   rounded: operands random floats; |kernel - ref| <= (K + 2) 2^-24 sum_k |bf16(a_k) bf16(b_k)| + |C0| 2^-24,
//          float32 recursive summation's bound (one extra rounding per K block and for the accumulated C).
// Prints "ok <cases>" or the first failure, exit status 1.
#include <math.h>
#include <stdio.h>
#include <vector>
#include "../../native/cpu/kernels.h"
#include "../../native/cpu/bf16.h"

#ifndef TF_BF16_FILL
#define TF_BF16_FILL fill_bf16_gemm  // or fill_amx_bf16_gemm (test/bf16-matmul.test.ts builds both)
#endif
namespace tf { namespace cpu { void TF_BF16_FILL(KernelTable& t); } }
using namespace tf::cpu;

static uint64_t rng = 88172645463325252ull;
static uint32_t next() { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return uint32_t(rng); }
static float uniform() { return float(next() >> 8) / float(1 << 24) * 2.0f - 1.0f; }

static bool check(GemmFn k, int64_t M, int64_t N, int64_t K, bool exact, bool transB, bool accumulate) {
  std::vector<float> A(size_t(M * K)), B(size_t(K * N));
  for (auto& a : A) a = exact ? float(int(next() % 17) - 8) : uniform() * 3.0f;
  for (auto& b : B) b = exact ? float(int(next() % 17) - 8) : uniform();
  const int64_t rsB = transB ? 1 : N, csB = transB ? K : 1;  // B stored [N, K] when transposed
  const int64_t ldc = N + 5;
  std::vector<float> Cr(size_t(M * ldc)), Ck;
  for (auto& c : Cr) c = exact ? float(int(next() % 9) - 4) : uniform();
  Ck = Cr;
  gemm_bf16_reference(M, N, K, reinterpret_cast<const char*>(A.data()), K, 1, reinterpret_cast<const char*>(B.data()),
                      rsB, csB, reinterpret_cast<char*>(Cr.data()), ldc, accumulate);
  k(M, N, K, reinterpret_cast<const char*>(A.data()), K, 1, reinterpret_cast<const char*>(B.data()), rsB, csB,
    reinterpret_cast<char*>(Ck.data()), ldc, accumulate);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < ldc; ++n) {
      const float r = Cr[m * ldc + n], v = Ck[m * ldc + n];
      double tol = 0;
      if (!exact && n < N) {
        double s = 0;
        for (int64_t q = 0; q < K; ++q)
          s += fabs(double(tf::bf16_round(A[m * K + q])) * double(tf::bf16_round(B[q * rsB + n * csB])));
        tol = double(K + 2) * ldexp(1.0, -24) * s + fabs(double(r)) * ldexp(1.0, -24);
      }
      if (!(fabs(double(r) - double(v)) <= tol)) {
        printf("mismatch M=%lld N=%lld K=%lld exact=%d transB=%d acc=%d at (%lld, %lld): ref %.9g kernel %.9g tol %.3g\n",
               (long long)M, (long long)N, (long long)K, int(exact), int(transB), int(accumulate), (long long)m,
               (long long)n, r, v, tol);
        return false;
      }
    }
  return true;
}

int main() {
  KernelTable t{};
  TF_BF16_FILL(t);
  const int64_t fixed[][3] = {{1, 1, 1}, {1, 1, 2}, {2, 3, 5}, {5, 64, 256}, {6, 65, 257}, {7, 13, 17},
                              {81, 64, 64}, {97, 130, 513}, {3, 1100, 9}, {161, 1030, 300}};
  int cases = 0;
  for (auto& s : fixed)
    for (int mode = 0; mode < 4; ++mode) {
      if (!check(t.gemm_bf16, s[0], s[1], s[2], mode < 2, mode % 2 == 1, mode == 2)) return 1;
      ++cases;
    }
  for (int r = 0; r < 40; ++r) {
    int64_t M = 1 + next() % 100, N = 1 + next() % 150, K = 1 + next() % 700;
    if (!check(t.gemm_bf16, M, N, K, r % 2 == 0, r % 3 == 0, r % 5 == 0)) return 1;
    ++cases;
  }
  printf("ok %d\n", cases);
  return 0;
}
