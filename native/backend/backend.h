// The backends this build runs, one per device, and what each may use. The op layer does checks and autograd,
// then runs on the backend of the current call's device (core/context.h: the device of the call's tensors).
//
// Where this stands: 'cpu' and 'ref' are host backends (host memory; they share the host implementations in
// cpu/host_*.cpp). 'cpu' runs the CPUID-chosen kernel rows, the thread pool and every special path (Winograd);
// 'ref' the scalar reference rows, one thread, the plain algorithms only, so the conformance suite runs on it
// against 'cpu'. The elementwise family (unary, binary, where, isfinite, copy/cast), reductions, scans, matmul,
// softmax, the counter-based random fills and the fused steps' pass are whole-tensor entries below: the op layer
// checks and records autograd, then calls one entry, and a CUDA backend implements the same entries as kernels.
// The other families (conv, norms, attention, the data-dependent draws bernoulli/binomial/poisson/multinomial,
// indexing, int8) still run host loops in the op layer over the current backend's rows (`kernels`); they move
// behind entries as the CUDA backend needs them.
#pragma once
#include "../core/tensor.h"
#include "../cpu/kernels.h"

namespace tf {

struct CallKey;  // rng/draws.h: one random call's Philox key and call id

constexpr int kMaxCombineTerms = 5;  // the most terms a fused step's one pass combines

// An input as a whole-tensor entry reads it: over the output's shape, with its own element strides (0 along a
// broadcast dim), so broadcasting copies nothing.
struct Operand {
  const Tensor& t;
  const Shape& strides;
};

struct Backend {
  Device device;
  const char* name;
  const cpu::KernelTable& (*kernels)();  // host backends: the rows the op layer's loops call (families not yet
                                         // behind whole-tensor entries)
  bool threaded;                         // may split work over the thread pool
  bool fast_paths;                       // may choose algorithms beyond the reference's (Winograd)

  // Whole-tensor entries, the elementwise family. The op layer has checked shapes, dtypes and devices and made
  // `out` on this device; each returns false when the backend has no kernel for the dtypes (the op layer then
  // says TF_DTYPE). `out` may alias an operand element for element (in-place updates).
  bool (*unary)(cpu::UnaryOp op, const Tensor& out, const Tensor& x, const cpu::UnaryParams& p);
  bool (*binary)(cpu::BinaryOp op, const Tensor& out, Operand a, Operand b);  // a, b of one dtype; out that or uint8
  bool (*where)(const Tensor& out, Operand cond, Operand a, Operand b);       // cond uint8
  bool (*isfinite)(const Tensor& out, const Tensor& x);                      // out uint8
  bool (*copy)(const Tensor& out, Operand src);                              // any dtype to any dtype

  // Reductions and scans: x contiguous, viewed as [O, R, I]; reduce over R into out [O, I] (argmax/argmin write
  // int32), or scan along R into out [O, R, I]. R > 0.
  bool (*reduce)(cpu::ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
  bool (*cumsum)(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);

  // Batched matmul: out [..., M, N] contiguous = a [..., M, K] b [..., K, N], a and b already expanded to out's
  // batch dims (strides 0 where broadcast; any strides in the last two). Softmax (or log-softmax) of the
  // contiguous rows of x (the last dim) into out.
  bool (*matmul)(const Tensor& out, const Tensor& a, const Tensor& b);
  bool (*softmax)(const Tensor& out, const Tensor& x, bool log);

  // Random fills of a contiguous out, counter-based (rng/draws.h): element i depends on (key, i) alone, so every
  // backend gives the same numbers for the same generator state. Uniform [0, 1) and standard normal (float
  // dtypes); integers low + r mod range (any dtype).
  bool (*rand_uniform)(const Tensor& out, const CallKey& key);
  bool (*rand_normal)(const Tensor& out, const CallKey& key);
  bool (*rand_int)(const Tensor& out, const CallKey& key, int64_t low, uint64_t range);
  // The fused denoising steps' one pass: out = sum_k c[k] ins[k] + noise_scale * g * z, z drawn exactly as
  // rand_normal draws with `key` (ignored when noise_scale is 0); g null means 1. k in 1..5; everything
  // contiguous, of out's shape and float dtype; out may be one of ins.
  bool (*combine)(const Tensor& out, const Tensor* ins, const double* c, int k, double noise_scale, const Tensor* g,
                  const CallKey& key);
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
