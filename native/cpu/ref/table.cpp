#include "../kernels.h"
#include <cstring>

namespace tf {
namespace cpu {

void fill_reference_elementwise(KernelTable& t);
void fill_reference_reduce(KernelTable& t);
void fill_reference_gemm(KernelTable& t);
void fill_reference_gemm_u8s8(KernelTable& t);
void fill_reference_norm_rows(KernelTable& t);

void fill_reference(KernelTable& t) {
  std::memset(&t, 0, sizeof(t));
  fill_reference_elementwise(t);
  fill_reference_reduce(t);
  fill_reference_gemm(t);
  fill_reference_gemm_u8s8(t);
  fill_reference_norm_rows(t);
  fill_fft_scalar(t);
}

}  // namespace cpu
}  // namespace tf
