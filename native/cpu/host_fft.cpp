// The FFT entry of the host backends. 'ref' runs the naive DFT (cpu/ref/dft.cpp). 'cpu' gathers the transforms
// L at a time into lane-interleaved scratch, runs the ISA's FFT row (cpu/simd/fft.inc) and scatters the result,
// split over the pool by groups of transforms. Real transforms ride two to a complex one: signal a in the real
// parts, signal b in the imaginary parts, separated after (R2C) or joined before (C2R) by hermitian symmetry, so
// a real transform costs half a complex one for any n.
#include "host_backend.h"
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include "fft_cache.h"
#include "ref/dft.h"
#include "threadpool.h"

namespace tf {
namespace host {

namespace {

// Each thread's scratch, kept between calls: freeing and re-taking it per call made glibc trim and regrow its
// heap, so every call paid fresh-page faults (a third of the time of a 1024 x 256 transform). Blocks above
// kKeepScratch are freed after the call, so what stays is at most that per pool thread.
constexpr size_t kKeepScratch = size_t(8) << 20;
struct Scratch {
  char* p = nullptr;
  size_t cap = 0;
  ~Scratch() { std::free(p); }
  char* get(size_t bytes) {
    if (bytes > cap) {
      std::free(p);
      p = static_cast<char*>(std::aligned_alloc(64, bytes));
      cap = p ? bytes : 0;
    }
    return p;
  }
  void trim() {
    if (cap > kKeepScratch) { std::free(p); p = nullptr; cap = 0; }
  }
};
thread_local Scratch t_scratch;

int64_t round64(int64_t b) { return (b + 63) / 64 * 64; }
constexpr int64_t kMaxLanes = 16;  // the widest row's lanes (AVX-512 float32)

template <typename S>
struct Job {
  const S* x;
  S* y;
  int64_t O, n, I, m, L, T;
  FftParams p;
  const cpu::FftPlan* plan;
  cpu::FftFn row;

  // transform t's (o, i) as the offset of its first element in a [O, len, I] layout
  int64_t base(int64_t t, int64_t len) const { return (t / I) * len * I + t % I; }

  // Scratch <-> tensor copies run j-outer, lane-inner: the scratch side is written (read) in order, and the
  // tensor side is L sequential streams (I = 1) or one contiguous run per j (I >= L), never a stride of L.
  // Lanes past the last transform (t >= T) read as zero and are not written back.
  void load(int64_t t0, int64_t len, int64_t pair, S* re, S* im) const {
    const S* src[kMaxLanes];
    int64_t la = 0;
    for (; la < L && t0 + la < T; ++la) src[la] = x + base(t0 + la, len) * pair;
    const int64_t st = I * pair;
    for (int64_t j = 0; j < len; ++j) {
      S* r = re + j * L;
      if (im) {
        S* q = im + j * L;
        for (int64_t l = 0; l < la; ++l) { r[l] = src[l][j * st]; q[l] = src[l][j * st + 1]; }
        for (int64_t l = la; l < L; ++l) r[l] = q[l] = 0;
      } else {
        for (int64_t l = 0; l < la; ++l) r[l] = src[l][j * st];
        for (int64_t l = la; l < L; ++l) r[l] = 0;
      }
    }
  }

  void c2c(int64_t g, S* re, S* im, char* work) const {
    load(g * L, n, 2, re, im);
    // the inverse: the forward transform of the swapped parts
    if (p.inverse) row(plan, L, reinterpret_cast<char*>(im), reinterpret_cast<char*>(re), work);
    else row(plan, L, reinterpret_cast<char*>(re), reinterpret_cast<char*>(im), work);
    S* dst[kMaxLanes];
    int64_t la = 0;
    for (; la < L && g * L + la < T; ++la) dst[la] = y + base(g * L + la, n) * 2;
    const S sc = S(p.scale);
    const int64_t st = I * 2;
    for (int64_t j = 0; j < n; ++j)
      for (int64_t l = 0; l < la; ++l) { dst[l][j * st] = re[j * L + l] * sc; dst[l][j * st + 1] = im[j * L + l] * sc; }
  }

  // lane l carries transforms a = g 2L + l (real parts) and b = g 2L + L + l (imaginary parts)
  void r2c(int64_t g, S* re, S* im, char* work) const {
    load(g * 2 * L, n, 1, re, nullptr);
    load(g * 2 * L + L, n, 1, im, nullptr);
    row(plan, L, reinterpret_cast<char*>(re), reinterpret_cast<char*>(im), work);
    // A_k = (Z_k + conj Z_(n-k)) / 2, B_k = (Z_k - conj Z_(n-k)) / 2i
    const int64_t h = n / 2 + 1;
    S* da[kMaxLanes];
    S* db[kMaxLanes];
    int64_t na = 0, nb = 0;
    for (; na < L && g * 2 * L + na < T; ++na) da[na] = y + base(g * 2 * L + na, h) * 2;
    for (; nb < L && g * 2 * L + L + nb < T; ++nb) db[nb] = y + base(g * 2 * L + L + nb, h) * 2;
    const S hs = S(0.5 * p.scale);
    const int64_t st = I * 2;
    for (int64_t k = 0; k < h; ++k) {
      const int64_t nk = k == 0 ? 0 : n - k;
      const S *zr = re + k * L, *zi = im + k * L, *wr = re + nk * L, *wi = im + nk * L;
      for (int64_t l = 0; l < na; ++l) { da[l][k * st] = (zr[l] + wr[l]) * hs; da[l][k * st + 1] = (zi[l] - wi[l]) * hs; }
      for (int64_t l = 0; l < nb; ++l) { db[l][k * st] = (zi[l] + wi[l]) * hs; db[l][k * st + 1] = (wr[l] - zr[l]) * hs; }
    }
  }

  void c2r(int64_t g, S* re, S* im, char* work) const {
    // Z_k = A_k + i B_k over the full hermitian extensions of both half spectra: bins k <= n/2 from the input
    // (those past `used` zero), the rest their conjugates, DC and Nyquist imaginary parts dropped
    const int64_t used = std::min(m, n / 2 + 1);
    const S* sa[kMaxLanes];
    const S* sb[kMaxLanes];
    int64_t na = 0, nb = 0;
    for (; na < L && g * 2 * L + na < T; ++na) sa[na] = x + base(g * 2 * L + na, m) * 2;
    for (; nb < L && g * 2 * L + L + nb < T; ++nb) sb[nb] = x + base(g * 2 * L + L + nb, m) * 2;
    const int64_t st = I * 2;
    for (int64_t k = 0; k < n; ++k) {
      const bool upper = k > n / 2;
      const int64_t kk = upper ? n - k : k;
      const bool real_bin = kk == 0 || 2 * kk == n;
      S* r = re + k * L;
      S* q = im + k * L;
      for (int64_t l = 0; l < L; ++l) r[l] = q[l] = 0;
      if (kk >= used) continue;
      const S sg = upper ? S(-1) : S(1);
      for (int64_t l = 0; l < na; ++l) {  // A_k
        r[l] = sa[l][kk * st];
        q[l] = real_bin ? S(0) : sg * sa[l][kk * st + 1];
      }
      for (int64_t l = 0; l < nb; ++l) {  // + i B_k
        r[l] -= real_bin ? S(0) : sg * sb[l][kk * st + 1];
        q[l] += sb[l][kk * st];
      }
    }
    row(plan, L, reinterpret_cast<char*>(im), reinterpret_cast<char*>(re), work);  // inverse: swapped parts
    S* da[kMaxLanes];
    S* db[kMaxLanes];
    for (int64_t l = 0; l < na; ++l) da[l] = y + base(g * 2 * L + l, n);
    for (int64_t l = 0; l < nb; ++l) db[l] = y + base(g * 2 * L + L + l, n);
    const S sc = S(p.scale);
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t l = 0; l < na; ++l) da[l][j * I] = re[j * L + l] * sc;
      for (int64_t l = 0; l < nb; ++l) db[l][j * I] = im[j * L + l] * sc;
    }
  }

  void run() const {
    const bool real = p.kind != FftParams::C2C;
    const int64_t per = real ? 2 * L : L;  // transforms per group
    const int64_t groups = (T + per - 1) / per;
    const int64_t buf = round64(n * L * int64_t(sizeof(S)));
    const int64_t wbytes = round64(2 * plan->work_elems * L * int64_t(sizeof(S)));
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(n * L, 1));
    std::atomic<bool> no_memory{false};
    parallel_for(0, groups, grain, [&](int64_t lo, int64_t hi) {
      // scratch outside the engine's allocator: per thread, transient
      char* mem = t_scratch.get(size_t(2 * buf + wbytes));
      if (!mem) { no_memory = true; return; }
      S* re = reinterpret_cast<S*>(mem);
      S* im = reinterpret_cast<S*>(mem + buf);
      char* work = mem + 2 * buf;
      for (int64_t g = lo; g < hi; ++g) {
        if (p.kind == FftParams::C2C) c2c(g, re, im, work);
        else if (p.kind == FftParams::R2C) r2c(g, re, im, work);
        else c2r(g, re, im, work);
      }
      t_scratch.trim();
    });
    TF_CHECK(!no_memory, OutOfMemory, "fft: could not allocate ", 2 * buf + wbytes, " bytes of scratch");
  }
};

}  // namespace

bool fft(const Tensor& out, const Tensor& x, int64_t O, int64_t n, int64_t I, int64_t m, const FftParams& p) {
  DType dt = x.dtype();
  if (dt != DType::F32 && dt != DType::F64) return false;
  if (O * I == 0) return true;
  if (!current_backend().fast_paths) {
    cpu::dft_reference(dt, x.raw_ptr(), out.raw_ptr(), O, n, I, m, p);
    return true;
  }
  const cpu::KernelTable& kt = backend_kernels();
  cpu::FftPlanRef plan = cpu::fft_plan(n);
  const int64_t L = kt.fft_lanes[int(dt)];
  TF_CHECK(L >= 1 && L <= kMaxLanes, Internal, "fft: a kernel row with ", L, " lanes");
  if (dt == DType::F32) {
    Job<float>{reinterpret_cast<const float*>(x.raw_ptr()), reinterpret_cast<float*>(out.raw_ptr()), O, n, I, m, L,
               O * I, p, plan.get(), kt.fft[0]}.run();
  } else {
    Job<double>{reinterpret_cast<const double*>(x.raw_ptr()), reinterpret_cast<double*>(out.raw_ptr()), O, n, I, m,
                L, O * I, p, plan.get(), kt.fft[1]}.run();
  }
  return true;
}

}  // namespace host
}  // namespace tf
