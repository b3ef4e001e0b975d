// Building FFT plans (cpu/fft_plan.h) and caching them by length (cpu/fft_cache.h). Twiddles and chirps are
// computed in double from exactly reduced angles (q mod L before the division), then rounded once to float.
#include "fft_cache.h"
#include <cmath>
#include <list>
#include <mutex>
#include <vector>
#include "kernels.h"

namespace tf {
namespace cpu {

struct FftPlanStore {
  FftPlan plan{};
  std::vector<FftStage> stages;
  std::vector<double> d;  // every double array of the plan, one after another
  std::vector<float> f;   // their float copies, at the same offsets
  std::shared_ptr<const FftPlanStore> inner;
};

FftPlanRef::FftPlanRef(std::shared_ptr<const FftPlanStore> s) : store_(std::move(s)), plan_(&store_->plan) {}

namespace {

constexpr double kTwoPi = 6.283185307179586476925286766559;

// exp(-2 pi i q / L) for 0 <= q < L
void unit_root(int64_t q, int64_t L, double* re, double* im) {
  double a = kTwoPi * double(q) / double(L);
  *re = std::cos(a);
  *im = -std::sin(a);
}

std::vector<int> factorize(int64_t n) {
  std::vector<int> f;
  while (n % 4 == 0) { f.push_back(4); n /= 4; }
  if (n % 2 == 0) { f.push_back(2); n /= 2; }
  for (int64_t p = 3; p * p <= n; p += 2)
    while (n % p == 0) { f.push_back(int(p)); n /= p; }
  if (n > 1) f.push_back(int(n));  // n is now prime (or 1)
  return f;
}

std::shared_ptr<FftPlanStore> build(int64_t n);

std::shared_ptr<FftPlanStore> build_direct(int64_t n, const std::vector<int>& factors) {
  auto s = std::make_shared<FftPlanStore>();
  // offsets first, pointers after every push (the vectors must not move afterwards)
  struct Off { size_t tw, wp; };
  std::vector<Off> off;
  int64_t lprev = 1;
  for (int p : factors) {
    int64_t L = lprev * p;
    Off o{s->d.size(), 0};
    for (int64_t k1 = 0; k1 < lprev; ++k1)
      for (int q = 1; q < p; ++q) {
        double re, im;
        unit_root((q * k1) % L, L, &re, &im);
        s->d.push_back(re);
        s->d.push_back(im);
      }
    o.wp = s->d.size();
    for (int q = 0; q < p; ++q) {
      double re, im;
      unit_root(q, p, &re, &im);
      s->d.push_back(re);
      s->d.push_back(im);
    }
    off.push_back(o);
    FftStage st{};
    st.p = p;
    st.lprev = lprev;
    st.r = n / L;
    s->stages.push_back(st);
    lprev = L;
  }
  s->f.assign(s->d.begin(), s->d.end());
  for (size_t k = 0; k < s->stages.size(); ++k) {
    s->stages[k].tw64 = s->d.data() + off[k].tw;
    s->stages[k].tw32 = s->f.data() + off[k].tw;
    s->stages[k].wp64 = s->d.data() + off[k].wp;
    s->stages[k].wp32 = s->f.data() + off[k].wp;
  }
  s->plan.n = n;
  s->plan.nstages = int(s->stages.size());
  s->plan.stages = s->stages.data();
  s->plan.work_elems = n;
  return s;
}

std::shared_ptr<FftPlanStore> build_bluestein(int64_t n) {
  int64_t m = 1;
  while (m < 2 * n - 1) m *= 2;
  auto s = std::make_shared<FftPlanStore>();
  s->inner = build(m);
  const FftPlan& inner = s->inner->plan;
  s->d.resize(size_t(2 * n + 2 * m));
  double* chirp = s->d.data();
  double* filt = chirp + 2 * n;
  for (int64_t k = 0; k < n; ++k) {
    // exp(-i pi k^2 / n) = exp(-2 pi i (k^2 mod 2n) / 2n); k^2 mod 2n without overflow for any n < 2^31
    int64_t q = int64_t((unsigned __int128)(k) * k % uint64_t(2 * n));
    unit_root(q, 2 * n, &chirp[2 * k], &chirp[2 * k + 1]);
  }
  // b_l = conj(c_|l|) for |l| < n, wrapped cyclically; filt = FFT_m(b) / m (the scalar double row)
  std::vector<double> br(m, 0.0), bi(m, 0.0), work(2 * inner.work_elems, 0.0);
  for (int64_t k = 0; k < n; ++k) {
    br[k] = chirp[2 * k];
    bi[k] = -chirp[2 * k + 1];
    if (k > 0) { br[m - k] = br[k]; bi[m - k] = bi[k]; }
  }
  static KernelTable scalar = [] { KernelTable t{}; fill_fft_scalar(t); return t; }();
  scalar.fft[1](&inner, 1, reinterpret_cast<char*>(br.data()), reinterpret_cast<char*>(bi.data()),
                reinterpret_cast<char*>(work.data()));
  for (int64_t k = 0; k < m; ++k) {
    filt[2 * k] = br[k] / double(m);
    filt[2 * k + 1] = bi[k] / double(m);
  }
  s->f.assign(s->d.begin(), s->d.end());
  s->plan.n = n;
  s->plan.nstages = 0;
  s->plan.stages = nullptr;
  s->plan.inner = &inner;
  s->plan.m = m;
  s->plan.chirp64 = chirp;
  s->plan.chirp32 = s->f.data();
  s->plan.filt64 = filt;
  s->plan.filt32 = s->f.data() + 2 * n;
  s->plan.work_elems = 2 * m;
  return s;
}

std::shared_ptr<FftPlanStore> build(int64_t n) {
  std::vector<int> f = factorize(n);
  if (!f.empty() && f.back() > kMaxDirectRadix) return build_bluestein(n);
  return build_direct(n, f);
}

}  // namespace

FftPlanRef fft_plan(int64_t n) {
  static std::mutex mu;
  static std::list<std::pair<int64_t, std::shared_ptr<const FftPlanStore>>> lru;  // most recent first
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = lru.begin(); it != lru.end(); ++it)
      if (it->first == n) {
        lru.splice(lru.begin(), lru, it);
        return FftPlanRef(lru.front().second);
      }
  }
  std::shared_ptr<const FftPlanStore> s = build(n);  // outside the lock: a long build does not stall others
  std::lock_guard<std::mutex> lock(mu);
  lru.emplace_front(n, s);
  if (int(lru.size()) > kFftCacheSize) lru.pop_back();
  return FftPlanRef(s);
}

}  // namespace cpu
}  // namespace tf
