// The C API's autograd, random-generator, optimizer and fused-step functions (include/tensorfield.h).
#include "call.h"
#include "../autograd/grad_mode.h"
#include "../autograd/node.h"
#include "../fused/steps.h"
#include "../ops/ops.h"

using namespace tfc;

namespace {
tf::TensorList list_arg(const tf_tensor* const* hs, int n, const char* what) {
  need(hs, what);
  tf::TensorList ts;
  for (int i = 0; i < n; ++i) ts.push_back(tensor_arg(hs[i], what));
  return ts;
}
}  // namespace

extern "C" {

// ---- random numbers ----
TF_API tf_status tf_manual_seed(uint64_t seed) {
  return call("tf_manual_seed", [&] { tf::manual_seed(seed); });
}
TF_API tf_status tf_rng_get_state(uint64_t* key, uint64_t* calls) {
  return call("tf_rng_get_state", [&] {
    need(key, "key");
    need(calls, "calls");
    tf::RngState s = tf::get_rng_state();
    *key = s.seed;
    *calls = s.calls;
  });
}
TF_API tf_status tf_rng_set_state(uint64_t key, uint64_t calls) {
  return call("tf_rng_set_state", [&] { tf::set_rng_state({key, calls}); });
}

// ---- autograd ----
TF_API tf_status tf_set_requires_grad(tf_tensor* t, int on) {
  return call("tf_set_requires_grad", [&] { tf::set_requires_grad(tensor_arg(t, "t"), on != 0); });
}
TF_API tf_status tf_requires_grad(const tf_tensor* t, int* out) {
  return call("tf_requires_grad", [&] {
    need(out, "out");
    *out = tensor_arg(t, "t").requires_grad() ? 1 : 0;
  });
}
TF_API tf_status tf_backward(const tf_tensor* loss) {
  return call("tf_backward", [&] {
    tf::AllowMixedDevices mixed;  // a graph may cross devices; the engine runs each node on its own
    tf::Tensor l = tensor_arg(loss, "loss");
    TF_CHECK(l.numel() == 1, ShapeMismatch, "backward needs a loss with one element, got shape ", tf::shape_str(l.shape()));
    tf::run_backward({l}, {tf::Tensor()}, false, false, {}, false);
  });
}
TF_API tf_status tf_tensor_grad(const tf_tensor* t, tf_tensor** out) {
  return call("tf_tensor_grad", [&] {
    need(out, "out");
    const tf::Tensor& g = tensor_arg(t, "t").impl()->grad;
    if (g.defined()) give(out, g);
    else *out = nullptr;
  });
}
TF_API tf_status tf_zero_grad(tf_tensor* t) {
  return call("tf_zero_grad", [&] { tensor_arg(t, "t").impl()->grad = tf::Tensor(); });
}
TF_API tf_status tf_set_grad_enabled(int on, int* previous) {
  return call("tf_set_grad_enabled", [&] {
    if (previous) *previous = tf::GradMode::enabled() ? 1 : 0;
    tf::GradMode::set(on != 0);
  });
}
TF_API tf_status tf_detach(const tf_tensor* t, tf_tensor** out) {
  return call("tf_detach", [&] { give(out, tf::detach_op(tensor_arg(t, "t"))); });
}

// ---- optimizer steps ----
TF_API tf_status tf_adam_step(tf_tensor* const* params, const tf_tensor* const* grads, tf_tensor* const* m,
                              tf_tensor* const* v, int n, const tf_adam_options* opts) {
  return call("tf_adam_step", [&] {
    TF_CHECK(n >= 1, InvalidArgument, "n must be >= 1, got ", n);
    need(opts, "opts");
    auto finite = [](double x) { return x == x && x - x == 0; };
    TF_CHECK(finite(opts->lr) && opts->lr >= 0, InvalidArgument, "lr must be finite and >= 0, got ", opts->lr);
    TF_CHECK(opts->beta1 >= 0 && opts->beta1 < 1 && opts->beta2 >= 0 && opts->beta2 < 1, InvalidArgument,
             "beta1 and beta2 must be in [0, 1), got ", opts->beta1, " and ", opts->beta2);
    TF_CHECK(finite(opts->eps) && opts->eps > 0, InvalidArgument, "eps must be finite and > 0, got ", opts->eps);
    TF_CHECK(finite(opts->weight_decay) && opts->weight_decay >= 0, InvalidArgument,
             "weight_decay must be finite and >= 0, got ", opts->weight_decay);
    tf::AdamHyper h{opts->lr, opts->beta1, opts->beta2, opts->eps, opts->weight_decay, opts->step, opts->decoupled != 0};
    tf::adam_update(list_arg(params, n, "params"), list_arg(grads, n, "grads"), list_arg(m, n, "m"), list_arg(v, n, "v"), h);
  });
}

// ---- fused denoising steps ----
TF_API tf_status tf_euler_step(const tf_tensor* x, const tf_tensor* denoised, double sigma, double sigma_next,
                               tf_tensor** out) {
  return call("tf_euler_step", [&] {
    give(out, tf::fused::euler(tensor_arg(x, "x"), tensor_arg(denoised, "denoised"), sigma, sigma_next, tf::Tensor()));
  });
}
TF_API tf_status tf_heun_step(const tf_tensor* x_hat, const tf_tensor* denoised_hat, const tf_tensor* x_euler,
                              const tf_tensor* denoised_next, double sigma, double sigma_next, tf_tensor** out) {
  return call("tf_heun_step", [&] {
    give(out, tf::fused::heun_correct(tensor_arg(x_hat, "x_hat"), tensor_arg(denoised_hat, "denoised_hat"),
                                      tensor_arg(x_euler, "x_euler"), tensor_arg(denoised_next, "denoised_next"), sigma,
                                      sigma_next, tf::Tensor()));
  });
}

}  // extern "C"
