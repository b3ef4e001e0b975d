// Each solver step as the coefficients of one fused update (combine.cpp), derived in double precision.
#include <cmath>
#include "steps.h"
#include "common.h"
#include "../rng/draws.h"
#include "../backend/backend.h"

namespace tf::fused {

namespace {
void require(bool ok, const char* op, const char* what) { TF_CHECK(ok, InvalidArgument, op, ": ", what); }
bool finite(std::initializer_list<double> v) {
  for (double d : v) if (!std::isfinite(d)) return false;
  return true;
}
}  // namespace

Tensor euler(const Tensor& x, const Tensor& D, double sigma, double sigma_next, Tensor out) {
  const char* op = "eulerStep";
  require(finite({sigma, sigma_next}) && sigma > 0 && sigma_next >= 0, op, "needs sigma > 0 and sigmaNext >= 0, finite");
  double r = (sigma_next - sigma) / sigma;  // x + (sigma_next - sigma) (x - D) / sigma
  return combine(op, {{x, 1 + r}, {D, -r}}, 0, Tensor(), out);
}

Tensor heun_correct(const Tensor& xh, const Tensor& Dh, const Tensor& xe, const Tensor& Dn, double sh, double sn, Tensor out) {
  const char* op = "heunStep";
  require(finite({sh, sn}) && sh > 0 && sn > 0, op, "the correction needs sigmaHat > 0 and sigmaNext > 0 (the last step to 0 is Euler)");
  double a = (sn - sh) / (2 * sh), b = (sn - sh) / (2 * sn);  // x_hat + h/2 (d_hat + d_next)
  return combine(op, {{xh, 1 + a}, {Dh, -a}, {xe, b}, {Dn, -b}}, 0, Tensor(), out);
}

Tensor edm_churn(const Tensor& x, double sigma, double sigma_hat, double s_noise, Tensor out) {
  const char* op = "edmChurn";
  require(finite({sigma, sigma_hat, s_noise}) && sigma >= 0 && sigma_hat >= sigma && s_noise >= 0, op,
          "needs 0 <= sigma <= sigmaHat and sNoise >= 0, finite");
  return combine(op, {{x, 1}}, std::sqrt(sigma_hat * sigma_hat - sigma * sigma) * s_noise, Tensor(), out);
}

Tensor ddim(const Tensor& x, const Tensor& eps, double a, double ap, double eta, Tensor out) {
  const char* op = "ddimStep";
  require(finite({a, ap, eta}) && a > 0 && a <= 1 && ap > 0 && ap <= 1 && eta >= 0, op,
          "needs alphaBar and alphaBarPrev in (0, 1] and eta >= 0");
  double sig = 0;
  if (eta > 0) {
    require(a < 1 && ap >= a, op, "eta > 0 needs alphaBar < 1 and alphaBarPrev >= alphaBar");
    sig = eta * std::sqrt((1 - ap) / (1 - a) * (1 - a / ap));
  }
  double dir2 = 1 - ap - sig * sig;
  require(dir2 >= -1e-12, op, "eta is too large: the posterior variance exceeds 1 - alphaBarPrev");
  // x' = sqrt(ap) x0 + sqrt(1 - ap - sig^2) eps + sig z,  x0 = (x - sqrt(1 - a) eps) / sqrt(a)
  double cx = std::sqrt(ap / a), ce = std::sqrt(std::max(dir2, 0.0)) - std::sqrt(ap) * std::sqrt(1 - a) / std::sqrt(a);
  return combine(op, {{x, cx}, {eps, ce}}, sig, Tensor(), out);
}

Tensor ddpm(const Tensor& x, const Tensor& eps, double alpha, double abar, double sigma, Tensor out) {
  const char* op = "ddpmStep";
  require(finite({alpha, abar, sigma}) && alpha > 0 && alpha <= 1 && abar > 0 && abar < 1 && sigma >= 0, op,
          "needs alpha in (0, 1], alphaBar in (0, 1) and sigma >= 0");
  double ia = 1 / std::sqrt(alpha);
  return combine(op, {{x, ia}, {eps, -ia * (1 - alpha) / std::sqrt(1 - abar)}}, sigma, Tensor(), out);
}

Tensor euler_maruyama(const Tensor& x, const Tensor& f, const Tensor& g, double g_scalar, double dt, Tensor out) {
  const char* op = "eulerMaruyamaStep";
  require(finite({g_scalar, dt}), op, "dt and the diffusion coefficient must be finite");
  return combine(op, {{x, 1}, {f, dt}}, g_scalar * std::sqrt(std::fabs(dt)), g, out);
}

Tensor interpolant_sde(const Tensor& x, const Tensor& b, const Tensor& s, double eps, double dt, double direction, Tensor out) {
  const char* op = "interpolantSdeStep";
  require(finite({eps, dt}) && eps >= 0, op, "needs eps >= 0 and a finite dt");
  require(direction == 1 || direction == -1, op, "direction must be +1 (forward SDE, drift b + eps s) or -1 (backward, b - eps s)");
  if (eps == 0) return combine(op, {{x, 1}, {b, dt}}, 0, Tensor(), out);  // the probability-flow ODE
  require(s.defined(), op, "eps > 0 needs the score s");
  return combine(op, {{x, 1}, {b, dt}, {s, direction * eps * dt}}, std::sqrt(2 * eps * std::fabs(dt)), Tensor(), out);
}

Tensor trigflow_consistency(const Tensor& x, const Tensor& F, double t, double tn, double sd, Tensor out) {
  const char* op = "trigflowStep";
  require(finite({t, tn, sd}) && sd > 0 && t >= 0 && tn >= 0 && tn <= t, op, "needs 0 <= tNext <= t and sigmaD > 0");
  double c = std::cos(tn);  // x' = cos tn (cos t x - sin t sd F) + sin tn sd z
  return combine(op, {{x, c * std::cos(t)}, {F, -c * std::sin(t) * sd}}, std::sin(tn) * sd, Tensor(), out);
}

Tensor trigflow_ddim(const Tensor& x, const Tensor& F, double t, double s, double sd, Tensor out) {
  const char* op = "trigflowDdimStep";
  require(finite({t, s, sd}) && sd > 0, op, "needs finite times and sigmaD > 0");
  return combine(op, {{x, std::cos(t - s)}, {F, -std::sin(t - s) * sd}}, 0, Tensor(), out);
}

Tensor dpmpp_2m(const Tensor& x, const Tensor& D, const Tensor& Dprev, double alpha, double sigma, double an, double sn,
                double h_prev, Tensor out) {
  const char* op = "dpmpp2mStep";
  require(finite({alpha, sigma, an, sn}) && alpha > 0 && sigma > 0 && an > 0 && sn >= 0, op,
          "needs alpha, sigma, alphaNext > 0 and sigmaNext >= 0");
  if (sn == 0) return combine(op, {{D, an}}, 0, Tensor(), out);  // log-SNR -> inf: the step lands on alphaNext * D
  double h = std::log(an / sn) - std::log(alpha / sigma);
  require(h > 0, op, "the step must increase log(alpha / sigma)");
  double cx = sn / sigma, cd = -an * std::expm1(-h);
  if (!Dprev.defined()) return combine(op, {{x, cx}, {D, cd}}, 0, Tensor(), out);
  require(std::isfinite(h_prev) && h_prev > 0, op, "a previous denoised output needs the previous step's hPrev > 0");
  double r = h_prev / h, w = 1 / (2 * r);  // D' = (1 + 1/(2r)) D - 1/(2r) D_prev
  return combine(op, {{x, cx}, {D, cd * (1 + w)}, {Dprev, -cd * w}}, 0, Tensor(), out);
}

namespace {

// The count steps: the backend's count_step entry, whose elements draw from their own streams as
// binomial()/poisson() do, so a step equals the composition from the same generator state.
Tensor count_step(CountStep kind, const char* op, const Tensor& n0, const Tensor& y0, double p_t, double p_s,
                  double n_max, Tensor out) {
  require(finite({p_t, p_s, n_max}) && p_t >= 0 && p_t < 1 && p_s >= p_t && p_s <= 1, op,
          "needs 0 <= p_t < 1 and p_t <= p_s <= 1 (survival probabilities, going back in time)");
  require(n_max >= 0 && std::floor(n_max) == n_max, op, "nMax must be a non-negative integer");
  Tensor n = checked_input(op, n0, n0), y = checked_input(op, y0, n0);
  out = prepare_out(op, out, n0, {n, y});
  const double q = (p_s - p_t) / (1 - p_t);
  Verdict v;
  CallKey ck = next_call();
  current_backend().count_step(kind, out, n, y, q, n_max, ck, &v);
  if (v.code) unwind_call(ck);
  TF_CHECK(v.code != kBadCount, InvalidArgument, op, ": counts must be integers in [0, ", n_max, "], got ", v.value,
           " at ", v.at);
  TF_CHECK(v.code == 0, InvalidArgument, op, ": the network output is not finite at ", v.at);
  out.storage()->version++;
  return out;
}

}  // namespace

Tensor binomial_bridge(const Tensor& n, const Tensor& y, double p_t, double p_s, double n_max, Tensor out) {
  return count_step(CountStep::BinomialBridge, "binomialBridgeStep", n, y, p_t, p_s, n_max, out);
}

Tensor tau_leap(const Tensor& n, const Tensor& y, double p_t, double p_s, double n_max, Tensor out) {
  return count_step(CountStep::TauLeap, "tauLeapStep", n, y, p_t, p_s, n_max, out);
}

}  // namespace tf::fused
