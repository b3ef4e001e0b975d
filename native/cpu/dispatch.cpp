#include "dispatch.h"
#include "../core/error.h"
#include <atomic>
#include <cpuid.h>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace tf {
namespace cpu {

namespace {

uint64_t xgetbv0() {
  uint32_t lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (uint64_t(hi) << 32) | lo;
}

CpuFeatures detect() {
  CpuFeatures f{};
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return f;
  bool osxsave = c & (1u << 27);
  f.fma = c & (1u << 12);
  uint64_t xcr0 = osxsave ? xgetbv0() : 0;
  f.os_avx = (xcr0 & 0x6) == 0x6;              // XMM and YMM state saved by the OS
  f.os_avx512 = (xcr0 & 0xe6) == 0xe6;         // plus opmask and ZMM state
  f.os_amx = (xcr0 & 0x60000) == 0x60000;      // tile configuration and tile data state
  if (__get_cpuid_max(0, nullptr) >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    f.amx_bf16 = d & (1u << 22);
    f.amx_tile = d & (1u << 24);
    f.amx_int8 = d & (1u << 25);
    f.avx2 = b & (1u << 5);
    f.avx512f = b & (1u << 16);
    f.avx512dq = b & (1u << 17);
    f.avx512bw = b & (1u << 30);
    f.avx512vl = b & (1u << 31);
    f.avx512vnni = c & (1u << 11);
    __cpuid_count(7, 1, a, b, c, d);
    f.avx512bf16 = a & (1u << 5);
  }
  return f;
}

// Linux grants the tile-data state per process on request; asked once, the answer kept.
bool amx_permitted() {
  static const bool ok = amx_request_permission();
  return ok;
}

bool can_run(const std::string& isa, const CpuFeatures& f) {
  if (isa == "scalar") return true;
  if (isa == "avx2") return f.os_avx && f.avx2 && f.fma;
  if (isa == "avx512")
    return can_run("avx2", f) && f.os_avx512 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512dq;
  // amx: the avx512 rows with the int8 GEMM on tiles; only where the CPU, XCR0 and the kernel's permission agree
  if (isa == "amx") return can_run("avx512", f) && f.amx_tile && f.amx_int8 && f.os_amx && amx_permitted();
  return false;
}

// The ISA names in increasing order; a table's index in g_tables is its name's index here.
const char* const kIsaNames[] = {"scalar", "avx2", "avx512", "amx"};
constexpr int kNumIsas = 4;
int isa_index(const std::string& name) {
  for (int i = 0; i < kNumIsas; ++i)
    if (name == kIsaNames[i]) return i;
  return -1;
}

KernelTable g_tables[kNumIsas];
std::atomic<int> g_matmul_precision{int(MatmulPrecision::FP32)};
std::atomic<const KernelTable*> g_current{nullptr};
std::once_flag g_once;

void init() {
  // A SIMD table is only filled when this CPU can run it: even the fill function of an ISA's translation
  // unit may contain that ISA's instructions.
  CpuFeatures f = detect();
  fill_reference(g_tables[0]);
  fill_linalg_scalar(g_tables[0]);
  g_tables[0].isa = "scalar";
  if (can_run("avx2", f)) {
    g_tables[1] = g_tables[0];
    fill_avx2(g_tables[1]);
    fill_avx2_int8(g_tables[1]);
    fill_fft_avx2(g_tables[1]);
    fill_linalg_avx2(g_tables[1]);
    g_tables[1].isa = "avx2";
  }
  if (can_run("avx512", f)) {
    g_tables[2] = g_tables[0];  // each SIMD table overrides the reference table, never another SIMD table
    fill_avx512(g_tables[2]);
    // int8: VNNI where the CPU has it; AVX-512 without VNNI keeps the exact AVX2 kernel
    if (f.avx512vnni) fill_vnni_int8(g_tables[2]); else fill_avx2_int8(g_tables[2]);
    if (f.avx512bf16) fill_bf16_gemm(g_tables[2]);
    fill_fft_avx512(g_tables[2]);
    fill_linalg_avx512(g_tables[2]);
    g_tables[2].isa = "avx512";
  }
  if (can_run("amx", f)) {
    g_tables[3] = g_tables[2];  // the avx512 rows, the int8 GEMM on AMX tiles
    fill_amx_int8(g_tables[3]);
    if (f.amx_bf16) fill_amx_bf16_gemm(g_tables[3]);  // else the avx512 table's (AVX512-BF16 or none)
    g_tables[3].isa = "amx";
  }
  std::string best = "scalar";
  for (const char* n : kIsaNames)
    if (can_run(n, f)) best = n;
  const char* env = std::getenv("TENSORFIELD_ISA");
  std::string want = env && *env ? env : best;
  // An unknown or unsupported override falls back to the best path rather than aborting the load;
  // current_isa() reports what actually runs.
  if (!can_run(want, f)) want = best;
  g_current.store(&g_tables[isa_index(want)]);
  // TENSORFIELD_MATMUL_PRECISION=bf16|tf32 sets the matmul precision at load (an unknown value leaves fp32)
  const char* mp = std::getenv("TENSORFIELD_MATMUL_PRECISION");
  MatmulPrecision p;
  if (mp && matmul_precision_of(mp, &p)) g_matmul_precision.store(int(p));
}

}  // namespace

const KernelTable& kernels() {
  const KernelTable* t = g_current.load(std::memory_order_acquire);
  if (__builtin_expect(t != nullptr, 1)) return *t;
  std::call_once(g_once, init);
  return *g_current.load();
}

const KernelTable& reference_kernels() {
  kernels();  // filled once
  return g_tables[0];
}

std::string current_isa() { return kernels().isa; }

std::vector<std::string> supported_isas() {
  CpuFeatures f = detect();
  std::vector<std::string> out;
  for (const char* n : kIsaNames)
    if (can_run(n, f)) out.push_back(n);
  return out;
}

void set_isa(const std::string& name) {
  kernels();
  CpuFeatures f = detect();
  TF_CHECK(isa_index(name) >= 0, InvalidArgument, "unknown ISA '", name, "' (expected scalar, avx2, avx512 or amx)");
  TF_CHECK(can_run(name, f), InvalidArgument, "this CPU (or its OS) cannot run the '", name, "' kernels");
  g_current.store(&g_tables[isa_index(name)]);
}

CpuFeatures cpu_features() { return detect(); }

// Both run init first, so TENSORFIELD_MATMUL_PRECISION cannot override a later explicit choice.
void set_matmul_precision(MatmulPrecision p) {
  kernels();
  g_matmul_precision.store(int(p), std::memory_order_relaxed);
}
MatmulPrecision matmul_precision() {
  kernels();
  return MatmulPrecision(g_matmul_precision.load(std::memory_order_relaxed));
}
const char* matmul_precision_name(MatmulPrecision p) {
  return p == MatmulPrecision::BF16 ? "bf16" : p == MatmulPrecision::TF32 ? "tf32" : "fp32";
}
bool matmul_precision_of(const std::string& name, MatmulPrecision* p) {
  if (name == "fp32") *p = MatmulPrecision::FP32;
  else if (name == "bf16") *p = MatmulPrecision::BF16;
  else if (name == "tf32") *p = MatmulPrecision::TF32;
  else return false;
  return true;
}

std::string cpu_brand() {
  unsigned regs[12];
  if (__get_cpuid_max(0x80000000, nullptr) < 0x80000004) return "unknown x86-64";
  for (unsigned i = 0; i < 3; ++i) __get_cpuid(0x80000002 + i, &regs[i * 4], &regs[i * 4 + 1], &regs[i * 4 + 2], &regs[i * 4 + 3]);
  char s[49];
  std::memcpy(s, regs, 48);
  s[48] = 0;
  std::string out(s);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  size_t p = out.find_first_not_of(' ');
  return p == std::string::npos ? out : out.substr(p);
}

}  // namespace cpu
}  // namespace tf
