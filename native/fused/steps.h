// Fused denoising steps: one native call per solver step, one pass over memory. Each step turns its schedule
// values into the coefficients of one update
//     out = sum_k c_k * in_k + noise_scale * g * z,   z ~ N(0, 1) from the engine generator,
// (or an exact integer draw for the count-data steps) so the arithmetic of every solver lives in its
// coefficient function below and the memory traffic in one kernel (combine.cpp). The noise equals what
// randn(x.shape) would return from the same generator state, so each step is tested against the same update
// composed from ordinary ops. Steps are for sampling: they record no gradient and refuse inputs that need one
// while grad mode is on. `out` may be undefined (a new tensor), or a contiguous tensor of x's shape and dtype,
// x itself included (in place).
#pragma once
#include <vector>
#include "../ops/ops.h"

namespace tf::fused {

struct Term {
  Tensor t;
  double c;
};

// The kernel every real-valued step uses. `g` (optional) broadcasts to the terms' shape and multiplies the noise.
Tensor combine(const char* op, const std::vector<Term>& terms, double noise_scale, const Tensor& g, Tensor out);

// EDM (Karras et al. 2022) in the denoiser parameterisation: d = (x - D) / sigma.
Tensor euler(const Tensor& x, const Tensor& denoised, double sigma, double sigma_next, Tensor out);
// Heun's correction: x_next = x_hat + (sigma_next - sigma_hat) (d_hat + d_next) / 2.
Tensor heun_correct(const Tensor& x_hat, const Tensor& denoised_hat, const Tensor& x_euler, const Tensor& denoised_next,
                    double sigma_hat, double sigma_next, Tensor out);
// Churn: raise the noise level from sigma to sigma_hat >= sigma, x_hat = x + sqrt(sigma_hat^2 - sigma^2) s_noise z.
Tensor edm_churn(const Tensor& x, double sigma, double sigma_hat, double s_noise, Tensor out);
// DDIM (Song et al. 2021) from the noise prediction; eta = 0 deterministic, 1 = DDPM's posterior variance.
Tensor ddim(const Tensor& x, const Tensor& eps, double abar, double abar_prev, double eta, Tensor out);
// DDPM ancestral step (Ho et al. 2020): x' = (x - beta / sqrt(1 - abar) eps) / sqrt(alpha) + sigma z.
Tensor ddpm(const Tensor& x, const Tensor& eps, double alpha, double abar, double sigma, Tensor out);
// Euler-Maruyama for dX = f dt + g dW: x' = x + f dt + g sqrt(|dt|) z (dt < 0 integrates backwards in time).
Tensor euler_maruyama(const Tensor& x, const Tensor& drift, const Tensor& g, double g_scalar, double dt, Tensor out);
// Stochastic-interpolant SDE step (Albergo et al. 2023): drift b + direction eps s with direction +1 for the
// forward SDE and -1 for the backward one, noise sqrt(2 eps |dt|).
Tensor interpolant_sde(const Tensor& x, const Tensor& b, const Tensor& s, double eps, double dt, double direction, Tensor out);
// TrigFlow consistency step (Lu & Song 2024): x0 = cos t x - sin t sigma_d F; then, for t_next > 0, re-noise
// to x' = cos t_next x0 + sin t_next sigma_d z (multistep consistency sampling).
Tensor trigflow_consistency(const Tensor& x, const Tensor& F, double t, double t_next, double sigma_d, Tensor out);
// TrigFlow's DDIM step for the teacher's PF-ODE: x_s = cos(t - s) x - sin(t - s) sigma_d F.
Tensor trigflow_ddim(const Tensor& x, const Tensor& F, double t, double s, double sigma_d, Tensor out);
// DPM-Solver++(2M) (Lu et al. 2022) for x_t = alpha x0 + sigma n, data prediction; the first step (no previous
// denoised) and the last one (sigma_next = 0) are first order.
Tensor dpmpp_2m(const Tensor& x, const Tensor& denoised, const Tensor& denoised_prev, double alpha, double sigma,
                double alpha_next, double sigma_next, double h_prev, Tensor out);
// Blackout diffusion (Santos et al. 2023), reverse of the pure-death process with survival p(t):
// binomial bridge n' = n + Binomial(clip(round(y), 0, n_max - n), (p_s - p_t) / (1 - p_t)),
// tau-leaping    n' = clip(n + Poisson(max(y, 0) (p_s - p_t) / (1 - p_t)), 0, n_max).
Tensor binomial_bridge(const Tensor& n, const Tensor& y, double p_t, double p_s, double n_max, Tensor out);
Tensor tau_leap(const Tensor& n, const Tensor& y, double p_t, double p_s, double n_max, Tensor out);

}  // namespace tf::fused
