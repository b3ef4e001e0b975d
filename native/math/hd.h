// Marks code that is compiled for both the host and (in the CUDA build) the device, so one definition of a
// per-element function serves the CPU reference kernels, the CUDA kernels and the host tests.
//   TF_HD      __host__ __device__ under nvcc, nothing under a plain C++ compiler.
//   TF_M(f)    the math function f: std::f on the host (so the CPU results stay exactly what they were with
//              <cmath>), CUDA's global overloads (::f, float and double) in the device pass.
#pragma once
#include <cmath>

#if defined(__CUDACC__)
#define TF_HD __host__ __device__
#else
#define TF_HD
#endif

#if defined(__CUDA_ARCH__)
#define TF_M(f) ::f
#else
#define TF_M(f) std::f
#endif

// Unrolls a short constant loop in device code (registers instead of local memory); nothing on the host.
#if defined(__CUDA_ARCH__)
#define TF_UNROLL _Pragma("unroll")
#else
#define TF_UNROLL
#endif
