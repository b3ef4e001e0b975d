// The C API's ops: typed wrappers for the common ones, and tf_op, any op by name with attributes (the registry in
// op_registry.cpp).
#include "call.h"
#include "op_registry.h"
#include "../ops/ops.h"

using namespace tfc;

namespace {
using Binary = tf::Tensor (*)(const tf::Tensor&, const tf::Tensor&);
tf_status binary_call(const char* fn, Binary f, const tf_tensor* a, const tf_tensor* b, tf_tensor** out) {
  return call(fn, [&] {
    tf::Tensor ta = tensor_arg(a, "a");  // in order, so the first bad argument is the one named
    give(out, f(ta, tensor_arg(b, "b")));
  });
}
tf_status unary_call(const char* fn, tf::UnaryOp op, const tf_tensor* x, tf_tensor** out) {
  return call(fn, [&] { give(out, tf::unary(op, tensor_arg(x, "x"))); });
}
}  // namespace

extern "C" {

TF_API tf_status tf_add(const tf_tensor* a, const tf_tensor* b, tf_tensor** out) { return binary_call("tf_add", tf::add, a, b, out); }
TF_API tf_status tf_sub(const tf_tensor* a, const tf_tensor* b, tf_tensor** out) { return binary_call("tf_sub", tf::sub, a, b, out); }
TF_API tf_status tf_mul(const tf_tensor* a, const tf_tensor* b, tf_tensor** out) { return binary_call("tf_mul", tf::mul, a, b, out); }
TF_API tf_status tf_div(const tf_tensor* a, const tf_tensor* b, tf_tensor** out) { return binary_call("tf_div", tf::div, a, b, out); }
TF_API tf_status tf_matmul(const tf_tensor* a, const tf_tensor* b, tf_tensor** out) {
  return binary_call("tf_matmul", tf::matmul, a, b, out);
}
TF_API tf_status tf_add_scalar(const tf_tensor* a, double s, tf_tensor** out) {
  return call("tf_add_scalar", [&] { give(out, tf::add_scalar(tensor_arg(a, "a"), s)); });
}
TF_API tf_status tf_mul_scalar(const tf_tensor* a, double s, tf_tensor** out) {
  return call("tf_mul_scalar", [&] { give(out, tf::mul_scalar(tensor_arg(a, "a"), s)); });
}
TF_API tf_status tf_sum(const tf_tensor* x, const int64_t* dims, int ndims, int keepdim, tf_tensor** out) {
  return call("tf_sum", [&] { give(out, tf::sum(tensor_arg(x, "x"), dims_arg(dims, ndims, "dims"), keepdim != 0)); });
}
TF_API tf_status tf_mean(const tf_tensor* x, const int64_t* dims, int ndims, int keepdim, tf_tensor** out) {
  return call("tf_mean", [&] { give(out, tf::mean(tensor_arg(x, "x"), dims_arg(dims, ndims, "dims"), keepdim != 0)); });
}
TF_API tf_status tf_reshape(const tf_tensor* x, const int64_t* shape, int ndim, tf_tensor** out) {
  return call("tf_reshape", [&] { give(out, tf::reshape(tensor_arg(x, "x"), shape_arg(shape, ndim, "shape"))); });
}
TF_API tf_status tf_transpose(const tf_tensor* x, int64_t dim0, int64_t dim1, tf_tensor** out) {
  return call("tf_transpose", [&] { give(out, tf::transpose(tensor_arg(x, "x"), dim0, dim1)); });
}
TF_API tf_status tf_cat(const tf_tensor* const* xs, int n, int64_t dim, tf_tensor** out) {
  return call("tf_cat", [&] {
    TF_CHECK(n >= 1, InvalidArgument, "needs at least one tensor, got n = ", n);
    need(xs, "xs");
    tf::TensorList ts;
    for (int i = 0; i < n; ++i) ts.push_back(tensor_arg(xs[i], "xs[i]"));
    give(out, tf::cat(ts, dim));
  });
}
TF_API tf_status tf_silu(const tf_tensor* x, tf_tensor** out) { return unary_call("tf_silu", tf::U_SILU, x, out); }
TF_API tf_status tf_relu(const tf_tensor* x, tf_tensor** out) { return unary_call("tf_relu", tf::U_RELU, x, out); }
TF_API tf_status tf_exp(const tf_tensor* x, tf_tensor** out) { return unary_call("tf_exp", tf::U_EXP, x, out); }
TF_API tf_status tf_square(const tf_tensor* x, tf_tensor** out) { return unary_call("tf_square", tf::U_SQUARE, x, out); }

TF_API tf_status tf_op(const char* name, const tf_tensor* const* inputs, int n_inputs, const tf_attr* attrs, int n_attrs,
                       tf_tensor** out) {
  return call("tf_op", [&] {
    need(name, "name");
    need(out, "out");
    const OpEntry& op = find_op(name);
    TF_CHECK(n_inputs >= op.min_inputs && n_inputs <= op.max_inputs, InvalidArgument, "op '", name, "' takes ",
             op.min_inputs == op.max_inputs ? std::to_string(op.min_inputs)
                                            : std::to_string(op.min_inputs) + " to " + std::to_string(op.max_inputs),
             " inputs, got ", n_inputs);
    TF_CHECK(n_attrs >= 0, InvalidArgument, "n_attrs must be >= 0");
    if (n_inputs > 0) need(inputs, "inputs");
    if (n_attrs > 0) need(attrs, "attrs");
    tf::TensorList in;
    for (int i = 0; i < n_inputs; ++i) in.push_back(tensor_arg(inputs[i], "inputs[i]"));
    Attrs a(name, op, attrs, n_attrs);
    give(out, op.run(in, a));
  });
}

TF_API tf_status tf_op_names(char* buf, size_t cap, size_t* needed) {
  return call("tf_op_names", [&] {
    std::string s = op_names();
    if (needed) *needed = s.size() + 1;
    need(buf, "buf");
    TF_CHECK(cap > s.size(), InvalidArgument, "buf needs ", s.size() + 1, " bytes, got ", cap);
    std::copy(s.c_str(), s.c_str() + s.size() + 1, buf);
  });
}

}  // extern "C"
