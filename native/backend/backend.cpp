#include "backend.h"
#include "../core/context.h"
#include "../core/error.h"
#include "../cpu/dispatch.h"
#include "../cpu/host_backend.h"

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
                 &host::int8_layout, &host::int8_packed_bytes, &host::int8_pack, &host::int8_linear,
                 &host::int8_conv2d};
}
const Backend kCpu = host_backend(Device::CPU, "cpu", &cpu::kernels, true, true);
const Backend kRef = host_backend(Device::REF, "ref", &cpu::reference_kernels, false, false);
const char* const kDevices[] = {"cpu", "ref"};
}  // namespace

const Backend& backend(Device d) {
  switch (d) {
    case Device::CPU: return kCpu;
    case Device::REF: return kRef;
    case Device::CUDA: break;
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
  return kDevices;
}

}  // namespace tf
