// Engine errors carry a stable code so JS callers can branch on err.code, not on message text.
#pragma once
#include <stdexcept>
#include <string>
#include <sstream>

namespace tf {

enum class ErrorCode {
  ShapeMismatch,    // TF_SHAPE_MISMATCH
  DType,            // TF_DTYPE
  DimOutOfRange,    // TF_DIM_OUT_OF_RANGE
  Disposed,         // TF_DISPOSED
  InvalidArgument,  // TF_INVALID_ARGUMENT
  InvalidSize,      // TF_INVALID_SIZE
  OutOfMemory,      // TF_OUT_OF_MEMORY
  Device,           // TF_DEVICE
  Autograd,         // TF_AUTOGRAD
  IndexOutOfRange,  // TF_INDEX_OUT_OF_RANGE
  InPlace,          // TF_INPLACE
  NotImplemented,   // TF_NOT_IMPLEMENTED
  Internal,         // TF_INTERNAL
  BadFile,          // TF_BAD_FILE: a file that is corrupt, truncated or not of the expected format
  Io,               // TF_IO: the operating system refused a file operation
};

const char* error_code_name(ErrorCode c);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& msg) : std::runtime_error(msg), code_(code) {}
  ErrorCode code() const { return code_; }
 private:
  ErrorCode code_;
};

namespace detail {
inline void cat_args(std::ostringstream&) {}
template <class A, class... R>
void cat_args(std::ostringstream& os, const A& a, const R&... r) { os << a; cat_args(os, r...); }
}  // namespace detail

template <class... A>
[[noreturn]] void fail(ErrorCode code, const A&... a) {
  std::ostringstream os;
  detail::cat_args(os, a...);
  throw Error(code, os.str());
}

#define TF_CHECK(cond, code, ...) \
  do { if (!(cond)) ::tf::fail(::tf::ErrorCode::code, __VA_ARGS__); } while (0)

}  // namespace tf
