// One C API call: runs its body as an engine call (core/context.h CallScope), turns every C++ exception into a
// tf_status plus this thread's message (tf_last_error), and clears the message on success. Argument helpers
// refuse null pointers and bad values with a message that names the function's argument.
#pragma once
#include <string>
#include <vector>
#include "../../include/tensorfield.h"
#include "../core/context.h"
#include "../core/error.h"
#include "../core/tensor.h"

namespace tfc {

// A null required pointer: TF_NULL_POINTER (the engine has no such code; only the C API can be handed one).
struct NullPointer {
  std::string what;
};

void set_error(const char* fn, const std::string& msg);
void clear_error();
tf_status status_of(tf::ErrorCode c);

template <class F>
tf_status call(const char* fn, F&& body) {
  try {
    tf::CallScope scope;
    body();
    clear_error();
    return TF_OK;
  } catch (const NullPointer& e) {
    set_error(fn, e.what + " must not be NULL");
    return TF_NULL_POINTER;
  } catch (const tf::Error& e) {
    set_error(fn, e.what());
    return status_of(e.code());
  } catch (const std::bad_alloc&) {
    set_error(fn, "out of memory");
    return TF_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    set_error(fn, std::string("internal error: ") + e.what());
    return TF_INTERNAL;
  } catch (...) {
    set_error(fn, "internal error");
    return TF_INTERNAL;
  }
}

template <class P>
P* need(P* p, const char* what) {
  if (!p) throw NullPointer{what};
  return p;
}
// The tensor behind a handle argument (noted as the call's device, as the Node front door does).
tf::Tensor tensor_arg(const tf_tensor* h, const char* what);
tf::Shape shape_arg(const int64_t* shape, int ndim, const char* what);
std::vector<int64_t> dims_arg(const int64_t* dims, int n, const char* what);
tf::DType dtype_arg(int dtype);
tf_dtype dtype_out(tf::DType d);
// Hands a new reference to *out; called last, so a call that fails never writes its output.
void give(tf_tensor** out, tf::Tensor t);

}  // namespace tfc
