// Throughput of the multiply instructions the fp32 and int8 GEMMs are built from, on one core: 12 independent
// accumulator chains per iteration (more than latency x throughput), register operands only.
// Build and run: g++ -O2 bench/int8_peak.cpp -o /tmp/int8_peak && /tmp/int8_peak
// (AVX2 only: the AVX-512 / VNNI rows need a CPU that has them.)
#include <chrono>
#include <cstdio>
#define R12(op) op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) op(8) op(9) op(10) op(11)
#define FMA(i) "vfmadd231ps %%ymm12, %%ymm13, %%ymm" #i "\n"
#define MADDWD(i) "vpmaddwd %%ymm12, %%ymm13, %%ymm14\n vpaddd %%ymm14, %%ymm" #i ", %%ymm" #i "\n"
#define MADDWD2(i) "vpmaddwd %%ymm12, %%ymm13, %%ymm" #i "\n"
#define UBS(i) "vpmaddubsw %%ymm12, %%ymm13, %%ymm14\n vpmaddwd %%ymm14, %%ymm15, %%ymm14\n vpaddd %%ymm14, %%ymm" #i ", %%ymm" #i "\n"
#define UBSONLY(i) "vpmaddubsw %%ymm12, %%ymm13, %%ymm" #i "\n"
template<class F> double timeit(F f){auto t0=std::chrono::steady_clock::now(); f(); return std::chrono::duration<double>(std::chrono::steady_clock::now()-t0).count();}
int main() {
  long n=20000000;
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
