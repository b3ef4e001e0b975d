// The CUDA management surface of a build without CUDA (the default node-gyp build): nothing is available, and
// the reason says how to get the CUDA build. The CUDA build (TF_CUDA) has cuda/runtime.cu instead.
#include "cuda_api.h"

#ifndef TF_CUDA
namespace tf {

CudaStatus cuda_status() {
  return {false, false,
          "built without CUDA: the default npm install builds the CPU addon only; build the CUDA addon with "
          "`npm run build:cuda` (needs nvcc; native/cuda/README.md)",
          0};
}
CudaMemoryStats cuda_memory_stats() { return {0, 0, 0, 0, 0, 0, 0, 0}; }
void cuda_empty_cache() {}
void cuda_synchronize() {}

}  // namespace tf
#endif
