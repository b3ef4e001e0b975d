// The random fills and the fused steps' one pass for the host backends. Counter-based (rng/draws.h): element i
// depends on (key, i) alone, so the split over the pool changes nothing, and every backend must give the same
// numbers.
#include "host_backend.h"
#include <algorithm>
#include <limits>
#include "threadpool.h"
#include "../rng/draws.h"

namespace tf {
namespace host {

namespace {

template <class F>
void blocks(int64_t n, int64_t per_block, F f) {
  int64_t nb = (n + per_block - 1) / per_block;
  parallel_for(0, nb, 1024, [&](int64_t lo, int64_t hi) {
    for (int64_t b = lo; b < hi; ++b) f(b);
  });
}

constexpr int kMaxTerms = kMaxCombineTerms;

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
void combine_plain(const Pointers<T>& p, int64_t n) {
  parallel_for(0, n, 1 << 15, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) p.out[i] = lincomb<T, K>(p, i);
  });
}

// Noise block by block exactly as randn draws it (4 float32 or 2 float64 elements per Philox block).
template <class T, int K>
void combine_noisy(const Pointers<T>& p, int64_t n, const CallKey& ck) {
  constexpr int B = sizeof(T) == 4 ? 4 : 2;
  blocks(n, B, [&](int64_t b) {
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
  });
}

template <class T, int K>
void combine_run(const Pointers<T>& p, int64_t n, bool noisy, const CallKey& ck) {
  if (noisy) combine_noisy<T, K>(p, n, ck);
  else combine_plain<T, K>(p, n);
}

}  // namespace

bool rand_uniform(const Tensor& t, const CallKey& ck) {
  int64_t n = t.numel();
  if (t.dtype() == DType::F32) {
    float* p = t.data_ptr<float>();
    blocks(n, 4, [&](int64_t b) {
      uint32_t w[4];
      block_words(ck, uint64_t(b), w);
      for (int j = 0; j < 4 && b * 4 + j < n; ++j) p[b * 4 + j] = u01f(w[j]);
    });
    return true;
  }
  if (t.dtype() != DType::F64) return false;
  double* p = t.data_ptr<double>();
  blocks(n, 2, [&](int64_t b) {
    uint32_t w[4];
    block_words(ck, uint64_t(b), w);
    for (int j = 0; j < 2 && b * 2 + j < n; ++j) p[b * 2 + j] = u01d(w[2 * j], w[2 * j + 1]);
  });
  return true;
}

bool rand_normal(const Tensor& t, const CallKey& ck) {
  int64_t n = t.numel();
  if (t.dtype() == DType::F32) {
    float* p = t.data_ptr<float>();
    blocks(n, 4, [&](int64_t b) {
      float z[4];
      normal_block_f32(ck, uint64_t(b), z);
      for (int j = 0; j < 4 && b * 4 + j < n; ++j) p[b * 4 + j] = z[j];
    });
    return true;
  }
  if (t.dtype() != DType::F64) return false;
  double* p = t.data_ptr<double>();
  blocks(n, 2, [&](int64_t b) {
    double z[2];
    normal_block_f64(ck, uint64_t(b), z);
    for (int j = 0; j < 2 && b * 2 + j < n; ++j) p[b * 2 + j] = z[j];
  });
  return true;
}

bool rand_int(const Tensor& t, const CallKey& ck, int64_t low, uint64_t range) {
  int64_t n = t.numel();
  TF_DISPATCH_ALL(t.dtype(), T, {
    T* p = t.data_ptr<T>();
    blocks(n, 2, [&](int64_t b) {
      uint32_t w[4];
      block_words(ck, uint64_t(b), w);
      for (int j = 0; j < 2 && b * 2 + j < n; ++j) {
        uint64_t r = (uint64_t(w[2 * j]) << 32) | w[2 * j + 1];
        p[b * 2 + j] = T(low + int64_t(r % range));  // bias <= range / 2^64
      }
    });
  });
  return true;
}

bool combine(const Tensor& out, const Tensor* ins, const double* c, int K, double noise_scale, const Tensor* g,
             const CallKey& ck) {
  if (K < 1 || K > kMaxTerms) return false;
  const int64_t n = out.numel();
  const bool noisy = noise_scale != 0;
  bool done = false;
  TF_DISPATCH_FLOAT(out.dtype(), T, {
    Pointers<T> p{};
    for (int k = 0; k < K; ++k) {
      p.in[k] = ins[k].data_ptr<T>();
      p.c[k] = T(c[k]);
    }
    p.g = g ? g->data_ptr<T>() : nullptr;
    p.scale = T(noise_scale);
    p.out = out.data_ptr<T>();
    switch (K) {
      case 1: combine_run<T, 1>(p, n, noisy, ck); break;
      case 2: combine_run<T, 2>(p, n, noisy, ck); break;
      case 3: combine_run<T, 3>(p, n, noisy, ck); break;
      case 4: combine_run<T, 4>(p, n, noisy, ck); break;
      default: combine_run<T, 5>(p, n, noisy, ck); break;
    }
    done = true;
  });
  return done;
}

}  // namespace host
}  // namespace tf
