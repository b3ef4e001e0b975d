// The Fourier transforms: fft_c2c, rfft, irfft along one dim, complex values as (re, im) pairs in a trailing
// dim of size 2 (so every existing op works on spectra, and a spectrum's gradient is an ordinary tensor). The
// three ops are linear, so each JVP is the op on the tangent, and their backwards are each other (the adjoints
// derived below), written with ops, so double backward comes from the same rules.
#include "ops.h"
#include "operators.h"
#include "../backend/backend.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"

namespace tf {

namespace {

// Runs one transform on x (made contiguous, no autograd) along signal dim d of `sig` signal dims (the trailing
// pair, if any, is not a signal dim), producing out_shape; n is the transform length, m the input length of C2R.
Tensor run_fft(const Tensor& x0, int64_t d, int64_t sig, const Shape& out_shape, int64_t n, int64_t m,
               const FftParams& p, const char* name) {
  GradModeGuard off(false);
  Tensor x = contiguous(x0);
  Tensor out = empty(out_shape, x.dtype());
  int64_t O = 1, I = 1;
  for (int64_t k = 0; k < d; ++k) O *= x.shape()[k];
  for (int64_t k = d + 1; k < sig; ++k) I *= x.shape()[k];
  TF_CHECK(current_backend().fft(out, x, O, n, I, m, p), DType, name, " does not support dtype ",
           dtype_name(x.dtype()));
  return out;
}

// The signal dims of a complex tensor: all but the trailing (re, im) pair, which must be there.
int64_t complex_dims(const Tensor& x, const char* name) {
  TF_CHECK(x.dim() >= 2 && x.shape().back() == 2, ShapeMismatch, name, ": a complex tensor has a trailing dim of size 2 "
           "(re, im) and at least one signal dim; got shape ", shape_str(x.shape()));
  return x.dim() - 1;
}

// Weights over the half spectrum [h] placed at dim d (and the pair dim) of a rank-`rank` tensor: `mid` for the
// bins that stand for two (k and n - k), `edge_re` / `edge_im` for the DC and, n even, Nyquist bins, which stand
// for one and whose imaginary parts a real signal does not have.
Tensor half_spectrum_weights(int64_t h, int64_t n, int64_t d, int64_t rank, DType dt, double mid, double edge_re,
                             double edge_im) {
  GradModeGuard off(false);
  Tensor w = full({h, 2}, mid, dt);
  fill_(narrow(narrow(w, 0, 0, 1), 1, 0, 1), edge_re);
  fill_(narrow(narrow(w, 0, 0, 1), 1, 1, 1), edge_im);
  if (n % 2 == 0 && n / 2 < h) {
    fill_(narrow(narrow(w, 0, n / 2, 1), 1, 0, 1), edge_re);
    fill_(narrow(narrow(w, 0, n / 2, 1), 1, 1, 1), edge_im);
  }
  Shape s(rank, 1);
  s[d] = h;
  s[rank - 1] = 2;
  return reshape(w, s);
}

}  // namespace

Tensor fft_c2c(const Tensor& x, int64_t dim, bool inverse, double scale) {
  check_float(x, "fft");
  int64_t sig = complex_dims(x, "fft");
  int64_t d = wrap_dim(dim, sig);
  int64_t n = x.shape()[d];
  TF_CHECK(n >= 1, ShapeMismatch, "fft: the transformed dim ", dim, " is empty");
  Tensor out = run_fft(x, d, sig, x.shape(), n, n, FftParams{FftParams::C2C, inverse, scale}, "fft");
  if (compute_requires_grad({&x})) {
    // the adjoint of sum_j x_j exp(-+i theta jk) is sum_k g_k exp(+-i theta jk): the opposite transform
    auto node = make_node(inverse ? "IfftBackward" : "FftBackward", {x},
                          [d, inverse, scale](FnNode&, const TensorList& g) -> TensorList {
      return {fft_c2c(g[0], d, !inverse, scale)};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] { return fft_c2c(tangent(x), d, inverse, scale); });
  return out;
}

Tensor rfft(const Tensor& x, int64_t dim, double scale) {
  check_float(x, "rfft");
  TF_CHECK(x.dim() >= 1, ShapeMismatch, "rfft: needs at least one dim, got a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim());
  int64_t n = x.shape()[d], h = n / 2 + 1;
  TF_CHECK(n >= 1, ShapeMismatch, "rfft: the transformed dim ", dim, " is empty");
  Shape os = x.shape();
  os[d] = h;
  os.push_back(2);
  Tensor out = run_fft(x, d, x.dim(), os, n, n, FftParams{FftParams::R2C, false, scale}, "rfft");
  if (compute_requires_grad({&x})) {
    // g_j = Re sum_(k < h) G_k exp(+i theta jk): the C2R of G with the bins that C2R counts twice halved
    auto node = make_node("RfftBackward", {x}, [d, n, h, scale](FnNode&, const TensorList& g) -> TensorList {
      Tensor w = half_spectrum_weights(h, n, d, g[0].dim(), g[0].dtype(), 0.5, 1.0, 1.0);
      return {irfft(g[0] * w, d, n, scale)};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] { return rfft(tangent(x), d, scale); });
  return out;
}

Tensor irfft(const Tensor& x, int64_t dim, int64_t n, double scale) {
  check_float(x, "irfft");
  int64_t sig = complex_dims(x, "irfft");
  int64_t d = wrap_dim(dim, sig);
  int64_t m = x.shape()[d];
  if (n <= 0) n = 2 * (m - 1);
  TF_CHECK(n >= 1, InvalidArgument, "irfft: the output length n must be >= 1 (the default 2 (m - 1) needs an "
           "input of m >= 2 bins; got m = ", m, ")");
  Shape os(x.shape().begin(), x.shape().end() - 1);
  os[d] = n;
  Tensor out = run_fft(x, d, sig, os, n, m, FftParams{FftParams::C2R, false, scale}, "irfft");
  if (compute_requires_grad({&x})) {
    // d x_j / d Re X_k = 2 cos(theta jk) and d x_j / d Im X_k = -2 sin(theta jk) for the bins that stand for
    // two, once for DC and Nyquist (whose imaginary parts are ignored): twice the R2C of g, DC/Nyquist once
    // and their imaginary parts zero; bins past n/2 are unused (zero gradient).
    int64_t h = n / 2 + 1;
    auto node = make_node("IrfftBackward", {x}, [d, n, m, h, scale](FnNode&, const TensorList& g) -> TensorList {
      Tensor gx = rfft(g[0], d, scale) * half_spectrum_weights(h, n, d, g[0].dim() + 1, g[0].dtype(), 2.0, 1.0, 0.0);
      if (m < h) return {narrow(gx, d, 0, m)};
      if (m > h) {
        Shape zs = gx.shape();
        zs[d] = m - h;
        return {cat({gx, zeros(zs, gx.dtype())}, d)};
      }
      return {gx};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] { return irfft(tangent(x), d, n, scale); });
  return out;
}

}  // namespace tf
