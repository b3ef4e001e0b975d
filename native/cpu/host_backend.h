// The whole-tensor entries of the host backends (elementwise here; reductions in cpu/host_reduce.cpp) ('cpu' and 'ref'): one strided loop over the output calling the
// current backend's rows, split over the pool when the backend threads. See backend/backend.h for the contract.
#pragma once
#include "../backend/backend.h"

namespace tf {
namespace host {

bool unary(cpu::UnaryOp op, const Tensor& out, const Tensor& x, const cpu::UnaryParams& p);
bool binary(cpu::BinaryOp op, const Tensor& out, Operand a, Operand b);
bool where(const Tensor& out, Operand cond, Operand a, Operand b);
bool isfinite(const Tensor& out, const Tensor& x);
bool copy(const Tensor& out, Operand src);
// cpu/host_reduce.cpp
bool reduce(cpu::ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
bool cumsum(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
// cpu/host_matmul.cpp
bool matmul(const Tensor& out, const Tensor& a, const Tensor& b);
bool softmax(const Tensor& out, const Tensor& x, bool log);
// cpu/host_random.cpp
bool rand_uniform(const Tensor& out, const CallKey& key);
bool rand_normal(const Tensor& out, const CallKey& key);
bool rand_int(const Tensor& out, const CallKey& key, int64_t low, uint64_t range);
bool combine(const Tensor& out, const Tensor* ins, const double* c, int k, double noise_scale, const Tensor* g,
             const CallKey& key);

}  // namespace host
}  // namespace tf
