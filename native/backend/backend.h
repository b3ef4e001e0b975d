// The backends this build runs, one per device, and what each may use. The op layer does checks and autograd,
// then runs on the backend of the current call's device (core/context.h: the device of the call's tensors).
//
// Where this stands: 'cpu' and 'ref' are host backends. They share memory (host) and the op layer's strided
// loops, and differ in what those loops call: 'cpu' has the CPUID-chosen kernel rows, the thread pool and every
// special path (Winograd, fused epilogues); 'ref' has the scalar reference rows, one thread, and the plain
// algorithms only, so the whole conformance suite can run on it against 'cpu'. A device whose kernels cannot be
// called row by row from host loops (CUDA) needs the next step: backend entries that take whole strided tensors.
#pragma once
#include "../core/dtype.h"
#include "../cpu/kernels.h"

namespace tf {

struct Backend {
  Device device;
  const char* name;
  const cpu::KernelTable& (*kernels)();  // the rows the host loops call
  bool threaded;                         // may split work over the thread pool
  bool fast_paths;                       // may choose algorithms beyond the reference's (Winograd)
};

// TF_DEVICE when this build has no backend for d.
const Backend& backend(Device d);
// The backend of the current call's device.
const Backend& current_backend();
// current_backend().kernels(): what the op layer calls.
const cpu::KernelTable& backend_kernels();
// The devices this build runs, in order.
const char* const* available_devices(int* n);

}  // namespace tf
