// The readable reference for the FFT kernels: each output by the DFT's definition, O(n^2) per transform, sums
// in double, exp(-+2 pi i jk / n) from a table indexed by jk mod n (so no large angle is ever evaluated). The
// 'ref' backend runs it; test/fft.test.ts checks every FFT row against it and against a float64 DFT in JS.
#pragma once
#include <cstdint>
#include "../../core/dtype.h"
#include "../../core/params.h"

namespace tf {
namespace cpu {

// Layouts and semantics as Backend::fft (backend/backend.h); x and out contiguous, float32 or float64.
void dft_reference(DType dt, const char* x, char* out, int64_t O, int64_t n, int64_t I, int64_t m, const FftParams& p);

}  // namespace cpu
}  // namespace tf
