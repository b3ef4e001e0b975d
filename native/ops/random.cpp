// Random tensors from the current context's generator: (seed, call counter) -> Philox key and counter.
// Element i of a call uses counter blocks derived from i alone, so results do not depend on threading.
#include <cmath>
#include <algorithm>
#include <numeric>
#include <limits>
#include "ops.h"
#include "../core/context.h"
#include "../backend/backend.h"
#include "../autograd/grad_mode.h"
#include "../rng/draws.h"

namespace tf {

namespace {

// The generator is the current context's (core/context.h): each JS environment has its own.
Generator& gen() { return ctx().gen; }

}  // namespace

// Each op call gets a fresh counter space; the seed and the high bits of the call number form the key.
CallKey next_call() {
  uint64_t c = gen().calls++;
  uint64_t key = gen().seed ^ (c >> 32) * 0x9E3779B97F4A7C15ULL;
  return {key, uint32_t(c)};
}

void unwind_call(const CallKey& ck) {
  if (uint32_t(gen().calls - 1) == ck.call) gen().calls--;
}

namespace {
// Runs a data-dependent draw entry with a fresh call; a call refused by the entry's checks gives its number back,
// so a refused draw leaves the generator as it was.
template <class F>
Verdict draw_call(F entry) {
  Verdict v;
  CallKey ck = next_call();
  entry(ck, &v);
  if (v.code) unwind_call(ck);
  return v;
}
}  // namespace

namespace {

void check_float_dtype(DType dt, const char* op) {
  TF_CHECK(is_floating(dt), DType, op, " needs a floating-point dtype, got ", dtype_name(dt));
}

}  // namespace

void manual_seed(uint64_t seed) {
  gen().seed = seed * 0xD1342543DE82EF95ULL + 0x2545F4914F6CDD1DULL;
  gen().calls = 0;
}
uint64_t current_seed() { return gen().seed; }
// The whole generator state is (seed, calls): restoring both makes every later draw identical to a run that
// was never interrupted.
RngState get_rng_state() { return {gen().seed, gen().calls}; }
void set_rng_state(const RngState& s) {
  gen().seed = s.seed;
  gen().calls = s.calls;
}

Tensor rand(const Shape& s, DType dt) {
  check_float_dtype(dt, "rand");
  Tensor t = empty(s, dt);
  CallKey ck = next_call();
  TF_CHECK(current_backend().rand_uniform(t, ck), DType, "rand does not support dtype ", dtype_name(dt));
  return t;
}

Tensor randn(const Shape& s, DType dt) {
  check_float_dtype(dt, "randn");
  Tensor t = empty(s, dt);
  CallKey ck = next_call();
  TF_CHECK(current_backend().rand_normal(t, ck), DType, "randn does not support dtype ", dtype_name(dt));
  return t;
}

Tensor randint(int64_t low, int64_t high, const Shape& s, DType dt) {
  TF_CHECK(high > low, InvalidArgument, "randint: high (", high, ") must be greater than low (", low, ")");
  TF_DISPATCH_ALL(dt, T, {
    double lo_ok = double(std::numeric_limits<T>::lowest()), hi_ok = double(std::numeric_limits<T>::max());
    TF_CHECK(double(low) >= lo_ok && double(high - 1) <= hi_ok, InvalidArgument, "randint: range [", low, ", ", high,
             ") does not fit dtype ", dtype_name(dt));
  });
  Tensor t = empty(s, dt);
  CallKey ck = next_call();
  TF_CHECK(current_backend().rand_int(t, ck, low, uint64_t(high - low)), DType, "randint does not support dtype ",
           dtype_name(dt));
  return t;
}

Tensor bernoulli(const Tensor& p0) {
  check_float_dtype(p0.dtype(), "bernoulli");
  GradModeGuard off(false);
  Tensor p = contiguous(detach(p0));
  Tensor u = rand(p.shape(), p.dtype());
  Tensor out = empty(p.shape(), p.dtype());
  Verdict v;
  current_backend().bernoulli(out, p, u, &v);
  TF_CHECK(v.code == 0, InvalidArgument, "bernoulli: probabilities must be in [0, 1], got ", v.value);
  return out;
}

Tensor binomial(const Tensor& count0, const Tensor& prob0) {
  check_float_dtype(prob0.dtype(), "binomial");
  GradModeGuard off(false);
  Shape s = broadcast_shapes(count0.shape(), prob0.shape());
  Tensor count = contiguous(to_dtype(expand(detach(count0), s), DType::F64));
  Tensor prob = contiguous(to_dtype(expand(detach(prob0), s), DType::F64));
  Tensor out64 = empty(s, DType::F64);
  Verdict v = draw_call([&](const CallKey& ck, Verdict* vv) { current_backend().binomial(out64, count, prob, ck, vv); });
  TF_CHECK(v.code != kBadCount, InvalidArgument, "binomial: counts must be non-negative integers, got ", v.value);
  TF_CHECK(v.code == 0, InvalidArgument, "binomial: probabilities must be in [0, 1], got ", v.value);
  return to_dtype(out64, prob0.dtype());
}

Tensor poisson(const Tensor& rate0) {
  check_float_dtype(rate0.dtype(), "poisson");
  GradModeGuard off(false);
  Tensor rate = contiguous(to_dtype(detach(rate0), DType::F64));
  Tensor out64 = empty(rate.shape(), DType::F64);
  Verdict v = draw_call([&](const CallKey& ck, Verdict* vv) { current_backend().poisson(out64, rate, ck, vv); });
  TF_CHECK(v.code == 0, InvalidArgument, "poisson: rates must be finite and non-negative, got ", v.value);
  return to_dtype(out64, rate0.dtype());
}

Tensor multinomial(const Tensor& probs0, int64_t num_samples, bool replacement) {
  check_float_dtype(probs0.dtype(), "multinomial");
  TF_CHECK(probs0.dim() == 1 || probs0.dim() == 2, ShapeMismatch, "multinomial: probs must be 1-D or 2-D, got ",
           shape_str(probs0.shape()));
  TF_CHECK(num_samples > 0, InvalidArgument, "multinomial: numSamples must be positive");
  GradModeGuard off(false);
  Tensor probs = contiguous(to_dtype(detach(probs0), DType::F64));
  int64_t rows = probs.dim() == 2 ? probs.shape()[0] : 1, k = probs.shape().back();
  TF_CHECK(k > 0, InvalidArgument, "multinomial: no categories");
  Tensor out = empty({rows, num_samples}, DType::I32);
  Verdict v = draw_call([&](const CallKey& ck, Verdict* vv) {
    current_backend().multinomial(out, reshape(probs, {rows, k}), replacement, ck, vv);
  });
  TF_CHECK(v.code != kBadProbability, InvalidArgument, "multinomial: probabilities must be finite and non-negative");
  TF_CHECK(v.code != kZeroRow, InvalidArgument, "multinomial: a row of probabilities sums to zero");
  TF_CHECK(v.code == 0, InvalidArgument, "multinomial: cannot draw ", num_samples,
           " samples without replacement from ", int64_t(v.value), " categories with non-zero probability");
  return probs.dim() == 2 ? out : reshape(out, {num_samples});
}

}  // namespace tf
