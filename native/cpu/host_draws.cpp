// The data-dependent draw entries of the host backends: Bernoulli from given uniforms, binomial and Poisson per
// element (float64), multinomial per row, and the count denoising steps (binomial bridge, tau-leaping). Element
// (or row) i draws from its own Philox stream of the call's key (rng/draws.h), so results do not depend on
// threading and a fused count step equals binomial()/poisson() composed from the same generator state.
#include "host_backend.h"
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>
#include "dispatch.h"
#include "threadpool.h"
#include "../rng/draws.h"

namespace tf {
namespace host {

bool bernoulli(const Tensor& out, const Tensor& p, const Tensor& u, Verdict* v) {
  if (!is_floating(p.dtype())) return false;
  TF_DISPATCH_FLOAT(p.dtype(), T, {
    const T* pp = p.data_ptr<T>();
    const T* up = u.data_ptr<T>();
    T* o = out.data_ptr<T>();
    for (int64_t i = 0; i < p.numel(); ++i) {
      if (!valid_probability(double(pp[i]))) { v->flag(kBadProbability, i, double(pp[i])); return true; }
      o[i] = up[i] < pp[i] ? T(1) : T(0);
    }
  });
  return true;
}

bool binomial(const Tensor& out, const Tensor& count, const Tensor& prob, const CallKey& ck, Verdict* v) {
  const double* c = count.data_ptr<double>();
  const double* pr = prob.data_ptr<double>();
  for (int64_t i = 0; i < count.numel(); ++i) {
    if (!valid_count(c[i])) { v->flag(kBadCount, i, c[i]); return true; }
    if (!valid_probability(pr[i])) { v->flag(kBadProbability, i, pr[i]); return true; }
  }
  double* o = out.data_ptr<double>();
  parallel_for(0, out.numel(), 256, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      ElementStream st(ck.key, uint64_t(i), ck.call);
      o[i] = binomial_draw(st, c[i], pr[i]);
    }
  });
  return true;
}

bool poisson(const Tensor& out, const Tensor& rate, const CallKey& ck, Verdict* v) {
  const double* r = rate.data_ptr<double>();
  for (int64_t i = 0; i < rate.numel(); ++i)
    if (!valid_rate(r[i])) { v->flag(kBadRate, i, r[i]); return true; }
  double* o = out.data_ptr<double>();
  parallel_for(0, out.numel(), 256, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      ElementStream st(ck.key, uint64_t(i), ck.call);
      o[i] = poisson_draw(st, r[i]);
    }
  });
  return true;
}

bool multinomial(const Tensor& out, const Tensor& probs, bool replacement, const CallKey& ck, Verdict* v) {
  const int64_t rows = probs.size(0), k = probs.size(1), num_samples = out.size(1);
  const double* p = probs.data_ptr<double>();
  std::vector<double> row_max(rows, 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0;
    int64_t nonzero = 0;
    for (int64_t j = 0; j < k; ++j) {
      double w = p[r * k + j];
      if (!valid_weight(w)) { v->flag(kBadProbability, r * k + j, w); return true; }
      total += w;
      nonzero += w > 0;
      row_max[r] = std::max(row_max[r], w);
    }
    if (!(total > 0)) { v->flag(kZeroRow, r, total); return true; }
    if (!replacement && num_samples > nonzero) { v->flag(kTooFewCategories, r, double(nonzero)); return true; }
  }
  int32_t* o = out.data_ptr<int32_t>();
  parallel_for(0, rows, 1, [&](int64_t lo, int64_t hi) {
    std::vector<double> cdf(k);
    std::vector<std::pair<double, int32_t>> keys(k);
    for (int64_t r = lo; r < hi; ++r) {
      ElementStream st(ck.key, uint64_t(r), ck.call);
      const double* pr = p + r * k;
      // Weights are taken relative to the row's largest (the distribution does not change): unscaled, a row of
      // huge weights summed to infinity (every draw then hit the last category), and a tiny weight made
      // log(u)/p_j -inf, tying with the zero-probability categories below.
      const double m = row_max[r];
      if (replacement) {
        double acc = 0;
        for (int64_t j = 0; j < k; ++j) cdf[j] = acc += pr[j] / m;  // <= k: finite
        for (int64_t s = 0; s < num_samples; ++s) {
          double u = st.uniform() * cdf[k - 1];
          int64_t j = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
          if (j >= k) j = k - 1;  // u rounded up to the total
          while (j > 0 && pr[j] == 0) --j;  // never land on a zero-probability category
          o[r * num_samples + s] = int32_t(j);
        }
      } else {
        // Efraimidis-Spirakis: the top-n keys log(u)/w_j are a weighted sample without replacement. A non-zero
        // weight's key is kept finite (w_j may even underflow to 0) so it always outranks a zero weight's -inf.
        const double lowest = std::numeric_limits<double>::lowest();
        for (int64_t j = 0; j < k; ++j) {
          double w = pr[j] / m, key = -INFINITY;
          if (pr[j] > 0) key = w > 0 ? std::max(std::log(st.uniform_open()) / w, lowest) : lowest;
          keys[j] = {key, int32_t(j)};
        }
        std::partial_sort(keys.begin(), keys.begin() + num_samples, keys.end(),
                          [](const auto& a, const auto& b) { return a.first > b.first; });
        for (int64_t s = 0; s < num_samples; ++s) o[r * num_samples + s] = keys[s].second;
      }
    }
  });
  return true;
}

bool count_step(CountStep kind, const Tensor& out, const Tensor& n, const Tensor& y, double q, double n_max,
                const CallKey& ck, Verdict* v) {
  if (!is_floating(n.dtype())) return false;
  TF_DISPATCH_FLOAT(n.dtype(), T, {
    const T* np = n.data_ptr<T>();
    const T* yp = y.data_ptr<T>();
    for (int64_t i = 0; i < n.numel(); ++i) {
      double c = double(np[i]);
      if (!valid_count_state(c, n_max)) { v->flag(kBadCount, i, c); return true; }
      if (!draw_finite(double(yp[i]))) { v->flag(kBadNetOutput, i, double(yp[i])); return true; }
    }
    T* o = out.data_ptr<T>();
    parallel_for(0, n.numel(), 256, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        ElementStream st(ck.key, uint64_t(i), ck.call);
        double c = double(np[i]), yv = double(yp[i]), step;
        if (kind == CountStep::BinomialBridge) {
          double missing = std::min(n_max - c, std::max(0.0, std::floor(yv + 0.5)));  // round half up, clipped to [0, n_max - n]
          step = binomial_draw(st, missing, q);
        } else {
          step = poisson_draw(st, std::max(0.0, yv) * q);
        }
        o[i] = T(std::min(n_max, std::max(0.0, c + step)));
      }
    });
  });
  return true;
}

}  // namespace host
}  // namespace tf
