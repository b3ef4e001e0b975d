#include "call.h"
#include "handles.h"

namespace tfc {

namespace {
thread_local std::string t_error;
}

void set_error(const char* fn, const std::string& msg) { t_error = std::string(fn) + ": " + msg; }
void clear_error() { t_error.clear(); }
const char* last_error() { return t_error.c_str(); }

tf_status status_of(tf::ErrorCode c) {
  switch (c) {
    case tf::ErrorCode::ShapeMismatch: return TF_SHAPE_MISMATCH;
    case tf::ErrorCode::DType: return TF_DTYPE;
    case tf::ErrorCode::DimOutOfRange: return TF_DIM_OUT_OF_RANGE;
    case tf::ErrorCode::Disposed: return TF_DISPOSED;
    case tf::ErrorCode::InvalidArgument: return TF_INVALID_ARGUMENT;
    case tf::ErrorCode::InvalidSize: return TF_INVALID_SIZE;
    case tf::ErrorCode::OutOfMemory: return TF_OUT_OF_MEMORY;
    case tf::ErrorCode::Device: return TF_DEVICE;
    case tf::ErrorCode::Autograd: return TF_AUTOGRAD;
    case tf::ErrorCode::IndexOutOfRange: return TF_INDEX_OUT_OF_RANGE;
    case tf::ErrorCode::InPlace: return TF_INPLACE;
    case tf::ErrorCode::NotImplemented: return TF_NOT_IMPLEMENTED;
    case tf::ErrorCode::Internal: return TF_INTERNAL;
    case tf::ErrorCode::BadFile: return TF_BAD_FILE;
    case tf::ErrorCode::Io: return TF_IO;
  }
  return TF_INTERNAL;
}

tf::Tensor tensor_arg(const tf_tensor* h, const char* what) {
  tf::Tensor t = lookup(need(h, what), what);
  tf::note_call_device(t.device());
  return t;
}

tf::Shape shape_arg(const int64_t* shape, int ndim, const char* what) {
  TF_CHECK(ndim >= 0 && ndim <= tf::kMaxDims, InvalidArgument, what, ": ndim must be in [0, ", tf::kMaxDims, "], got ", ndim);
  if (ndim > 0) need(shape, what);
  return tf::Shape(shape, shape + ndim);
}

std::vector<int64_t> dims_arg(const int64_t* dims, int n, const char* what) {
  TF_CHECK(n >= 0 && n <= tf::kMaxDims, InvalidArgument, what, ": the count must be in [0, ", tf::kMaxDims, "], got ", n);
  if (n > 0) need(dims, what);
  return std::vector<int64_t>(dims, dims + n);
}

tf::DType dtype_arg(int dtype) {
  switch (dtype) {
    case TF_FLOAT32: return tf::DType::F32;
    case TF_FLOAT64: return tf::DType::F64;
    case TF_INT32: return tf::DType::I32;
    case TF_INT8: return tf::DType::I8;
    case TF_UINT8: return tf::DType::U8;
  }
  tf::fail(tf::ErrorCode::DType, "unknown dtype ", dtype, " (use a tf_dtype value)");
}

tf_dtype dtype_out(tf::DType d) {
  switch (d) {
    case tf::DType::F32: return TF_FLOAT32;
    case tf::DType::F64: return TF_FLOAT64;
    case tf::DType::I32: return TF_INT32;
    case tf::DType::I8: return TF_INT8;
    case tf::DType::U8: return TF_UINT8;
  }
  return TF_FLOAT32;
}

void give(tf_tensor** out, tf::Tensor t) { *need(out, "out") = new_handle(std::move(t)); }

}  // namespace tfc
