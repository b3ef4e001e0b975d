// The engine's op surface in C++. Every op validates its inputs (clear errors with stable codes), dispatches
// on (device, dtype) to the kernel table, and, when gradients are needed, records a node whose backward is
// written with these same ops.
#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include "../core/params.h"
#include "../core/tensor.h"
#include "../cpu/kernels.h"

namespace tf {

using Dims = Shape;  // dim lists are short too (core/small_vector.h)

// ---- creation / conversion (ops/creation.cpp) ----
Tensor zeros(const Shape& s, DType dt = DType::F32);
Tensor ones(const Shape& s, DType dt = DType::F32);
Tensor full(const Shape& s, double v, DType dt = DType::F32);
Tensor arange(double start, double end, double step, DType dt);
Tensor linspace(double start, double end, int64_t steps, DType dt);
Tensor eye(int64_t n, int64_t m, DType dt);
Tensor from_buffer(const void* data, size_t nbytes, DType src, const Shape& s, DType dt);  // copies
Tensor contiguous(const Tensor& t);
Tensor clone(const Tensor& t);
Tensor to_dtype(const Tensor& t, DType dt);
Tensor to_device(const Tensor& t, Device dev);
// Copies src into dst (broadcasting src), converting dtype; no autograd. Used by in-place ops and cat.
void copy_into(const Tensor& dst, const Tensor& src);

// ---- elementwise (ops/unary.cpp, ops/binary.cpp) ----
Tensor unary(UnaryOp op, const Tensor& x, double a = 0, double b = 0);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor log1p(const Tensor& x);
Tensor expm1(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor rsqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor sign(const Tensor& x);
Tensor sin(const Tensor& x);
Tensor cos(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double slope);
Tensor elu(const Tensor& x, double alpha);
Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x, bool tanh_approx);
Tensor softplus(const Tensor& x, double beta, double threshold);
Tensor clamp(const Tensor& x, double lo, double hi);
Tensor erf(const Tensor& x);
Tensor reciprocal(const Tensor& x);
Tensor square(const Tensor& x);
Tensor pow_scalar(const Tensor& x, double p);
Tensor floor(const Tensor& x);
Tensor isfinite(const Tensor& x);

Tensor binary(BinaryOp op, const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor compare(BinaryOp op, const Tensor& a, const Tensor& b);  // uint8 result, no gradient
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor mul_scalar(const Tensor& a, double s);
Tensor add_scalar(const Tensor& a, double s);
Shape broadcast_shapes(const Shape& a, const Shape& b);
// Sums a (broadcast) gradient back down to `shape`.
Tensor sum_to(const Tensor& g, const Shape& shape);

// ---- reductions (ops/reduce.cpp) ----
Tensor sum(const Tensor& x, const Dims& dims, bool keepdim);  // empty dims: all
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim);
Tensor prod(const Tensor& x, const Dims& dims, bool keepdim);
Tensor var(const Tensor& x, const Dims& dims, double correction, bool keepdim);
Tensor std_(const Tensor& x, const Dims& dims, double correction, bool keepdim);
Tensor amax(const Tensor& x, const Dims& dims, bool keepdim);
Tensor amin(const Tensor& x, const Dims& dims, bool keepdim);
std::pair<Tensor, Tensor> max_dim(const Tensor& x, int64_t dim, bool keepdim);  // values, int32 indices
std::pair<Tensor, Tensor> min_dim(const Tensor& x, int64_t dim, bool keepdim);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim, bool all);
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim, bool all);
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim);
Tensor norm(const Tensor& x, double p, const Dims& dims, bool keepdim);
Tensor cumsum(const Tensor& x, int64_t dim);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

// ---- Fourier transforms (ops/fft.cpp): complex values are (re, im) pairs in a trailing dim of size 2, and
// `dim` counts the signal dims (not that pair); every output is multiplied by `scale` ----
Tensor fft_c2c(const Tensor& x, int64_t dim, bool inverse, double scale);  // [..., n, ..., 2] -> same shape
Tensor rfft(const Tensor& x, int64_t dim, double scale);                   // real n -> n/2 + 1 bins
Tensor irfft(const Tensor& x, int64_t dim, int64_t n, double scale);       // m bins -> real n (n <= 0: 2 (m - 1))

// ---- dense factorisations (ops/linalg.cpp), over the last two dims with batch dims in front ----
// L lower triangular with (A + A^T)/2 + jitter I = L L^T; TF_INVALID_ARGUMENT when not positive definite
Tensor cholesky(const Tensor& a, double jitter);
// X = op(T)^-1 B, T [..., n, n] upper or lower triangular (only that triangle is read), op = T or T^T, B [..., n, k]
Tensor triangular_solve(const Tensor& t, const Tensor& b, bool upper, bool transpose);

// ---- views (ops/view.cpp) ----
Tensor view(const Tensor& x, const Shape& shape);      // requires compatible strides
Tensor reshape(const Tensor& x, const Shape& shape);   // view when possible, else copy; -1 allowed
Tensor permute(const Tensor& x, const Dims& perm);
Tensor transpose(const Tensor& x, int64_t d0, int64_t d1);
Tensor expand(const Tensor& x, const Shape& shape);    // -1 keeps a size
Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step);
Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length);
Tensor squeeze(const Tensor& x, const Dims& dims);     // empty: all size-1 dims
Tensor unsqueeze(const Tensor& x, int64_t dim);
Tensor flatten(const Tensor& x, int64_t start, int64_t end);
Tensor select(const Tensor& x, int64_t dim, int64_t index);
Tensor detach_op(const Tensor& x);
// Autograd metadata rules (ops/autograd_meta.cpp), shared by every front door: only floating leaves may require
// gradients and only leaves may stop; a gradient must match its tensor's shape and dtype.
void set_requires_grad(const Tensor& x, bool on);
void set_grad(const Tensor& x, const Tensor& g);

// ---- linear algebra (ops/matmul.cpp) ----
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- convolution (ops/conv.cpp; the host kernels in cpu/host_conv.cpp: im2col + GEMM, Winograd for 3x3 stride 1
// in cpu/conv_winograd.cpp); the three ops are each other's derivatives ----
// x [N, C, H, W], w [O, C/groups, kh, kw] -> [N, O, Ho, Wo]
Tensor conv2d(const Tensor& x, const Tensor& w, const Conv2dParams& p);
// + bias [O] (undefined: none), added in the GEMM's epilogue when nothing is differentiated
Tensor conv2d(const Tensor& x, const Tensor& w, const Conv2dParams& p, const Tensor& bias);
// d<g, conv2d(x, w)>/dx: the transposed convolution of g [N, O, Ho, Wo] back to x_shape
Tensor conv2d_input_grad(const Tensor& g, const Tensor& w, const Shape& x_shape, const Conv2dParams& p);
// d<g, conv2d(x, w)>/dw
Tensor conv2d_weight_grad(const Tensor& x, const Tensor& g, const Shape& w_shape, const Conv2dParams& p);

// ---- indexing and joining (ops/index.cpp) ----
Tensor cat(const TensorList& ts, int64_t dim);
Tensor stack(const TensorList& ts, int64_t dim);
Tensor gather(const Tensor& x, int64_t dim, const Tensor& index);
Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src);
Tensor slice_backward(const Tensor& g, const Shape& in_shape, int64_t dim, int64_t start, int64_t step);
Tensor pad(const Tensor& x, const Dims& pads, const std::string& mode, double value);  // pads as in F.pad
Tensor flip(const Tensor& x, const Dims& dims);
Tensor roll(const Tensor& x, const Dims& shifts, const Dims& dims);
Tensor repeat(const Tensor& x, const Dims& reps);

// ---- random (ops/random.cpp): counter-based Philox4x32-10, thread-count independent ----
void manual_seed(uint64_t seed);
uint64_t current_seed();
struct RngState {
  uint64_t seed;   // the mixed Philox key (not the number given to manual_seed)
  uint64_t calls;  // random ops drawn so far on this thread
};
RngState get_rng_state();
void set_rng_state(const RngState& s);
Tensor rand(const Shape& s, DType dt);
Tensor randn(const Shape& s, DType dt);
Tensor randint(int64_t low, int64_t high, const Shape& s, DType dt);
Tensor bernoulli(const Tensor& p);
Tensor binomial(const Tensor& count, const Tensor& prob);
Tensor poisson(const Tensor& rate);
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement);

// ---- in-place (ops/inplace.cpp): refused on tensors that need gradients while grad mode is on ----
void add_(const Tensor& dst, const Tensor& src, double alpha);   // dst += alpha * src
void mul_(const Tensor& dst, const Tensor& src);
void copy_(const Tensor& dst, const Tensor& src);
void fill_(const Tensor& dst, double v);

// ---- normalisation (ops/norm.cpp) ----
// GroupNorm over [N, C, ...]; weight/bias [C] or undefined. Fused forward and first-order backward; higher
// order and forward mode use group_norm_composite, the same function written with ops.
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps);
Tensor group_norm_composite(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps);
// silu(group_norm(x)): one pass per group when nothing needs a gradient or tangent, the two ops otherwise.
Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps);
// The front doors' entry: group norm, followed by silu when `silu`; `composite` forces the op-by-op definition
// (tests compare the two; the fused kernels already fall back to it wherever a gradient or tangent needs it).
Tensor group_norm_op(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps, bool silu,
                     bool composite);
// group_norm (then silu when `silu`) with each sample's channels modulated after the affine: y * scale + shift,
// scale and shift [N, C] (FiLM / AdaGN). One pass over the data when nothing needs a gradient or tangent (each
// channel row modulated while in cache, rounded as the ops round it: the same bits); the ops one by one
// otherwise, or when `composite`.
Tensor group_norm_modulated(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps,
                            const Tensor& scale, const Tensor& shift, bool silu, bool composite);
// The same result (modulated when scale and shift are given, SiLU when `silu`) with uint8 codes in or out, for the
// int8 layers around the norm: out_code, the result coded as they code float32 inputs, clamp(nearbyint(y /
// scale) + zero, 0, 255), each row coded while in cache (the float32 result is never written); in_code, x is
// uint8 codes read as dequantize() decodes them, (q - zero) * scale. Float32 arithmetic; no gradient or tangent.
Tensor group_norm_coded(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& scale, const Tensor& shift, bool silu, const NormCode* in_code,
                        const NormCode* out_code);

// ---- attention (ops/attention.cpp) ----
// softmax(q k^T * scale (+ causal mask)) v over [..., L, D], [..., S, D], [..., S, Dv]; fused first-order backward,
// composite (attention_composite) for higher order and forward mode.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal);
Tensor attention_composite(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal);
// The front doors' entry: the fused kernel, or the composite when `composite` asks for it.
Tensor attention_op(const Tensor& q, const Tensor& k, const Tensor& v, double scale, bool causal, bool composite);

// ---- optimizer updates (ops/optim.cpp): fused, in place, outside autograd ----
void adam_update(const TensorList& params, const TensorList& grads, const TensorList& m, const TensorList& v,
                 const AdamHyper& h);
void sgd_update(const TensorList& params, const TensorList& grads, const TensorList& momentum_bufs, double lr,
                double momentum, double dampening, double weight_decay, bool nesterov, bool first_step);

// ---- helpers shared by op files ----
void check_same_device(const Tensor& a, const Tensor& b, const char* op);
void check_float(const Tensor& x, const char* op);
Dims normalize_dims(const Dims& dims, int64_t ndim, const char* op);  // wraps, sorts, checks duplicates

}  // namespace tf
