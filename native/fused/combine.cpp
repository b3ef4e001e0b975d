// The one kernel behind the real-valued fused steps: out = sum_k c_k in_k + noise_scale g z, one pass.
// Noise is generated block by block exactly as randn does (4 float32 or 2 float64 elements per Philox block),
// so a step with noise equals the composition "x*c0 + d*c1 + randn(shape)*scale" from the same generator state.
#include <cstring>
#include "steps.h"
#include "common.h"
#include "../rng/draws.h"
#include "../backend/backend.h"

namespace tf::fused {

constexpr int kMaxTerms = kMaxCombineTerms;

Tensor combine(const char* op, const std::vector<Term>& terms, double noise_scale, const Tensor& g0, Tensor out) {
  TF_CHECK(!terms.empty() && terms.size() <= size_t(kMaxTerms), Internal, op, ": ", terms.size(), " terms");
  const Tensor& x = terms[0].t;
  std::vector<Tensor> ins;
  for (const Term& t : terms) ins.push_back(checked_input(op, t.t, x));
  TF_CHECK(std::isfinite(noise_scale), InvalidArgument, op, ": the noise scale is ", noise_scale);
  Tensor g;
  if (g0.defined()) g = broadcast_input(op, g0, x);
  out = prepare_out(op, out, x, ins);
  for (const Term& t : terms)
    TF_CHECK(std::isfinite(t.c), InvalidArgument, op, ": a schedule value gives the non-finite coefficient ", t.c);

  const bool noisy = noise_scale != 0;
  CallKey ck{0, 0};
  if (noisy) ck = next_call();  // deterministic steps leave the generator where it was, as the composition would
  const int K = int(terms.size());
  double c[kMaxTerms];
  for (int k = 0; k < K; ++k) c[k] = terms[k].c;
  TF_CHECK(current_backend().combine(out, ins.data(), c, K, noise_scale, g.defined() ? &g : nullptr, ck), DType, op,
           ": fused steps need float32 or float64, got ", dtype_name(x.dtype()));
  out.storage()->version++;
  return out;
}

}  // namespace tf::fused
