// The random fills and the fused steps' one pass on the GPU, one thread per Philox block. They call the block
// draws of rng/draws.h (the same functions the CPU runs, math/hd.h), so a seed gives the same tensor on both
// devices: uniforms and integers bit for bit, normals within the rounding of the device's log/sin/cos.
#include "common.cuh"
#include "entries.h"
#include "../rng/draws.h"

namespace tf {
namespace cuda {

namespace {

template <class T> __host__ __device__ constexpr int per_block() { return sizeof(T) == 4 ? 4 : 2; }  // float32: 4 draws, float64: 2

template <class T>
__global__ void uniform_kernel(T* out, int64_t n, CallKey ck) {
  constexpr int B = per_block<T>();
  const int64_t nb = (n + B - 1) / B;
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < nb; b += int64_t(gridDim.x) * blockDim.x) {
    uint32_t w[4];
    block_words(ck, uint64_t(b), w);
    for (int j = 0; j < B && b * B + j < n; ++j) {
      if constexpr (B == 4) out[b * B + j] = T(u01f(w[j]));
      else out[b * B + j] = T(u01d(w[2 * j], w[2 * j + 1]));
    }
  }
}

template <class T>
__global__ void normal_kernel(T* out, int64_t n, CallKey ck) {
  constexpr int B = per_block<T>();
  const int64_t nb = (n + B - 1) / B;
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < nb; b += int64_t(gridDim.x) * blockDim.x) {
    T z[B];
    if constexpr (B == 4) normal_block_f32(ck, uint64_t(b), z);
    else normal_block_f64(ck, uint64_t(b), z);
    for (int j = 0; j < B && b * B + j < n; ++j) out[b * B + j] = z[j];
  }
}

template <class T>
__global__ void int_kernel(T* out, int64_t n, CallKey ck, int64_t low, uint64_t range) {
  const int64_t nb = (n + 1) / 2;
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < nb; b += int64_t(gridDim.x) * blockDim.x) {
    uint32_t w[4];
    block_words(ck, uint64_t(b), w);
    for (int j = 0; j < 2 && b * 2 + j < n; ++j) {
      uint64_t r = (uint64_t(w[2 * j]) << 32) | w[2 * j + 1];
      out[b * 2 + j] = T(low + int64_t(r % range));  // as the CPU: bias <= range / 2^64
    }
  }
}

constexpr int kMaxTerms = kMaxCombineTerms;
template <class T> struct Terms {
  const T* in[kMaxTerms];
  T c[kMaxTerms];
  const T* g;  // nullptr: g = 1
  T scale;
  int k;
};

// out = sum_k c[k] in[k] (+ scale g z, z drawn as rand_normal draws): the fused step's one pass
template <class T>
__global__ void combine_kernel(T* out, int64_t n, Terms<T> p, bool noisy, CallKey ck) {
  constexpr int B = per_block<T>();
  const int64_t nb = (n + B - 1) / B;
  for (int64_t b = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; b < nb; b += int64_t(gridDim.x) * blockDim.x) {
    T z[B];
    if (noisy) {
      if constexpr (B == 4) normal_block_f32(ck, uint64_t(b), z);
      else normal_block_f64(ck, uint64_t(b), z);
    }
    for (int j = 0; j < B; ++j) {
      const int64_t i = b * B + j;
      if (i >= n) break;
      T acc = p.c[0] * p.in[0][i];
      for (int k = 1; k < p.k; ++k) acc += p.c[k] * p.in[k][i];
      if (noisy) {
        T noise = p.scale * z[j];
        if (p.g) noise *= p.g[i];
        acc += noise;
      }
      out[i] = acc;
    }
  }
}

template <class T> int64_t nblocks(int64_t n) { return (n + per_block<T>() - 1) / per_block<T>(); }

}  // namespace

bool rand_uniform(const Tensor& t, const CallKey& ck) {
  const int64_t n = t.numel();
  if (n == 0) return is_floating(t.dtype());
  TF_DISPATCH_FLOAT(t.dtype(), T, {
    uniform_kernel<T><<<blocks_for(nblocks<T>(n), kThreads), kThreads, 0, stream()>>>(ptr<T>(t), n, ck);
    check_launch("rand");
    return true;
  });
  return false;
}

bool rand_normal(const Tensor& t, const CallKey& ck) {
  const int64_t n = t.numel();
  if (n == 0) return is_floating(t.dtype());
  TF_DISPATCH_FLOAT(t.dtype(), T, {
    normal_kernel<T><<<blocks_for(nblocks<T>(n), kThreads), kThreads, 0, stream()>>>(ptr<T>(t), n, ck);
    check_launch("randn");
    return true;
  });
  return false;
}

bool rand_int(const Tensor& t, const CallKey& ck, int64_t low, uint64_t range) {
  const int64_t n = t.numel();
  if (n == 0) return true;
  TF_DISPATCH_ALL(t.dtype(), T, {
    int_kernel<T><<<blocks_for((n + 1) / 2, kThreads), kThreads, 0, stream()>>>(ptr<T>(t), n, ck, low, range);
    check_launch("randint");
    return true;
  });
  return false;
}

bool combine(const Tensor& out, const Tensor* ins, const double* c, int K, double noise_scale, const Tensor* g,
             const CallKey& ck) {
  if (K < 1 || K > kMaxTerms) return false;
  const int64_t n = out.numel();
  TF_DISPATCH_FLOAT(out.dtype(), T, {
    if (n == 0) return true;
    Terms<T> p{};
    for (int k = 0; k < K; ++k) {
      p.in[k] = ptr<T>(ins[k]);
      p.c[k] = T(c[k]);
    }
    p.g = g ? ptr<T>(*g) : nullptr;
    p.scale = T(noise_scale);
    p.k = K;
    combine_kernel<T><<<blocks_for(nblocks<T>(n), kThreads), kThreads, 0, stream()>>>(ptr<T>(out), n, p,
                                                                                    noise_scale != 0, ck);
    check_launch("combine");
    return true;
  });
  return false;
}

}  // namespace cuda
}  // namespace tf
