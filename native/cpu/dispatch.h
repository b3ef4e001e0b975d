// Which kernel table runs: chosen once from CPUID+XGETBV at load, overridable by TENSORFIELD_ISA and,
// for tests, at run time.
#pragma once
#include <string>
#include <vector>
#include "kernels.h"

namespace tf {
namespace cpu {

const KernelTable& kernels();            // the CPU backend's rows: the chosen ISA's
const KernelTable& reference_kernels();  // the scalar reference rows (the 'ref' backend's)
std::string current_isa();
std::vector<std::string> supported_isas();  // in increasing order: scalar, avx2, avx512, amx (what this CPU runs)
void set_isa(const std::string& name);      // TF_INVALID_ARGUMENT if unknown or unsupported here
std::string cpu_brand();

// The precision of float32 matmuls (matmul, Linear, conv, attention; forward and backward), like PyTorch's
// set_float32_matmul_precision: 'fp32' (default) multiplies in float32; 'bf16' rounds the operands to bf16 and
// accumulates in float32, on the CPU where it has bf16 instructions (KernelTable::gemm_bf16; elsewhere fp32
// stays) and always on the 'ref' device (the scalar model, so tests compare against it); 'tf32' rounds the
// operands to tf32 (10 fraction bits, nearest, ties away, as cvt.rna.tf32.f32) and accumulates in float32, on CUDA
// tensor cores and on the 'ref' device (the model); the CPU has no tf32 arithmetic and keeps fp32 there. Process-wide.
enum class MatmulPrecision { FP32 = 0, BF16 = 1, TF32 = 2 };
// 'fp32' / 'bf16' / 'tf32', and back (false for any other name).
const char* matmul_precision_name(MatmulPrecision p);
bool matmul_precision_of(const std::string& name, MatmulPrecision* p);
void set_matmul_precision(MatmulPrecision p);
MatmulPrecision matmul_precision();
struct CpuFeatures {
  bool avx2, fma, avx512f, avx512bw, avx512vl, avx512dq, avx512vnni, avx512bf16, amx_tile, amx_int8, amx_bf16, os_avx,
      os_avx512, os_amx;
};
CpuFeatures cpu_features();

}  // namespace cpu
}  // namespace tf
