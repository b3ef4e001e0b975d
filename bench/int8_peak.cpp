// Throughput of the multiply instructions the fp32 and int8 GEMMs are built from, on one core: 12 independent
// accumulator chains per iteration (more than latency x throughput), register operands only.
// Build and run: g++ -O2 bench/int8_peak.cpp -o /tmp/int8_peak && /tmp/int8_peak
// (The AVX-512, VNNI and BF16 rows run where CPUID says the CPU has them.)
#include <chrono>
#include <cstdio>
#define R12(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
#define FMA(i) "vfmadd231ps %%ymm12, %%ymm13, %%ymm" #i "\n"
#define MADDWD(i) "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm" #i ", %%ymm" #i "\n"
#define MADDWD2(i) "vpmaddwd %%ymm12, %%ymm13, %%ymm" #i "\n"
#define UBS(i) "vpmaddubsw %%ymm12, %%ymm13, %%ymm14\n vpmaddwd %%ymm14, %%ymm15, %%ymm14\n vpaddd %%ymm14, %%ymm" #i ", %%ymm" #i "\n"
#define UBSONLY(i) "vpmaddubsw %%ymm12, %%ymm13, %%ymm" #i "\n"
template<class F> double timeit(F f){auto t0=std::chrono::steady_clock::now(); f(); return std::chrono::duration<double>(std::chrono::steady_clock::now()-t0).count();}
static void rows_avx2(long n) {
  double s;
  s=timeit([&]{ for(long i=0;i<n;i++) __asm__ volatile(R12(FMA) ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); });
  printf("fma ymm x12: %.1f GFLOP/s\n", n*12*16/s/1e9);
  s=timeit([&]{ for(long i=0;i<n;i++) __asm__ volatile(R12(MADDWD2) ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); });
  printf("vpmaddwd only: %.1f GMAC/s\n", n*12*16/s/1e9);
  s=timeit([&]{ for(long i=0;i<n;i++) __asm__ volatile(R12(MADDWD) ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11","xmm14"); });
  printf("vpmaddwd+vpaddd: %.1f GMAC/s\n", n*12*16/s/1e9);
  s=timeit([&]{ for(long i=0;i<n;i++) __asm__ volatile(R12(UBSONLY) ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"); });
  printf("vpmaddubsw only: %.1f GMAC/s\n", n*12*32/s/1e9);
  s=timeit([&]{ for(long i=0;i<n;i++) __asm__ volatile(R12(UBS) ::: "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11","xmm14"); });
  printf("vpmaddubsw+vpmaddwd+vpaddd: %.1f GMAC/s\n", n*12*32/s/1e9);
}

// The 512-bit rows (issue 29): the instructions the AVX-512 fp32 GEMM, the VNNI int8 GEMM and the bf16 matmul
// are built from. Each is compiled for its ISA and run only where CPUID says the CPU has it.
#define ZFMA(i) "vfmadd231ps %%zmm12, %%zmm13, %%zmm" #i "\n"
#define ZDPBUSD(i) "vpdpbusd %%zmm12, %%zmm13, %%zmm" #i "\n"
#define YDPBUSD(i) "vpdpbusd %%ymm12, %%ymm13, %%ymm" #i "\n"
#define ZDPBF16(i) "vdpbf16ps %%zmm12, %%zmm13, %%zmm" #i "\n"
#define CLOB "xmm0","xmm1","xmm2","xmm3","xmm4","xmm5","xmm6","xmm7","xmm8","xmm9","xmm10","xmm11"
__attribute__((target("avx512f"))) static void rows_avx512(long n) {
  double s = timeit([&]{ for (long i = 0; i < n; i++) __asm__ volatile(R12(ZFMA) ::: CLOB); });
  printf("fma zmm x12: %.1f GFLOP/s\n", n * 12 * 32 / s / 1e9);
}
__attribute__((target("avx512f,avx512vl,avx512vnni"))) static void rows_vnni(long n) {
  double s = timeit([&]{ for (long i = 0; i < n; i++) __asm__ volatile(R12(ZDPBUSD) ::: CLOB); });
  printf("vpdpbusd zmm x12: %.1f GOP/s (%.1f GMAC/s)\n", n * 12 * 128 / s / 1e9, n * 12 * 64 / s / 1e9);
  s = timeit([&]{ for (long i = 0; i < n; i++) __asm__ volatile(R12(YDPBUSD) ::: CLOB); });
  printf("vpdpbusd ymm (EVEX) x12: %.1f GOP/s\n", n * 12 * 64 / s / 1e9);
}
__attribute__((target("avx512f,avx512bf16"))) static void rows_bf16(long n) {
  double s = timeit([&]{ for (long i = 0; i < n; i++) __asm__ volatile(R12(ZDPBF16) ::: CLOB); });
  printf("vdpbf16ps zmm x12: %.1f GFLOP/s\n", n * 12 * 64 / s / 1e9);
}
int main() {
  long n = 20000000;
  __builtin_cpu_init();
  rows_avx2(n);
  if (__builtin_cpu_supports("avx512f")) rows_avx512(n); else printf("fma zmm: no AVX-512 on this CPU\n");
  if (__builtin_cpu_supports("avx512vnni")) rows_vnni(n); else printf("vpdpbusd zmm: no AVX-512 VNNI on this CPU\n");
  if (__builtin_cpu_supports("avx512bf16")) rows_bf16(n); else printf("vdpbf16ps zmm: no AVX-512 BF16 on this CPU\n");
}
