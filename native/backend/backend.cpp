#include "backend.h"
#include "../core/context.h"
#include "../core/error.h"
#include "../cpu/dispatch.h"
#include "../cpu/host_backend.h"
#include "cuda_api.h"
#ifdef TF_CUDA
#include "../cuda/entries.h"
#endif

namespace tf {

namespace {
// Both host backends share the host entries (cpu/host_backend.h): those call the current backend's rows, threaded
// or not, so the two differ only in the rows, the threading and the fast paths.
constexpr Backend host_backend(Device d, const char* name, const cpu::KernelTable& (*rows)(), bool threaded,
                               bool fast_paths) {
  return Backend{d, name, rows, threaded, fast_paths,
                 &host::unary, &host::binary, &host::where, &host::isfinite, &host::copy,
                 &host::reduce, &host::cumsum, &host::matmul, &host::softmax, &host::fft, &host::cholesky, &host::trisolve,
                 &host::rand_uniform, &host::rand_normal, &host::rand_int, &host::combine,
                 &host::fill, &host::sequence,
                 &host::bernoulli, &host::binomial, &host::poisson, &host::multinomial, &host::count_step,
                 &host::conv2d, &host::conv2d_input_grad, &host::conv2d_weight_grad,
                 &host::group_norm, &host::group_norm_backward, &host::group_norm_tangent,
                 &host::attention, &host::attention_backward,
                 &host::gather, &host::scatter_add, &host::index_select, &host::index_add,
                 &host::adam, &host::sgd,
                 &host::quantize, &host::dequantize, &host::requantize, &host::fake_quantize, &host::int8_range,
                 &host::int8_layout, &host::int8_peak, &host::int8_packed_bytes, &host::int8_pack, &host::int8_linear,
                 &host::int8_conv2d};
}
const Backend kCpu = host_backend(Device::CPU, "cpu", &cpu::kernels, true, true);
const Backend kRef = host_backend(Device::REF, "ref", &cpu::reference_kernels, false, false);

#ifdef TF_CUDA
// An entry the CUDA backend does not have yet: TF_DEVICE naming the op and the device, never a host kernel on
// device memory. A captureless generic lambda converts to the entry's exact function-pointer type.
#define TF_CUDA_MISSING(field, R)                                                                             \
  b.field = [](auto...) -> R {                                                                                \
    fail(ErrorCode::Device, #field " is not implemented on device 'cuda' yet (native/cuda/README.md lists what " \
         "is); move the tensors to the CPU with .cpu() for this op");                                         \
  }
Backend cuda_backend() {
  Backend b{};
  b.device = Device::CUDA;
  b.name = "cuda";
  b.kernels = &cpu::reference_kernels;  // never called: no CUDA entry runs host rows
  b.threaded = false;
  b.fast_paths = true;
  b.unary = &cuda::unary;
  b.binary = &cuda::binary;
  b.where = &cuda::where;
  b.isfinite = &cuda::isfinite;
  b.copy = &cuda::copy;
  b.reduce = &cuda::reduce;
  b.cumsum = &cuda::cumsum;
  b.matmul = &cuda::matmul;
  b.softmax = &cuda::softmax;
  b.rand_uniform = &cuda::rand_uniform;
  b.rand_normal = &cuda::rand_normal;
  b.rand_int = &cuda::rand_int;
  b.combine = &cuda::combine;
  b.fill = &cuda::fill;
  b.sequence = &cuda::sequence;
  b.bernoulli = &cuda::bernoulli;
  b.binomial = &cuda::binomial;
  b.poisson = &cuda::poisson;
  b.multinomial = &cuda::multinomial;
  b.count_step = &cuda::count_step;
  b.gather = &cuda::gather;
  b.scatter_add = &cuda::scatter_add;
  b.index_select = &cuda::index_select;
  b.index_add = &cuda::index_add;
  b.adam = &cuda::adam;
  b.sgd = &cuda::sgd;
  TF_CUDA_MISSING(fft, bool);
  TF_CUDA_MISSING(cholesky, bool);
  TF_CUDA_MISSING(trisolve, bool);
  TF_CUDA_MISSING(conv2d, bool);
  TF_CUDA_MISSING(conv2d_input_grad, bool);
  TF_CUDA_MISSING(conv2d_weight_grad, bool);
  TF_CUDA_MISSING(group_norm, bool);
  TF_CUDA_MISSING(group_norm_backward, bool);
  TF_CUDA_MISSING(group_norm_tangent, bool);
  TF_CUDA_MISSING(attention, bool);
  TF_CUDA_MISSING(attention_backward, bool);
  TF_CUDA_MISSING(quantize, bool);
  TF_CUDA_MISSING(dequantize, bool);
  TF_CUDA_MISSING(requantize, bool);
  TF_CUDA_MISSING(fake_quantize, bool);
  TF_CUDA_MISSING(int8_range, bool);
  TF_CUDA_MISSING(int8_layout, const char*);
  TF_CUDA_MISSING(int8_peak, double);
  TF_CUDA_MISSING(int8_packed_bytes, int64_t);
  TF_CUDA_MISSING(int8_pack, void);
  TF_CUDA_MISSING(int8_linear, bool);
  TF_CUDA_MISSING(int8_conv2d, bool);
  return b;
}
#undef TF_CUDA_MISSING
const Backend kCuda = cuda_backend();
// CUDA storage comes from the device's caching allocator; registered at load (allocating still needs a GPU).
[[maybe_unused]] const bool kCudaMemory = (register_allocator(Device::CUDA, cuda::allocator()), true);
const char* const kDevices[] = {"cpu", "ref", "cuda"};
#else
const char* const kDevices[] = {"cpu", "ref"};
#endif
}  // namespace

const Backend& backend(Device d) {
  switch (d) {
    case Device::CPU: return kCpu;
    case Device::REF: return kRef;
    case Device::CUDA:
#ifdef TF_CUDA
      cuda::require_available();  // TF_DEVICE with the reason (no driver, no GPU)
      return kCuda;
#else
      fail(ErrorCode::Device, "CUDA is not available: ", cuda_status().reason);
#endif
  }
  fail(ErrorCode::Device, "device '", device_name(d), "' is not available in this build");
}

const Backend& current_backend() {
  Device d = ctx().device;
  return d == Device::CPU ? kCpu : backend(d);
}

const cpu::KernelTable& backend_kernels() {
  return ctx().device == Device::CPU ? cpu::kernels() : current_backend().kernels();
}

const char* const* available_devices(int* n) {
  *n = int(sizeof(kDevices) / sizeof(kDevices[0]));
#ifdef TF_CUDA
  if (!cuda_status().available) *n -= 1;  // built with CUDA, but no GPU here: cuda is not a device to run on
#endif
  return kDevices;
}

}  // namespace tf
