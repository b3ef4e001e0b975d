// The CUDA backend's whole-tensor entries (backend/backend.h documents each) and its memory, as plain C++
// declarations: backend/backend.cpp builds the backend table from these under TF_CUDA without seeing CUDA headers.
// Each entry runs on the calling thread's stream (cuda/common.cuh) and returns without waiting for the GPU.
#pragma once
#include "../backend/backend.h"
#include "../core/storage.h"

namespace tf {
namespace cuda {

// The device memory (the caching allocator of cuda/allocator.cu) with its host copies (pinned staging).
const DeviceAllocator* allocator();
// TF_DEVICE with the reason when no GPU is usable (no driver, no device, a failed initialisation).
void require_available();

// elementwise.cu
bool unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p);
bool binary(BinaryOp op, const Tensor& out, Operand a, Operand b);
bool where(const Tensor& out, Operand cond, Operand a, Operand b);
bool isfinite(const Tensor& out, const Tensor& x);
bool copy(const Tensor& out, Operand src);
bool fill(const Tensor& out, double v);
bool sequence(const Tensor& out, double start, double step, bool linspace, double end);
// reduce.cu
bool reduce(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
bool cumsum(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
// softmax.cu
bool softmax(const Tensor& out, const Tensor& x, bool log);
// matmul.cu
bool matmul(const Tensor& out, const Tensor& a, const Tensor& b);
// random.cu
bool rand_uniform(const Tensor& out, const CallKey& key);
bool rand_normal(const Tensor& out, const CallKey& key);
bool rand_int(const Tensor& out, const CallKey& key, int64_t low, uint64_t range);
bool combine(const Tensor& out, const Tensor* ins, const double* c, int k, double noise_scale, const Tensor* g,
             const CallKey& key);
// index.cu (indices int32, contiguous, checked on the device; these entries wait for the check's result)
bool gather(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v);
bool scatter_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v);
bool index_select(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v);
bool index_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v);
// draws.cu (the data-dependent draws; these entries wait for their input checks)
bool bernoulli(const Tensor& out, const Tensor& p, const Tensor& u, Verdict* v);
bool binomial(const Tensor& out, const Tensor& count, const Tensor& prob, const CallKey& key, Verdict* v);
bool poisson(const Tensor& out, const Tensor& rate, const CallKey& key, Verdict* v);
bool multinomial(const Tensor& out, const Tensor& probs, bool replacement, const CallKey& key, Verdict* v);
bool count_step(CountStep kind, const Tensor& out, const Tensor& n, const Tensor& y, double q, double n_max,
                const CallKey& key, Verdict* v);
// optim.cu
bool adam(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamHyper& h);
bool sgd(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdHyper& h);

}  // namespace cuda
}  // namespace tf
