// The data-dependent draws on the GPU (backend/backend.h documents each entry): Bernoulli from given uniforms,
// binomial and Poisson per element, multinomial per row, and the count denoising steps (binomial bridge,
// tau-leaping). Element (or row) i draws from its own Philox stream of the call's key with the functions the CPU
// runs (rng/draws.h, TF_HD), so a seed gives the CPU's draws: Bernoulli and the multinomial with replacement bit
// for bit (comparisons of the same uniforms); binomial, Poisson and the count steps up to the device libm's
// rounding inside a rejection test (a different k only when a test lands within a few ulp of its boundary).
//
// The checks (first_flagged.cuh): the first offending element (or row) is found on the device, and its inputs are
// copied back and worded exactly as the CPU words them (the same rules, rng/draws.h, in the same order). Nothing is
// drawn, and the generator call is given back, when a check fails.
#include <cmath>
#include <vector>
#include "first_flagged.cuh"
#include "../rng/draws.h"

namespace tf {
namespace cuda {

namespace {

#define TF_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// ---- checks (rng/draws.h: the rules the CPU entries apply) ----
template <class T>
__global__ void check_probs(const T* p, int64_t n, unsigned long long* first) {
  TF_GRID_STRIDE(i, n) if (!valid_probability(double(p[i]))) note_first(first, i);
}
__global__ void check_binomial(const double* c, const double* p, int64_t n, unsigned long long* first) {
  TF_GRID_STRIDE(i, n) if (!valid_count(c[i]) || !valid_probability(p[i])) note_first(first, i);
}
__global__ void check_rates(const double* r, int64_t n, unsigned long long* first) {
  TF_GRID_STRIDE(i, n) if (!valid_rate(r[i])) note_first(first, i);
}
template <class T>
__global__ void check_counts(const T* c, const T* y, int64_t n, double n_max, unsigned long long* first) {
  TF_GRID_STRIDE(i, n) {
    if (!valid_count_state(double(c[i]), n_max) || !draw_finite(double(y[i]))) note_first(first, i);
  }
}

// ---- draws ----
template <class T>
__global__ void bernoulli_kernel(T* out, const T* p, const T* u, int64_t n) {
  TF_GRID_STRIDE(i, n) out[i] = u[i] < p[i] ? T(1) : T(0);
}
__global__ void binomial_kernel(double* out, const double* c, const double* p, int64_t n, CallKey ck) {
  TF_GRID_STRIDE(i, n) {
    ElementStream st(ck.key, uint64_t(i), ck.call);
    out[i] = binomial_draw(st, c[i], p[i]);
  }
}
__global__ void poisson_kernel(double* out, const double* r, int64_t n, CallKey ck) {
  TF_GRID_STRIDE(i, n) {
    ElementStream st(ck.key, uint64_t(i), ck.call);
    out[i] = poisson_draw(st, r[i]);
  }
}
template <class T>
__global__ void count_step_kernel(T* out, const T* np, const T* yp, int64_t n, bool bridge, double q, double n_max, CallKey ck) {
  TF_GRID_STRIDE(i, n) {
    ElementStream st(ck.key, uint64_t(i), ck.call);
    const double c = double(np[i]), yv = double(yp[i]);
    double step;
    if (bridge) {
      const double want = fmax(0.0, floor(yv + 0.5));  // round half up, clipped to [0, n_max - n]
      step = binomial_draw(st, fmin(n_max - c, want), q);
    } else {
      step = poisson_draw(st, fmax(0.0, yv) * q);
    }
    out[i] = T(fmin(n_max, fmax(0.0, c + step)));
  }
}

// Multinomial, one thread per row. The row's checks (a bad weight, an all-zero row, too few non-zero categories
// for sampling without replacement) flag the row; the draws scale the weights by the row's largest, as the CPU.
__global__ void check_multinomial(const double* p, int64_t rows, int64_t k, int64_t num, bool replacement,
                                  unsigned long long* first) {
  TF_GRID_STRIDE(r, rows) {
    double total = 0;
    int64_t nonzero = 0;
    bool bad = false;
    for (int64_t j = 0; j < k && !bad; ++j) {
      const double w = p[r * k + j];
      bad = !valid_weight(w);
      total += w;
      nonzero += w > 0;
    }
    if (bad || !(total > 0) || (!replacement && num > nonzero)) note_first(first, r);
  }
}
__global__ void multinomial_kernel(int32_t* out, const double* probs, int64_t rows, int64_t k, int64_t num,
                                   bool replacement, CallKey ck) {
  TF_GRID_STRIDE(r, rows) {
    const double* pr = probs + r * k;
    double m = 0;
    for (int64_t j = 0; j < k; ++j) m = fmax(m, pr[j]);
    ElementStream st(ck.key, uint64_t(r), ck.call);
    if (replacement) {
      double total = 0;
      for (int64_t j = 0; j < k; ++j) total += pr[j] / m;  // the CPU's last cdf entry, summed in the same order
      for (int64_t s = 0; s < num; ++s) {
        const double u = st.uniform() * total;
        // the first j whose running sum exceeds u (the CPU's upper_bound over the same running sums)
        double acc = 0;
        int64_t j = 0;
        for (; j < k; ++j) {
          acc += pr[j] / m;
          if (acc > u) break;
        }
        if (j >= k) j = k - 1;
        while (j > 0 && pr[j] == 0) --j;
        out[r * num + s] = int32_t(j);
      }
    } else {
      // Efraimidis-Spirakis: the num largest keys log(u_j) / w_j, chosen one at a time; each pass replays the row's
      // stream to recompute the keys (no per-row buffer), and takes the largest key below the last one chosen
      // (ties: the lower index first).
      const double lowest = -1.7976931348623157e308;
      double last_key = INFINITY;
      int64_t last_j = -1;
      for (int64_t s = 0; s < num; ++s) {
        ElementStream rs(ck.key, uint64_t(r), ck.call);
        double best = -INFINITY;
        int64_t bj = -1;
        for (int64_t j = 0; j < k; ++j) {
          double w = pr[j] / m, key = -INFINITY;
          if (pr[j] > 0) key = w > 0 ? fmax(log(rs.uniform_open()) / w, lowest) : lowest;
          const bool after_last = key < last_key || (key == last_key && j > last_j);
          if (after_last && (bj < 0 || key > best)) {
            best = key;
            bj = j;
          }
        }
        out[r * num + s] = int32_t(bj);
        last_key = best;
        last_j = bj;
      }
    }
  }
}

}  // namespace

bool bernoulli(const Tensor& out, const Tensor& p, const Tensor& u, Verdict* v) {
  if (!is_floating(p.dtype())) return false;
  const int64_t n = p.numel();
  if (n == 0) return true;
  const unsigned blocks = blocks_for(n, kThreads);
  TF_DISPATCH_FLOAT(p.dtype(), T, {
    const int64_t at = first_flagged([&](unsigned long long* f) { check_probs<T><<<blocks, kThreads, 0, stream()>>>(cptr<T>(p), n, f); }, "bernoulli check");
    if (at >= 0) {
      v->flag(kBadProbability, at, double(host_value(cptr<T>(p), at)));
      return true;
    }
    bernoulli_kernel<T><<<blocks, kThreads, 0, stream()>>>(ptr<T>(out), cptr<T>(p), cptr<T>(u), n);
  });
  check_launch("bernoulli");
  return true;
}

bool binomial(const Tensor& out, const Tensor& count, const Tensor& prob, const CallKey& ck, Verdict* v) {
  const int64_t n = count.numel();
  if (n == 0) return true;
  const double* c = cptr<double>(count);
  const double* p = cptr<double>(prob);
  const unsigned blocks = blocks_for(n, kThreads);
  const int64_t at = first_flagged([&](unsigned long long* f) { check_binomial<<<blocks, kThreads, 0, stream()>>>(c, p, n, f); }, "binomial check");
  if (at >= 0) {
    const double cv = host_value(c, at), pv = host_value(p, at);
    if (!valid_count(cv)) v->flag(kBadCount, at, cv);
    else v->flag(kBadProbability, at, pv);
    return true;
  }
  binomial_kernel<<<blocks, kThreads, 0, stream()>>>(ptr<double>(out), c, p, n, ck);
  check_launch("binomial");
  return true;
}

bool poisson(const Tensor& out, const Tensor& rate, const CallKey& ck, Verdict* v) {
  const int64_t n = rate.numel();
  if (n == 0) return true;
  const double* r = cptr<double>(rate);
  const unsigned blocks = blocks_for(n, kThreads);
  const int64_t at = first_flagged([&](unsigned long long* f) { check_rates<<<blocks, kThreads, 0, stream()>>>(r, n, f); }, "poisson check");
  if (at >= 0) {
    v->flag(kBadRate, at, host_value(r, at));
    return true;
  }
  poisson_kernel<<<blocks, kThreads, 0, stream()>>>(ptr<double>(out), r, n, ck);
  check_launch("poisson");
  return true;
}

bool multinomial(const Tensor& out, const Tensor& probs, bool replacement, const CallKey& ck, Verdict* v) {
  const int64_t rows = probs.size(0), k = probs.size(1), num = out.size(1);
  if (rows == 0 || num == 0) return true;
  const double* p = cptr<double>(probs);
  const unsigned blocks = blocks_for(rows, 128);
  const int64_t at = first_flagged([&](unsigned long long* f) {
    check_multinomial<<<blocks, 128, 0, stream()>>>(p, rows, k, num, replacement, f);
  }, "multinomial check");
  if (at >= 0) {
    // the CPU's tests on the offending row, in its order
    std::vector<double> row(static_cast<size_t>(k));
    allocator()->to_host(row.data(), p + at * k, size_t(k) * sizeof(double));
    double total = 0;
    int64_t nonzero = 0;
    for (int64_t j = 0; j < k; ++j) {
      if (!valid_weight(row[j])) {
        v->flag(kBadProbability, at * k + j, row[j]);
        return true;
      }
      total += row[j];
      nonzero += row[j] > 0;
    }
    if (!(total > 0)) v->flag(kZeroRow, at, total);
    else v->flag(kTooFewCategories, at, double(nonzero));
    return true;
  }
  multinomial_kernel<<<blocks, 128, 0, stream()>>>(ptr<int32_t>(out), p, rows, k, num, replacement, ck);
  check_launch("multinomial");
  return true;
}

bool count_step(CountStep kind, const Tensor& out, const Tensor& n, const Tensor& y, double q, double n_max,
                const CallKey& ck, Verdict* v) {
  if (!is_floating(n.dtype())) return false;
  const int64_t total = n.numel();
  if (total == 0) return true;
  const unsigned blocks = blocks_for(total, kThreads);
  TF_DISPATCH_FLOAT(n.dtype(), T, {
    const T* np = cptr<T>(n);
    const T* yp = cptr<T>(y);
    const int64_t at = first_flagged([&](unsigned long long* f) { check_counts<T><<<blocks, kThreads, 0, stream()>>>(np, yp, total, n_max, f); }, "count step check");
    if (at >= 0) {
      const double c = double(host_value(np, at)), yv = double(host_value(yp, at));
      if (!valid_count_state(c, n_max)) v->flag(kBadCount, at, c);
      else v->flag(kBadNetOutput, at, yv);
      return true;
    }
    count_step_kernel<T><<<blocks, kThreads, 0, stream()>>>(ptr<T>(out), np, yp, total, kind == CountStep::BinomialBridge, q,
                                                            n_max, ck);
  });
  check_launch("count step");
  return true;
}

#undef TF_GRID_STRIDE

}  // namespace cuda
}  // namespace tf
