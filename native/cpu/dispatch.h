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
std::vector<std::string> supported_isas();  // in increasing order: scalar, avx2, avx512 (what this CPU runs)
void set_isa(const std::string& name);      // TF_INVALID_ARGUMENT if unknown or unsupported here
std::string cpu_brand();
struct CpuFeatures { bool avx2, fma, avx512f, avx512bw, avx512vl, avx512dq, avx512vnni, avx512bf16, os_avx, os_avx512; };
CpuFeatures cpu_features();

}  // namespace cpu
}  // namespace tf
