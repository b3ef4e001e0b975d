// The readable references for the dense factorisations: Cholesky-Banachiewicz and substitution, one matrix at a
// time, every sum in double. The 'ref' backend runs them; test/linalg-ops.test.ts checks the 'cpu' paths against
// them and both against float64 closed forms.
#pragma once
#include <cstdint>
#include "../../core/dtype.h"
#include "../../core/params.h"

namespace tf {
namespace cpu {

// Returns 0, or 1 (not positive definite, *bad = the pivot) / 2 (singular, *bad = the diagonal entry).
int cholesky_reference(DType dt, const char* a, char* l, int64_t n, double jitter, double* bad);
int trisolve_reference(DType dt, const char* t, const char* b, char* x, int64_t n, int64_t k, const TriSolveParams& p,
                       double* bad);

}  // namespace cpu
}  // namespace tf
