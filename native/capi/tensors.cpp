// The C API's version, error, context, settings and tensor functions (include/tensorfield.h).
#include <cstring>
#include "call.h"
#include "handles.h"
#include "../cpu/dispatch.h"
#include "../cpu/threadpool.h"
#include "../ops/ops.h"

#ifndef TF_PACKAGE_VERSION
#define TF_PACKAGE_VERSION "0.0.0"
#endif

using namespace tfc;

namespace tfc {
const char* last_error();
}

struct tf_context {
  tf::Context c;
};

namespace {
void copy_string(const std::string& s, char* buf, size_t cap, const char* what) {
  need(buf, what);
  TF_CHECK(cap > s.size(), InvalidArgument, what, ": needs ", s.size() + 1, " bytes, got ", cap);
  std::memcpy(buf, s.c_str(), s.size() + 1);
}
}  // namespace

extern "C" {

TF_API int tf_api_version(void) { return TF_API_VERSION; }
TF_API const char* tf_version(void) { return TF_PACKAGE_VERSION; }
TF_API const char* tf_last_error(void) { return last_error(); }
TF_API const char* tf_status_name(tf_status s) {
  switch (s) {
    case TF_OK: return "TF_OK";
    case TF_NULL_POINTER: return "TF_NULL_POINTER";
    case TF_SHAPE_MISMATCH: return tf::error_code_name(tf::ErrorCode::ShapeMismatch);
    case TF_DTYPE: return tf::error_code_name(tf::ErrorCode::DType);
    case TF_DIM_OUT_OF_RANGE: return tf::error_code_name(tf::ErrorCode::DimOutOfRange);
    case TF_DISPOSED: return tf::error_code_name(tf::ErrorCode::Disposed);
    case TF_INVALID_ARGUMENT: return tf::error_code_name(tf::ErrorCode::InvalidArgument);
    case TF_INVALID_SIZE: return tf::error_code_name(tf::ErrorCode::InvalidSize);
    case TF_OUT_OF_MEMORY: return tf::error_code_name(tf::ErrorCode::OutOfMemory);
    case TF_DEVICE: return tf::error_code_name(tf::ErrorCode::Device);
    case TF_AUTOGRAD: return tf::error_code_name(tf::ErrorCode::Autograd);
    case TF_INDEX_OUT_OF_RANGE: return tf::error_code_name(tf::ErrorCode::IndexOutOfRange);
    case TF_INPLACE: return tf::error_code_name(tf::ErrorCode::InPlace);
    case TF_NOT_IMPLEMENTED: return tf::error_code_name(tf::ErrorCode::NotImplemented);
    case TF_INTERNAL: return tf::error_code_name(tf::ErrorCode::Internal);
    case TF_BAD_FILE: return tf::error_code_name(tf::ErrorCode::BadFile);
    case TF_IO: return tf::error_code_name(tf::ErrorCode::Io);
  }
  return "TF_UNKNOWN";
}

// ---- contexts ----
TF_API tf_status tf_context_create(tf_context** out) {
  return call("tf_context_create", [&] { *need(out, "out") = new tf_context(); });
}
TF_API void tf_context_destroy(tf_context* ctx) { delete ctx; }
TF_API tf_status tf_context_make_current(tf_context* ctx) {
  return call("tf_context_make_current", [&] { tf::set_current_context(ctx ? &ctx->c : nullptr); });
}

// ---- settings ----
TF_API tf_status tf_set_num_threads(int n) {
  return call("tf_set_num_threads", [&] {
    TF_CHECK(n >= 1 && n <= 1024, InvalidArgument, "n must be in [1, 1024], got ", n);
    tf::set_num_threads(n);
  });
}
TF_API tf_status tf_memory_bytes(int64_t* live_bytes, int64_t* peak_bytes) {
  return call("tf_memory_bytes", [&] {
    tf::MemoryStats s = tf::memory_stats();
    if (live_bytes) *live_bytes = s.bytes;
    if (peak_bytes) *peak_bytes = s.peak_bytes;
  });
}
TF_API tf_status tf_reset_peak_bytes(int64_t* closed_peak) {
  return call("tf_reset_peak_bytes", [&] {
    int64_t p = tf::reset_peak_bytes();
    if (closed_peak) *closed_peak = p;
  });
}
TF_API int tf_get_num_threads(void) { return tf::num_threads(); }
TF_API tf_status tf_set_matmul_precision(tf_matmul_precision precision) {
  return call("tf_set_matmul_precision", [&] {
    TF_CHECK(precision == TF_MATMUL_FP32 || precision == TF_MATMUL_BF16 || precision == TF_MATMUL_TF32, InvalidArgument,
             "precision must be TF_MATMUL_FP32, TF_MATMUL_BF16 or TF_MATMUL_TF32, got ", int(precision));
    tf::cpu::set_matmul_precision(precision == TF_MATMUL_BF16   ? tf::cpu::MatmulPrecision::BF16
                                  : precision == TF_MATMUL_TF32 ? tf::cpu::MatmulPrecision::TF32
                                                                : tf::cpu::MatmulPrecision::FP32);
  });
}
TF_API tf_matmul_precision tf_get_matmul_precision(void) {
  switch (tf::cpu::matmul_precision()) {
    case tf::cpu::MatmulPrecision::BF16: return TF_MATMUL_BF16;
    case tf::cpu::MatmulPrecision::TF32: return TF_MATMUL_TF32;
    default: return TF_MATMUL_FP32;
  }
}
TF_API tf_status tf_isa(char* buf, size_t cap) {
  return call("tf_isa", [&] { copy_string(tf::cpu::current_isa(), buf, cap, "buf"); });
}

// ---- tensors ----
TF_API tf_status tf_tensor_from_data(const void* data, tf_dtype dtype, const int64_t* shape, int ndim, tf_tensor** out) {
  return call("tf_tensor_from_data", [&] {
    need(out, "out");
    tf::Shape s = shape_arg(shape, ndim, "shape");
    tf::DType dt = dtype_arg(dtype);
    int64_t n = 1;
    for (int64_t d : s) {
      TF_CHECK(d >= 0, InvalidSize, "invalid size ", tf::shape_str(s), ": sizes must be >= 0");
      TF_CHECK(d == 0 || n <= INT64_MAX / d, InvalidSize, "invalid size ", tf::shape_str(s), ": element count overflows");
      n *= d;
    }
    size_t nbytes = size_t(n) * tf::dtype_size(dt);
    if (nbytes > 0) need(data, "data");
    give(out, tf::from_buffer(data, nbytes, dt, s, dt));
  });
}
TF_API tf_status tf_zeros(const int64_t* shape, int ndim, tf_dtype dtype, tf_tensor** out) {
  return call("tf_zeros", [&] { give(out, tf::zeros(shape_arg(shape, ndim, "shape"), dtype_arg(dtype))); });
}
TF_API tf_status tf_full(const int64_t* shape, int ndim, double value, tf_dtype dtype, tf_tensor** out) {
  return call("tf_full", [&] { give(out, tf::full(shape_arg(shape, ndim, "shape"), value, dtype_arg(dtype))); });
}
TF_API tf_status tf_rand(const int64_t* shape, int ndim, tf_dtype dtype, tf_tensor** out) {
  return call("tf_rand", [&] { give(out, tf::rand(shape_arg(shape, ndim, "shape"), dtype_arg(dtype))); });
}
TF_API tf_status tf_randn(const int64_t* shape, int ndim, tf_dtype dtype, tf_tensor** out) {
  return call("tf_randn", [&] { give(out, tf::randn(shape_arg(shape, ndim, "shape"), dtype_arg(dtype))); });
}

TF_API tf_status tf_tensor_retain(tf_tensor* t) {
  return call("tf_tensor_retain", [&] { retain(need(t, "t")); });
}
TF_API tf_status tf_tensor_release(tf_tensor* t) {
  return call("tf_tensor_release", [&] { if (t) release(t); });
}

TF_API tf_status tf_tensor_ndim(const tf_tensor* t, int* out) {
  return call("tf_tensor_ndim", [&] {
    need(out, "out");
    *out = int(tensor_arg(t, "t").dim());
  });
}
static void copy_dims(const tf::Shape& s, int64_t* dst, int cap) {
  need(dst, "shape");
  TF_CHECK(cap >= int(s.size()), InvalidArgument, "cap ", cap, " is smaller than ndim ", s.size());
  for (size_t i = 0; i < s.size(); ++i) dst[i] = s[i];
}
TF_API tf_status tf_tensor_shape(const tf_tensor* t, int64_t* shape, int cap) {
  return call("tf_tensor_shape", [&] { copy_dims(tensor_arg(t, "t").shape(), shape, cap); });
}
TF_API tf_status tf_tensor_strides(const tf_tensor* t, int64_t* strides, int cap) {
  return call("tf_tensor_strides", [&] { copy_dims(tensor_arg(t, "t").strides(), strides, cap); });
}
TF_API tf_status tf_tensor_dtype(const tf_tensor* t, tf_dtype* out) {
  return call("tf_tensor_dtype", [&] {
    need(out, "out");
    *out = dtype_out(tensor_arg(t, "t").dtype());
  });
}
TF_API tf_status tf_tensor_numel(const tf_tensor* t, int64_t* out) {
  return call("tf_tensor_numel", [&] {
    need(out, "out");
    *out = tensor_arg(t, "t").numel();
  });
}
TF_API tf_status tf_tensor_data(const tf_tensor* t, void** out) {
  return call("tf_tensor_data", [&] {
    need(out, "out");
    tf::Tensor x = tensor_arg(t, "t");
    TF_CHECK(x.device() == tf::Device::CPU || x.device() == tf::Device::REF, Device,
             "the data of a tensor on ", tf::device_name(x.device()), " is not in host memory");
    *out = x.raw_ptr();
  });
}
TF_API tf_status tf_tensor_copy_to(const tf_tensor* t, void* dst, size_t nbytes) {
  return call("tf_tensor_copy_to", [&] {
    tf::Tensor x = tensor_arg(t, "t");
    size_t want = size_t(x.numel()) * tf::dtype_size(x.dtype());
    TF_CHECK(nbytes == want, InvalidArgument, "nbytes is ", nbytes, " but the tensor ", tf::shape_str(x.shape()), " ",
             tf::dtype_name(x.dtype()), " holds ", want);
    if (want == 0) return;
    need(dst, "dst");
    tf::Tensor c = tf::contiguous(tf::to_device(tf::detach_op(x), tf::Device::CPU));
    std::memcpy(dst, c.raw_ptr(), want);
  });
}
TF_API tf_status tf_tensor_item(const tf_tensor* t, double* out) {
  return call("tf_tensor_item", [&] {
    need(out, "out");
    tf::Tensor x = tensor_arg(t, "t");
    TF_CHECK(x.numel() == 1, ShapeMismatch, "item needs a tensor with exactly one element, this one has shape ",
             tf::shape_str(x.shape()));
    tf::Tensor c = tf::to_device(tf::detach_op(x), tf::Device::CPU);
    TF_DISPATCH_ALL(c.dtype(), T, *out = double(*c.data_ptr<T>()));
  });
}

}  // extern "C"
