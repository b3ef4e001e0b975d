// tensorfield.hpp: header-only C++17 wrappers over the C API (tensorfield.h). A tensorfield::Tensor owns one
// reference and releases it in its destructor; a failing call throws tensorfield::Error with the status and the
// message of tf_last_error().
#ifndef TENSORFIELD_HPP
#define TENSORFIELD_HPP

#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include "tensorfield.h"

namespace tensorfield {

class Error : public std::runtime_error {
 public:
  Error(tf_status s, const std::string& msg) : std::runtime_error(msg), status_(s) {}
  tf_status status() const { return status_; }

 private:
  tf_status status_;
};

inline void check(tf_status s) {
  if (s != TF_OK) throw Error(s, std::string(tf_status_name(s)) + ": " + tf_last_error());
}

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(tf_tensor* h) : h_(h) {}  // adopts one reference
  Tensor(const Tensor& o) : h_(o.h_) { if (h_) check(tf_tensor_retain(h_)); }
  Tensor(Tensor&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Tensor& operator=(Tensor o) noexcept {
    std::swap(h_, o.h_);
    return *this;
  }
  ~Tensor() { tf_tensor_release(h_); }

  static Tensor from(const std::vector<float>& data, std::vector<int64_t> shape) {
    tf_tensor* h = nullptr;
    check(tf_tensor_from_data(data.data(), TF_FLOAT32, shape.data(), int(shape.size()), &h));
    return Tensor(h);
  }
  static Tensor zeros(std::vector<int64_t> shape, tf_dtype dt = TF_FLOAT32) { return make(tf_zeros, shape, dt); }
  static Tensor randn(std::vector<int64_t> shape, tf_dtype dt = TF_FLOAT32) { return make(tf_randn, shape, dt); }

  tf_tensor* get() const { return h_; }
  explicit operator bool() const { return h_ != nullptr; }

  std::vector<int64_t> shape() const {
    int nd = 0;
    check(tf_tensor_ndim(h_, &nd));
    std::vector<int64_t> s(static_cast<size_t>(nd));
    check(tf_tensor_shape(h_, s.data(), nd));
    return s;
  }
  std::vector<float> to_vector() const {  // float32 tensors
    int64_t n = 0;
    check(tf_tensor_numel(h_, &n));
    std::vector<float> v(static_cast<size_t>(n));
    check(tf_tensor_copy_to(h_, v.data(), v.size() * sizeof(float)));
    return v;
  }
  double item() const {
    double v = 0;
    check(tf_tensor_item(h_, &v));
    return v;
  }
  Tensor& requires_grad(bool on = true) {
    check(tf_set_requires_grad(h_, on ? 1 : 0));
    return *this;
  }
  Tensor grad() const {
    tf_tensor* g = nullptr;
    check(tf_tensor_grad(h_, &g));
    return Tensor(g);
  }
  void backward() const { check(tf_backward(h_)); }

  Tensor matmul(const Tensor& o) const { return bin(tf_matmul, o); }
  Tensor operator+(const Tensor& o) const { return bin(tf_add, o); }
  Tensor operator-(const Tensor& o) const { return bin(tf_sub, o); }
  Tensor operator*(const Tensor& o) const { return bin(tf_mul, o); }
  Tensor operator*(double s) const {
    tf_tensor* r = nullptr;
    check(tf_mul_scalar(h_, s, &r));
    return Tensor(r);
  }
  Tensor mean() const {
    tf_tensor* r = nullptr;
    check(tf_mean(h_, nullptr, 0, 0, &r));
    return Tensor(r);
  }
  // Any op by name (tf_op).
  static Tensor op(const char* name, std::initializer_list<const Tensor*> inputs, const std::vector<tf_attr>& attrs = {}) {
    std::vector<const tf_tensor*> hs;
    for (const Tensor* t : inputs) hs.push_back(t->h_);
    tf_tensor* r = nullptr;
    check(tf_op(name, hs.data(), int(hs.size()), attrs.data(), int(attrs.size()), &r));
    return Tensor(r);
  }

 private:
  using Make = tf_status (*)(const int64_t*, int, tf_dtype, tf_tensor**);
  static Tensor make(Make f, std::vector<int64_t>& shape, tf_dtype dt) {
    tf_tensor* h = nullptr;
    check(f(shape.data(), int(shape.size()), dt, &h));
    return Tensor(h);
  }
  using Bin = tf_status (*)(const tf_tensor*, const tf_tensor*, tf_tensor**);
  Tensor bin(Bin f, const Tensor& o) const {
    tf_tensor* r = nullptr;
    check(f(h_, o.h_, &r));
    return Tensor(r);
  }
  tf_tensor* h_ = nullptr;
};

// Turns recording off for a scope (tf_set_grad_enabled), restoring the previous mode after.
class NoGrad {
 public:
  NoGrad() { check(tf_set_grad_enabled(0, &prev_)); }
  ~NoGrad() { tf_set_grad_enabled(prev_, nullptr); }
  NoGrad(const NoGrad&) = delete;
  NoGrad& operator=(const NoGrad&) = delete;

 private:
  int prev_ = 1;
};

inline tf_attr number_attr(const char* name, double v) { return tf_attr{name, TF_ATTR_NUMBER, v, nullptr, 0}; }

}  // namespace tensorfield

#endif  // TENSORFIELD_HPP
