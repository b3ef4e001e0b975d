// Element types. float64 exists on the CPU so gradients can be checked in double precision.
#pragma once
#include <cstdint>
#include <cstddef>

namespace tf {

enum class DType : uint8_t { F32 = 0, F64 = 1, I32 = 2, I8 = 3, U8 = 4 };
constexpr int kNumDTypes = 5;

inline size_t dtype_size(DType d) {
  switch (d) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::I32: return 4;
    case DType::I8: return 1;
    case DType::U8: return 1;
  }
  return 0;
}
inline bool is_floating(DType d) { return d == DType::F32 || d == DType::F64; }
const char* dtype_name(DType d);
bool parse_dtype(const char* s, DType* out);

// Result dtype of mixing two operands (NumPy/PyTorch style, without 64-bit ints):
// any float wins (the wider float), otherwise int32 unless both are the same small int.
DType promote(DType a, DType b);

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::F32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::F64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = DType::I32; };
template <> struct dtype_of<int8_t> { static constexpr DType value = DType::I8; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = DType::U8; };

// Runs a body with `T` bound to the C++ type of a runtime dtype.
#define TF_DISPATCH_ALL(DT, T, ...)                                   \
  switch (DT) {                                                       \
    case ::tf::DType::F32: { using T = float; __VA_ARGS__; } break;   \
    case ::tf::DType::F64: { using T = double; __VA_ARGS__; } break;  \
    case ::tf::DType::I32: { using T = int32_t; __VA_ARGS__; } break; \
    case ::tf::DType::I8: { using T = int8_t; __VA_ARGS__; } break;   \
    case ::tf::DType::U8: { using T = uint8_t; __VA_ARGS__; } break;  \
  }

#define TF_DISPATCH_FLOAT(DT, T, ...)                                \
  switch (DT) {                                                      \
    case ::tf::DType::F32: { using T = float; __VA_ARGS__; } break;  \
    case ::tf::DType::F64: { using T = double; __VA_ARGS__; } break; \
    default: break;                                                  \
  }

// cpu: the CPU backend (the CPUID-chosen kernels, the thread pool, every fast path). ref: the test device that
// proves the device axis: host memory like cpu, but every kernel the scalar reference, single-threaded, and no
// algorithm beyond the reference's (backend/backend.h). cuda: GPU memory and kernels, in the CUDA build only
// (native/cuda).
enum class Device : uint8_t { CPU = 0, CUDA = 1, REF = 2 };
// Host devices keep tensors in host memory (readable by the front doors in place).
inline bool is_host(Device d) { return d != Device::CUDA; }
const char* device_name(Device d);
bool parse_device(const char* s, Device* out);

}  // namespace tf
