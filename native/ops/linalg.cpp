// Batched Cholesky and triangular solve over the last two dims, with backward and JVP written with these same
// ops (so second order works). cholesky factors the symmetric part (A + A^T) / 2, so its gradient is symmetric and
// agrees with differences taken in any direction; triangular_solve reads only T's triangle, and only that triangle
// gets a gradient.
#include <cmath>
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {

int64_t check_square(const Tensor& a, const char* op) {
  check_float(a, op);
  TF_CHECK(a.dim() >= 2, ShapeMismatch, op, ": expected [..., n, n], got ", shape_str(a.shape()));
  int64_t n = a.shape()[a.dim() - 1];
  TF_CHECK(a.shape()[a.dim() - 2] == n, ShapeMismatch, op, ": expected square matrices, got ", shape_str(a.shape()));
  return n;
}

Tensor mT(const Tensor& x) { return transpose(x, -2, -1); }

// Masks over the last two dims, made on the current device: strictly-lower + `diag` on the diagonal (0 elsewhere),
// or the upper triangle with its diagonal when `upper`.
Tensor tri_mask(int64_t n, DType dt, bool upper, double diag) {
  GradModeGuard off(false);
  Tensor r = reshape(arange(0, double(n), 1, dt), {n, 1}), c = reshape(arange(0, double(n), 1, dt), {1, n});
  Tensor strict = to_dtype(compare(upper ? B_LT : B_GT, r, c), dt);
  Tensor eq = to_dtype(compare(B_EQ, r, c), dt);
  return strict + mul_scalar(eq, diag);
}

// Phi(X): the lower triangle with the diagonal halved
Tensor phi(const Tensor& x) { return x * tri_mask(x.shape()[x.dim() - 1], x.dtype(), false, 0.5); }

Tensor trisolve_raw(const Tensor& t, const Tensor& b, bool upper, bool transpose) {
  GradModeGuard off(false);
  Tensor tc = contiguous(t), bc = contiguous(b);
  const int64_t n = tc.shape()[tc.dim() - 1], k = bc.shape()[bc.dim() - 1];
  const int64_t batch = n == 0 ? 0 : tc.numel() / (n * n);
  Tensor x = empty(bc.shape(), bc.dtype());
  if (batch * n * k == 0) return x;
  Verdict v;
  TF_CHECK(current_backend().trisolve(x, tc, bc, batch, n, k, TriSolveParams{upper, transpose}, &v), DType,
           "triangularSolve does not support dtype ", dtype_name(tc.dtype()));
  TF_CHECK(v.code == 0, InvalidArgument, "triangularSolve: matrix ", v.at, " of the batch is singular (diagonal entry ",
           v.value, ")");
  return x;
}

// T and B with their batch dims broadcast to one shape: T [..., n, n], B [..., n, k]
std::pair<Tensor, Tensor> broadcast_batch(const Tensor& t, const Tensor& b) {
  Shape tb(t.shape().begin(), t.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(tb, bb);
  Shape ts = batch, bs = batch;
  ts.push_back(t.shape()[t.dim() - 2]); ts.push_back(t.shape()[t.dim() - 1]);
  bs.push_back(b.shape()[b.dim() - 2]); bs.push_back(b.shape()[b.dim() - 1]);
  return {expand(t, ts), expand(b, bs)};
}

}  // namespace

Tensor triangular_solve(const Tensor& t0, const Tensor& b0, bool upper, bool transpose) {
  const int64_t n = check_square(t0, "triangularSolve");
  check_float(b0, "triangularSolve");
  TF_CHECK(b0.dim() >= 2 && b0.shape()[b0.dim() - 2] == n, ShapeMismatch, "triangularSolve: B must be [..., ", n,
           ", k] for T of shape ", shape_str(t0.shape()), ", got ", shape_str(b0.shape()));
  TF_CHECK(b0.dtype() == t0.dtype(), DType, "triangularSolve: T and B must share a dtype, got ", dtype_name(t0.dtype()),
           " and ", dtype_name(b0.dtype()));
  check_same_device(t0, b0, "triangularSolve");
  auto [t, b] = broadcast_batch(t0, b0);
  Tensor x = trisolve_raw(t, b, upper, transpose);
  if (compute_requires_grad({&t0, &b0})) {
    const Shape st = t0.shape(), sb = b0.shape();
    auto node = make_node("TriangularSolveBackward", {t0, b0}, [upper, transpose, st, sb](FnNode& nd, const TensorList& g) -> TensorList {
      // X = A^-1 B with A = op(T): gB = A^-T gX, gA = -gB X^T, and T's gradient is op^T(gA) on its triangle
      Tensor tt = nd.saved(0), xs = nd.saved(1);
      Tensor gb = triangular_solve(tt, g[0], upper, !transpose);
      Tensor ga = neg(matmul(gb, mT(xs)));
      Tensor gt = (transpose ? mT(ga) : ga) * tri_mask(tt.shape()[tt.dim() - 1], ga.dtype(), upper, 1.0);
      return {sum_to(gt, st), sum_to(gb, sb)};
    });
    node->save(t);
    node->save_output(x, 0);
    set_history(x, node);
  }
  jvp_rule(x, {&t0, &b0}, [&] {
    // dX = A^-1 (dB - dA X), dA = op(dT on T's triangle)
    // (inside a rule forward AD is suspended, so a tangent's presence is read from tangent() itself)
    Tensor tb = tangent(b0), tt = tangent(t0);
    Tensor rhs = tb.defined() ? expand(tb, x.shape()) : zeros(x.shape(), x.dtype());
    if (tt.defined()) {
      Tensor dt = expand(tt, t.shape()) * tri_mask(n, x.dtype(), upper, 1.0);
      rhs = rhs - matmul(transpose ? mT(dt) : dt, x);
    }
    return triangular_solve(t, rhs, upper, transpose);
  });
  return x;
}

Tensor cholesky(const Tensor& a0, double jitter) {
  const int64_t n = check_square(a0, "cholesky");
  TF_CHECK(jitter >= 0 && std::isfinite(jitter), InvalidArgument, "cholesky: jitter must be a finite number >= 0, got ", jitter);
  Tensor as;  // the backend factors the symmetric part itself (backend.h)
  {
    GradModeGuard off(false);
    as = contiguous(detach(a0));
  }
  Tensor l = empty(as.shape(), as.dtype());
  const int64_t batch = n == 0 ? 0 : as.numel() / (n * n);
  if (batch > 0) {
    Verdict v;
    TF_CHECK(current_backend().cholesky(l, as, batch, n, jitter, &v), DType, "cholesky does not support dtype ",
             dtype_name(as.dtype()));
    TF_CHECK(v.code == 0, InvalidArgument, "cholesky: matrix ", v.at, " of the batch is not positive definite (pivot ",
             v.value, "); add jitter (a multiple of the identity) or check the matrix");
  }
  if (compute_requires_grad({&a0})) {
    auto node = make_node("CholeskyBackward", {a0}, [](FnNode& nd, const TensorList& g) -> TensorList {
      // gA = L^-T sym(Phi(L^T gL)) L^-1 (derivation: dL = L Phi(L^-1 dA L^-T))
      Tensor L = nd.saved(0);
      Tensor p = phi(matmul(mT(L), g[0]));
      Tensor gs = mul_scalar(p + mT(p), 0.5);
      Tensor left = triangular_solve(L, gs, false, true);            // L^-T gS
      return {mT(triangular_solve(L, mT(left), false, true))};        // (L^-T (L^-T gS)^T)^T = L^-T gS L^-1
    });
    node->save_output(l, 0);
    set_history(l, node);
  }
  jvp_rule(l, {&a0}, [&] {
    Tensor ta = tangent(a0);
    Tensor s = mul_scalar(ta + mT(ta), 0.5);
    Tensor m = triangular_solve(l, mT(triangular_solve(l, s, false, false)), false, false);  // L^-1 S L^-T
    return matmul(l, phi(m));
  });
  return l;
}

}  // namespace tf
