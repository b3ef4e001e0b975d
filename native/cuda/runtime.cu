// The CUDA device's runtime: lazy initialisation and the reason when there is no GPU, CUDA errors as TF_* errors,
// and the management surface of backend/cuda_api.h. Linked with the static cudart, so the addon loads on machines
// without a driver: cudaGetDeviceCount then reports cudaErrorInsufficientDriver (35), or cudaErrorNoDevice (100)
// on a driver without GPUs, and both mean "no GPU" here.
#include <mutex>
#include <string>
#include "common.cuh"
#include "entries.h"
#include "../backend/cuda_api.h"

namespace tf {
namespace cuda {

namespace {
struct Init {
  bool available = false;
  int devices = 0;
  std::string reason;
};

const Init& init() {
  static Init s;
  static std::once_flag once;
  std::call_once(once, [] {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice) {
      s.reason = std::string(e == cudaErrorNoDevice ? "no CUDA device" : "no CUDA driver") + " (" +
                 cudaGetErrorName(e) + " " + std::to_string(int(e)) + ": " + cudaGetErrorString(e) + ")";
      cudaGetLastError();  // the runtime keeps the last error; clear it so later checks do not see it
      return;
    }
    if (e != cudaSuccess) {
      s.reason = std::string("CUDA initialisation failed (") + cudaGetErrorName(e) + " " + std::to_string(int(e)) +
                 ": " + cudaGetErrorString(e) + ")";
      cudaGetLastError();
      return;
    }
    if (n == 0) {
      s.reason = "no CUDA device (cudaGetDeviceCount found 0)";
      return;
    }
    cudaDeviceProp prop;
    e = cudaGetDeviceProperties(&prop, 0);
    if (e != cudaSuccess) {
      s.reason = std::string("cudaGetDeviceProperties failed: ") + cudaGetErrorString(e);
      cudaGetLastError();
      return;
    }
    if (prop.major < 8) {  // the fatbin holds sm_80, sm_90a and compute_90 PTX: older GPUs cannot run it
      s.reason = std::string("GPU '") + prop.name + "' has compute capability " + std::to_string(prop.major) + "." +
                 std::to_string(prop.minor) + "; this build needs 8.0 or newer";
      return;
    }
    s.available = true;
    s.devices = n;
    s.reason = std::string(prop.name) + " (compute capability " + std::to_string(prop.major) + "." +
               std::to_string(prop.minor) + ", " + std::to_string(prop.totalGlobalMem >> 20) + " MiB)";
  });
  return s;
}
}  // namespace

void require_available() {
  const Init& s = init();
  if (!s.available) fail(ErrorCode::Device, "CUDA is not available: ", s.reason);
}

void fail_cuda(cudaError_t e, const char* what) {
  cudaGetLastError();  // clear a non-sticky error so the next call starts clean
  if (e == cudaErrorMemoryAllocation)
    fail(ErrorCode::OutOfMemory, what, ": CUDA out of memory (", cudaGetErrorString(e), ")");
  fail(ErrorCode::Internal, what, ": CUDA error ", cudaGetErrorName(e), " (", int(e), "): ", cudaGetErrorString(e));
}

}  // namespace cuda

CudaStatus cuda_status() {
  const cuda::Init& s = cuda::init();
  return {true, s.available, s.reason, s.devices};
}

void cuda_synchronize() {
  if (!cuda::init().available) return;
  cuda::check(cudaStreamSynchronize(cuda::stream()), "synchronize");
}

}  // namespace tf
