// A plan for complex DFTs of one length n, as the FFT kernel rows (cpu/simd/fft.inc) read it. Plain data, no STL:
// the SIMD translation units include this. Plans are built once per length and cached (cpu/fft_cache.h).
//
// Direct lengths run a Stockham autosort FFT over n's factors (radix 4, 2, 3, and a generic radix for other
// primes). A length with a prime factor above kMaxDirectRadix runs Bluestein's algorithm instead: a chirp
// multiply, a cyclic convolution of power-of-two length m >= 2n - 1 (two direct FFTs of the `inner` plan), and a
// second chirp multiply, so every length costs O(n log n).
#pragma once
#include <stdint.h>

namespace tf {
namespace cpu {

constexpr int kMaxDirectRadix = 64;

// One Stockham pass: sub-transforms of length lprev (done so far) are merged p at a time into length lprev * p;
// r = n / (lprev * p) interleaved sequences remain. tw: (re, im) of W_{lprev p}^{s k1} at (k1 (p - 1) + s - 1),
// k1 < lprev, 1 <= s < p. wp: (re, im) of W_p^q, q < p (used by the generic radix). W_L = exp(-2 pi i / L).
struct FftStage {
  int p;
  int64_t lprev, r;
  const double* tw64;
  const float* tw32;
  const double* wp64;
  const float* wp32;
};

struct FftPlan {
  int64_t n;
  int nstages;
  const FftStage* stages;  // direct plans
  // Bluestein plans: chirp c_k = exp(-i pi k^2 / n) (k < n) as (re, im) pairs; filt = FFT_m(b) / m, b the
  // conjugate chirp wrapped cyclically, as (re, im) pairs of length m.
  const FftPlan* inner;  // null for direct plans
  int64_t m;
  const double* chirp64;
  const float* chirp32;
  const double* filt64;
  const float* filt32;
  // Scratch a kernel row needs, in complex elements per lane, beside the n in/out elements.
  int64_t work_elems;
};

}  // namespace cpu
}  // namespace tf
