#include "dtype.h"
#include "error.h"
#include <cstring>

namespace tf {

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "float32";
    case DType::F64: return "float64";
    case DType::I32: return "int32";
    case DType::I8: return "int8";
    case DType::U8: return "uint8";
  }
  return "?";
}

bool parse_dtype(const char* s, DType* out) {
  struct { const char* n; DType d; } names[] = {
      {"float32", DType::F32}, {"float64", DType::F64}, {"int32", DType::I32},
      {"int8", DType::I8},     {"uint8", DType::U8},    {"float", DType::F32},
      {"double", DType::F64},  {"int", DType::I32}};
  for (auto& n : names)
    if (std::strcmp(n.n, s) == 0) { *out = n.d; return true; }
  return false;
}

DType promote(DType a, DType b) {
  if (a == b) return a;
  if (a == DType::F64 || b == DType::F64) return DType::F64;
  if (a == DType::F32 || b == DType::F32) return DType::F32;
  return DType::I32;
}

const char* device_name(Device d) {
  switch (d) {
    case Device::CPU: return "cpu";
    case Device::CUDA: return "cuda";
    case Device::REF: return "ref";
  }
  return "?";
}
bool parse_device(const char* s, Device* out) {
  for (Device d : {Device::CPU, Device::CUDA, Device::REF})
    if (std::strcmp(s, device_name(d)) == 0) { *out = d; return true; }
  return false;
}

const char* error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::ShapeMismatch: return "TF_SHAPE_MISMATCH";
    case ErrorCode::DType: return "TF_DTYPE";
    case ErrorCode::DimOutOfRange: return "TF_DIM_OUT_OF_RANGE";
    case ErrorCode::Disposed: return "TF_DISPOSED";
    case ErrorCode::InvalidArgument: return "TF_INVALID_ARGUMENT";
    case ErrorCode::InvalidSize: return "TF_INVALID_SIZE";
    case ErrorCode::OutOfMemory: return "TF_OUT_OF_MEMORY";
    case ErrorCode::Device: return "TF_DEVICE";
    case ErrorCode::Autograd: return "TF_AUTOGRAD";
    case ErrorCode::IndexOutOfRange: return "TF_INDEX_OUT_OF_RANGE";
    case ErrorCode::InPlace: return "TF_INPLACE";
    case ErrorCode::NotImplemented: return "TF_NOT_IMPLEMENTED";
    case ErrorCode::Internal: return "TF_INTERNAL";
    case ErrorCode::BadFile: return "TF_BAD_FILE";
    case ErrorCode::Io: return "TF_IO";
  }
  return "TF_INTERNAL";
}

}  // namespace tf
