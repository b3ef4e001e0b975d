// The C API's fused steps by name, SGD, forward mode and int8 functions (include/tensorfield.h).
#include <cstring>
#include "call.h"
#include "../autograd/forward_ad.h"
#include "../fused/step_table.h"
#include "../ops/quant.h"

using namespace tfc;

struct tf_int8_weight {
  tf::PackedInt8 p;
};

namespace {
void copy_out(const std::string& s, char* buf, size_t cap, size_t* needed) {
  if (needed) *needed = s.size() + 1;
  need(buf, "buf");
  TF_CHECK(cap > s.size(), InvalidArgument, "buf needs ", s.size() + 1, " bytes, got ", cap);
  std::memcpy(buf, s.c_str(), s.size() + 1);
}
bool finite(double x) { return x == x && x - x == 0; }
}  // namespace

extern "C" {

TF_API tf_status tf_fused_step(const char* name, const tf_tensor* const* tensors, int n_tensors, const double* numbers,
                               int n_numbers, tf_tensor* into, tf_tensor** out) {
  return call("tf_fused_step", [&] {
    need(name, "name");
    need(out, "out");
    TF_CHECK(n_tensors >= 1 && n_tensors <= 16 && n_numbers >= 0 && n_numbers <= 16, InvalidArgument,
             "n_tensors must be in [1, 16] and n_numbers in [0, 16]");
    need(tensors, "tensors");
    if (n_numbers > 0) need(numbers, "numbers");
    tf::TensorList ts;
    for (int i = 0; i < n_tensors; ++i) ts.push_back(i > 0 && !tensors[i] ? tf::Tensor() : tensor_arg(tensors[i], "tensors[i]"));
    std::vector<double> nums(numbers, numbers + n_numbers);
    tf::Tensor target = into ? tensor_arg(into, "into") : tf::Tensor();
    give(out, tf::fused::run_step(name, ts, nums, target));
  });
}
TF_API tf_status tf_fused_step_names(char* buf, size_t cap, size_t* needed) {
  return call("tf_fused_step_names", [&] { copy_out(tf::fused::step_names(), buf, cap, needed); });
}

TF_API tf_status tf_sgd_step(tf_tensor* const* params, const tf_tensor* const* grads, tf_tensor* const* bufs, int n,
                             const tf_sgd_options* o) {
  return call("tf_sgd_step", [&] {
    TF_CHECK(n >= 1, InvalidArgument, "n must be >= 1, got ", n);
    need(o, "opts");
    TF_CHECK(finite(o->lr) && o->lr >= 0, InvalidArgument, "lr must be finite and >= 0, got ", o->lr);
    TF_CHECK(finite(o->momentum) && o->momentum >= 0, InvalidArgument, "momentum must be finite and >= 0, got ", o->momentum);
    TF_CHECK(finite(o->dampening) && finite(o->weight_decay) && o->weight_decay >= 0, InvalidArgument,
             "dampening must be finite and weight_decay finite and >= 0");
    need(params, "params");
    need(grads, "grads");
    need(bufs, "momentum_bufs");
    tf::TensorList p, g, b;
    for (int i = 0; i < n; ++i) {
      p.push_back(tensor_arg(params[i], "params[i]"));
      g.push_back(tensor_arg(grads[i], "grads[i]"));
      b.push_back(tensor_arg(bufs[i], "momentum_bufs[i]"));
    }
    tf::sgd_update(p, g, b, o->lr, o->momentum, o->dampening, o->weight_decay, o->nesterov != 0, o->first_step != 0);
  });
}

// ---- forward mode ----
TF_API tf_status tf_dual_level_enter(uint64_t* level) {
  return call("tf_dual_level_enter", [&] { *need(level, "level") = tf::enter_dual_level(); });
}
TF_API tf_status tf_dual_level_exit(uint64_t level) {
  return call("tf_dual_level_exit", [&] { tf::exit_dual_level(level); });
}
TF_API tf_status tf_make_dual(const tf_tensor* primal, const tf_tensor* tangent, tf_tensor** out) {
  return call("tf_make_dual", [&] {
    tf::Tensor p = tensor_arg(primal, "primal");
    give(out, tf::make_dual(p, tensor_arg(tangent, "tangent")));
  });
}
TF_API tf_status tf_unpack_dual(const tf_tensor* dual, tf_tensor** primal, tf_tensor** tangent) {
  return call("tf_unpack_dual", [&] {
    need(primal, "primal");
    need(tangent, "tangent");
    auto [p, t] = tf::unpack_dual(tensor_arg(dual, "dual"));
    tf_tensor* ph = nullptr;
    give(&ph, p);
    if (t.defined()) {
      try {
        give(tangent, t);
      } catch (...) {
        tf_tensor_release(ph);
        throw;
      }
    } else {
      *tangent = nullptr;
    }
    *primal = ph;
  });
}

// ---- int8 ----
TF_API tf_status tf_int8_pack(const tf_tensor* weight, tf_int8_weight** out) {
  return call("tf_int8_pack", [&] {
    need(out, "out");
    *out = new tf_int8_weight{tf::pack_int8_weight(tensor_arg(weight, "weight"))};
  });
}
TF_API void tf_int8_weight_free(tf_int8_weight* w) { delete w; }
TF_API tf_status tf_int8_layout(char* buf, size_t cap) {
  return call("tf_int8_layout", [&] { copy_out(tf::backend(tf::Device::CPU).int8_layout(), buf, cap, nullptr); });
}
TF_API tf_status tf_int8_linear(const tf_tensor* x, double x_scale, int x_zero, const tf_int8_weight* w,
                                const tf_tensor* w_scale, const tf_tensor* bias, tf_int8_act act, tf_tensor** out) {
  return call("tf_int8_linear", [&] {
    tf::Tensor xt = tensor_arg(x, "x");
    need(w, "w");
    tf::Int8Epilogue e;
    e.w_scale = tensor_arg(w_scale, "w_scale");
    if (bias) e.bias = tensor_arg(bias, "bias");
    switch (act) {
      case TF_INT8_NONE: e.act = tf::Int8Act::None; break;
      case TF_INT8_RELU: e.act = tf::Int8Act::Relu; break;
      case TF_INT8_SILU: e.act = tf::Int8Act::Silu; break;
      default: tf::fail(tf::ErrorCode::InvalidArgument, "unknown activation ", int(act));
    }
    give(out, tf::int8_linear(xt, x_scale, x_zero, w->p, e));
  });
}

}  // extern "C"
