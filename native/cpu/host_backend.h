// The whole-tensor entries of the host backends ('cpu' and 'ref'), one file per family (cpu/host_<family>.cpp):
// each calls the current backend's kernel rows and splits over the pool when the backend threads. See
// backend/backend.h for the contract.
#pragma once
#include "../backend/backend.h"

namespace tf {
namespace host {

// The GEMM rows a float matmul of dtype dt runs with: the table's, or the bf16 ones when the matmul precision is
// 'bf16' (cpu/dispatch.h).
cpu::GemmFn gemm_fn(DType dt);
// The host GEMM driver the host entries share (cpu/host_matmul.cpp): C[M,N] (row stride ldc) (+)= A B with
// operands by element strides, on gemm_fn(dt), split across the pool (inline when called from a pool task). Raw:
// no autograd.
void gemm_into(DType dt, int64_t M, int64_t N, int64_t K, const char* A, int64_t rsA, int64_t csA, const char* B,
               int64_t rsB, int64_t csB, char* C, int64_t ldc, bool accumulate);

bool unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p);
bool binary(BinaryOp op, const Tensor& out, Operand a, Operand b);
bool where(const Tensor& out, Operand cond, Operand a, Operand b);
bool isfinite(const Tensor& out, const Tensor& x);
bool copy(const Tensor& out, Operand src);
bool fill(const Tensor& out, double v);
bool sequence(const Tensor& out, double start, double step, bool linspace, double end);
// cpu/host_reduce.cpp
bool reduce(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
bool cumsum(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
// cpu/host_matmul.cpp
bool matmul(const Tensor& out, const Tensor& a, const Tensor& b);
bool softmax(const Tensor& out, const Tensor& x, bool log);
// cpu/host_fft.cpp
bool fft(const Tensor& out, const Tensor& x, int64_t O, int64_t n, int64_t I, int64_t m, const FftParams& p);
// cpu/host_linalg.cpp
bool cholesky(const Tensor& l, const Tensor& a, int64_t batch, int64_t n, double jitter, Verdict* v);
bool trisolve(const Tensor& x, const Tensor& t, const Tensor& b, int64_t batch, int64_t n, int64_t k,
              const TriSolveParams& p, Verdict* v);
// cpu/host_random.cpp
bool rand_uniform(const Tensor& out, const CallKey& key);
bool rand_normal(const Tensor& out, const CallKey& key);
bool rand_int(const Tensor& out, const CallKey& key, int64_t low, uint64_t range);
bool combine(const Tensor& out, const Tensor* ins, const double* c, int k, double noise_scale, const Tensor* g,
             const CallKey& key);

// cpu/host_draws.cpp
bool bernoulli(const Tensor& out, const Tensor& p, const Tensor& u, Verdict* v);
bool binomial(const Tensor& out, const Tensor& count, const Tensor& prob, const CallKey& key, Verdict* v);
bool poisson(const Tensor& out, const Tensor& rate, const CallKey& key, Verdict* v);
bool multinomial(const Tensor& out, const Tensor& probs, bool replacement, const CallKey& key, Verdict* v);
bool count_step(CountStep kind, const Tensor& out, const Tensor& n, const Tensor& y, double q, double n_max,
                const CallKey& key, Verdict* v);
// cpu/host_conv.cpp
bool conv2d(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p);
bool conv2d_input_grad(const Tensor& dx, const Tensor& gy, const Tensor& w, const Conv2dParams& p);
bool conv2d_weight_grad(const Tensor& dw, const Tensor& x, const Tensor& gy, const Conv2dParams& p);
// cpu/host_norm.cpp
bool group_norm(const Tensor& y, const Tensor& stats, const Tensor& x, int64_t G, const Tensor* w, const Tensor* b,
                double eps, bool silu, const Tensor* mod_scale, const Tensor* mod_shift, const NormCode* code,
                const NormCode* in_code);
bool group_norm_backward(const Tensor& dx, const Tensor* dw, const Tensor* db, const Tensor& gy, const Tensor& x,
                         const Tensor& stats, int64_t G, const Tensor* w, const Tensor* b, bool silu);
bool group_norm_tangent(const Tensor& dy, const Tensor& x, const Tensor& stats, int64_t G, const Tensor* w,
                        const Tensor* tx, const Tensor* tw, const Tensor* tb);
// cpu/host_attention.cpp
bool attention(const Tensor& out, const Tensor& P, const Tensor& q, const Tensor& k, const Tensor& v, double scale,
               bool causal);
bool attention_backward(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& gy, const Tensor& P,
                        const Tensor& q, const Tensor& k, const Tensor& v, double scale);
// cpu/host_index.cpp
bool gather(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v);
bool scatter_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v);
bool index_select(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v);
bool index_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v);
// cpu/host_optim.cpp
bool adam(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamHyper& h);
bool sgd(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdHyper& h);
// cpu/host_int8.cpp
bool quantize(const Tensor& q, const Tensor& x, const ChannelCoding& cc);
bool dequantize(const Tensor& y, const Tensor& q, const ChannelCoding& cc);
bool requantize(const Tensor& y, const Tensor& q, double mult, int64_t in_zero, int64_t out_zero, double lo, double hi);
bool fake_quantize(const Tensor& y, const Tensor& inside, const Tensor* coef_s, const Tensor* coef_z, const Tensor& x,
                   const ChannelCoding& cc);
bool int8_range(const Tensor& x, double* lo, double* hi);
const char* int8_layout();
double int8_peak(double seconds);
int64_t int8_packed_bytes(int64_t N, int64_t K);
void int8_pack(const PackedInt8& p, const Tensor& w);
bool int8_linear(const Tensor& out, const Tensor& codes, const PackedInt8& w, const Int8Finish& f);
bool int8_conv2d(const Tensor& out, const Tensor& x, double x_scale, int64_t x_zero, const PackedInt8& w, int64_t kh,
                 int64_t kw, const Conv2dParams& p, const Int8Finish& f);

}  // namespace host
}  // namespace tf
