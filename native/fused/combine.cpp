// The one kernel behind the real-valued fused steps: out = sum_k c_k in_k + noise_scale g z, one pass.
// Noise is generated block by block exactly as randn does (4 float32 or 2 float64 elements per Philox block),
// so a step with noise equals the composition "x*c0 + d*c1 + randn(shape)*scale" from the same generator state.
#include <cstring>
#include "steps.h"
#include "common.h"
#include "../rng/draws.h"
#include "../cpu/threadpool.h"

namespace tf::fused {

namespace {

constexpr int kMaxTerms = 5;

template <class T>
struct Pointers {
  const T* in[kMaxTerms];
  T c[kMaxTerms];
  const T* g;  // nullptr: g = 1
  T scale;
  T* out;
};

template <class T, int K>
inline T lincomb(const Pointers<T>& p, int64_t i) {
  T acc = p.c[0] * p.in[0][i];
  for (int k = 1; k < K; ++k) acc += p.c[k] * p.in[k][i];
  return acc;
}

// The noise-free update has a compile-time number of terms so the loop vectorises.
template <class T, int K>
void run_plain(const Pointers<T>& p, int64_t n) {
  parallel_for(0, n, 1 << 15, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) p.out[i] = lincomb<T, K>(p, i);
  });
}

template <class T, int K>
void run_noisy(const Pointers<T>& p, int64_t n, const CallKey& ck) {
  constexpr int B = sizeof(T) == 4 ? 4 : 2;  // elements per Philox block, as in randn
  int64_t nb = (n + B - 1) / B;
  parallel_for(0, nb, 2048, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) {
      T z[B];
      if constexpr (B == 4) normal_block_f32(ck, uint64_t(b), z);
      else normal_block_f64(ck, uint64_t(b), z);
      for (int j = 0; j < B; ++j) {
        int64_t i = b * B + j;
        if (i >= n) break;
        T noise = p.scale * z[j];
        if (p.g) noise *= p.g[i];
        p.out[i] = lincomb<T, K>(p, i) + noise;
      }
    }
  });
}

template <class T, int K>
void run(const Pointers<T>& p, int64_t n, bool noisy, const CallKey& ck) {
  if (noisy) run_noisy<T, K>(p, n, ck);
  else run_plain<T, K>(p, n);
}

}  // namespace

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
  const int64_t n = x.numel();
  const int K = int(terms.size());
  TF_DISPATCH_FLOAT(x.dtype(), T, {
    Pointers<T> p{};
    for (int k = 0; k < K; ++k) {
      p.in[k] = ins[k].data_ptr<T>();
      p.c[k] = T(terms[k].c);
    }
    p.g = g.defined() ? g.data_ptr<T>() : nullptr;
    p.scale = T(noise_scale);
    p.out = out.data_ptr<T>();
    switch (K) {
      case 1: run<T, 1>(p, n, noisy, ck); break;
      case 2: run<T, 2>(p, n, noisy, ck); break;
      case 3: run<T, 3>(p, n, noisy, ck); break;
      case 4: run<T, 4>(p, n, noisy, ck); break;
      default: run<T, 5>(p, n, noisy, ck); break;
    }
  });
  out.storage()->version++;
  return out;
}

}  // namespace tf::fused
