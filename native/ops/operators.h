// Arithmetic operators over engine ops, so backward formulas read like the math. Scalars take the tensor's
// dtype (a literal never promotes a float32 tensor to float64). Only for use inside op implementations.
#pragma once
#include "ops.h"

namespace tf {

inline Tensor sc(double v, const Tensor& like) { return scalar_tensor(v, like.dtype()); }
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, sc(s, a)); }
inline Tensor operator+(double s, const Tensor& a) { return add(sc(s, a), a); }
inline Tensor operator-(const Tensor& a, double s) { return sub(a, sc(s, a)); }
inline Tensor operator-(double s, const Tensor& a) { return sub(sc(s, a), a); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, sc(s, a)); }
inline Tensor operator*(double s, const Tensor& a) { return mul(sc(s, a), a); }
inline Tensor operator/(const Tensor& a, double s) { return div(a, sc(s, a)); }
inline Tensor gt0(const Tensor& x) { return compare(B_GT, x, sc(0, x)); }
// where(mask, g, 0) — the masked gradient idiom
inline Tensor mask_grad(const Tensor& mask, const Tensor& g) { return where(mask, g, sc(0, g)); }
// Gradient for an input of another shape/dtype (broadcasting, type promotion).
inline Tensor reduce_grad(const Tensor& g, const Shape& shape, DType dt) {
  Tensor r = sum_to(g, shape);
  return r.dtype() == dt ? r : to_dtype(r, dt);
}

}  // namespace tf
