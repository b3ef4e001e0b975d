// The backends this build runs, one per device, and what each may use. The op layer does checks and autograd,
// then runs on the backend of the current call's device (core/context.h: the device of the call's tensors).
//
// Where this stands: 'cpu' and 'ref' are host backends (host memory; they share the host implementations in
// cpu/host_*.cpp). 'cpu' runs the CPUID-chosen kernel rows, the thread pool and every special path (Winograd);
// 'ref' the scalar reference rows, one thread, the plain algorithms only, so the conformance suite runs on it
// against 'cpu'. Every family is a whole-tensor entry below: the op layer checks and records autograd, then
// calls one entry, and a CUDA backend implements the same entries as kernels. Only from_buffer (it reads JS
// memory into a new host tensor) and the kernel-table handles (`kernels`, for the ISA tests) stay host-side.
#pragma once
#include "../core/params.h"
#include "../core/tensor.h"
#include "../cpu/kernels.h"
#include "../quant/int8_types.h"

namespace tf {

struct CallKey;  // rng/draws.h: one random call's Philox key and call id

constexpr int kMaxCombineTerms = 5;  // the most terms a fused step's one pass combines

// An input as a whole-tensor entry reads it: over the output's shape, with its own element strides (0 along a
// broadcast dim), so broadcasting copies nothing.
struct Operand {
  const Tensor& t;
  const Shape& strides;
};

// What a data-dependent entry found wrong in its inputs, for the op layer to word: `code` 0 when all was well,
// else an entry-specific reason (the enums below), the flat index of the first offender met and its value.
// Which offender is "first" may depend on threading; that an error is raised does not.
struct Verdict {
  int code = 0;
  int64_t at = -1;
  double value = 0;
  void flag(int c, int64_t i, double v) {
    if (code == 0) { code = c; at = i; value = v; }
  }
};
enum DrawProblem { kBadProbability = 1, kBadCount, kBadRate, kZeroRow, kTooFewCategories, kBadIndex, kBadNetOutput };
// What a factorisation found: `at` the matrix (batch index), `value` the offending pivot or diagonal entry.
enum LinalgProblem { kNotPositiveDefinite = 1, kSingular };
enum class CountStep { BinomialBridge, TauLeap };

struct Backend {
  Device device;
  const char* name;
  const cpu::KernelTable& (*kernels)();  // host backends: the rows the op layer's loops call (families not yet
                                         // behind whole-tensor entries)
  bool threaded;                         // may split work over the thread pool
  bool fast_paths;                       // may choose algorithms beyond the reference's (Winograd)

  // Whole-tensor entries, the elementwise family. The op layer has checked shapes, dtypes and devices and made
  // `out` on this device; each returns false when the backend has no kernel for the dtypes (the op layer then
  // says TF_DTYPE). `out` may alias an operand element for element (in-place updates).
  bool (*unary)(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p);
  bool (*binary)(BinaryOp op, const Tensor& out, Operand a, Operand b);  // a, b of one dtype; out that or uint8
  bool (*where)(const Tensor& out, Operand cond, Operand a, Operand b);       // cond uint8
  bool (*isfinite)(const Tensor& out, const Tensor& x);                      // out uint8
  bool (*copy)(const Tensor& out, Operand src);                              // any dtype to any dtype

  // Reductions and scans: x contiguous, viewed as [O, R, I]; reduce over R into out [O, I] (argmax/argmin write
  // int32), or scan along R into out [O, R, I]. R > 0.
  bool (*reduce)(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);
  bool (*cumsum)(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I);

  // Batched matmul: out [..., M, N] contiguous = a [..., M, K] b [..., K, N], a and b already expanded to out's
  // batch dims (strides 0 where broadcast; any strides in the last two). Softmax (or log-softmax) of the
  // contiguous rows of x (the last dim) into out.
  bool (*matmul)(const Tensor& out, const Tensor& a, const Tensor& b);
  bool (*softmax)(const Tensor& out, const Tensor& x, bool log);

  // Discrete Fourier transforms along the middle axis of contiguous float tensors viewed [O, n, I] (real) or
  // [O, n, I, 2] (complex): C2C x [O, n, I, 2] -> out [O, n, I, 2]; R2C x [O, n, I] -> out [O, n/2 + 1, I, 2];
  // C2R x [O, m, I, 2] -> out [O, n, I], the real signal of the hermitian spectrum whose first min(m, n/2 + 1)
  // entries are x's (the rest zero; the imaginary parts of the DC and, n even, Nyquist terms ignored). n >= 1.
  bool (*fft)(const Tensor& out, const Tensor& x, int64_t O, int64_t n, int64_t I, int64_t m, const FftParams& p);

  // Dense factorisations of `batch` contiguous n x n float matrices. cholesky: L (lower, upper part zero) with
  // sym(a) + jitter I = L L^T, where sym(a)_ij = (a_ij + a_ji) * 0.5 in a's precision (both triangles are read, so
  // the op needs no separate symmetrising pass); a pivot that is not > 0 (or not finite) flags
  // kNotPositiveDefinite. trisolve: x [batch, n, k] = op(t)^-1 b, t [batch, n, n] triangular, b [batch, n, k]
  // (x may be b); a zero diagonal entry flags kSingular.
  bool (*cholesky)(const Tensor& l, const Tensor& a, int64_t batch, int64_t n, double jitter, Verdict* v);
  bool (*trisolve)(const Tensor& x, const Tensor& t, const Tensor& b, int64_t batch, int64_t n, int64_t k,
                   const TriSolveParams& p, Verdict* v);

  // Random fills of a contiguous out, counter-based (rng/draws.h): element i depends on (key, i) alone, so every
  // backend gives the same numbers for the same generator state. Uniform [0, 1) and standard normal (float
  // dtypes); integers low + r mod range (any dtype).
  bool (*rand_uniform)(const Tensor& out, const CallKey& key);
  bool (*rand_normal)(const Tensor& out, const CallKey& key);
  bool (*rand_int)(const Tensor& out, const CallKey& key, int64_t low, uint64_t range);
  // The fused denoising steps' one pass: out = sum_k c[k] ins[k] + noise_scale * g * z, z drawn exactly as
  // rand_normal draws with `key` (ignored when noise_scale is 0); g null means 1. k in 1..5; everything
  // contiguous, of out's shape and float dtype; out may be one of ins.
  bool (*combine)(const Tensor& out, const Tensor* ins, const double* c, int k, double noise_scale, const Tensor* g,
                  const CallKey& key);
  // Fill any strided out with v; out [n] = start + i step, or (linspace) filled from both ends so out[n-1] == end.
  bool (*fill)(const Tensor& out, double v);
  bool (*sequence)(const Tensor& out, double start, double step, bool linspace, double end);

  // The data-dependent draws, contiguous float64 operands of out's shape; each element from its own stream of
  // `key`, as rng/draws.h draws. Bernoulli compares given uniforms u (drawn by rand_uniform) with p (float).
  // multinomial: probs [rows, k] -> out int32 [rows, n].
  bool (*bernoulli)(const Tensor& out, const Tensor& p, const Tensor& u, Verdict* v);
  bool (*binomial)(const Tensor& out, const Tensor& count, const Tensor& prob, const CallKey& key, Verdict* v);
  bool (*poisson)(const Tensor& out, const Tensor& rate, const CallKey& key, Verdict* v);
  bool (*multinomial)(const Tensor& out, const Tensor& probs, bool replacement, const CallKey& key, Verdict* v);
  // The count denoising steps (Blackout): out = clip(n + draw(n, y, q), 0, n_max), n, y, out of one float dtype,
  // contiguous; q = (p_s - p_t) / (1 - p_t).
  bool (*count_step)(CountStep kind, const Tensor& out, const Tensor& n, const Tensor& y, double q, double n_max,
                     const CallKey& key, Verdict* v);

  // Convolution, checked and contiguous: y [N, O, Ho, Wo] = conv(x [N, C, H, W], w [O, C/groups, kh, kw]) (+ bias
  // [O] unless null); dx [N, C, H, W] from gy and w (the transposed convolution); dw from x and gy.
  bool (*conv2d)(const Tensor& y, const Tensor& x, const Tensor& w, const Tensor* bias, const Conv2dParams& p);
  bool (*conv2d_input_grad)(const Tensor& dx, const Tensor& gy, const Tensor& w, const Conv2dParams& p);
  bool (*conv2d_weight_grad)(const Tensor& dw, const Tensor& x, const Tensor& gy, const Conv2dParams& p);

  // Group norm of contiguous x [N, C, S...] in G groups: y and stats [N, G, 2] (mean, 1/std); w, b [C] or null;
  // silu: SiLU applied to y. The first-order backward (dx, and dw, db when w is given or b is; with silu, gy is the
  // gradient of SiLU's output and b is the forward's bias) and the tangent dy from tx, tw, tb (each may be null),
  // from the saved stats. mod_scale, mod_shift [N, C] (both or neither; no gradient): each sample's channel
  // modulated after the affine, y = (norm * w + b) * mod_scale + mod_shift (product and sum rounded apart),
  // before the SiLU. code (float32 arithmetic only): y is uint8, each value of the float32 result coded as
  // CodeU8Fn codes it (cpu/kernels.h: the int8 layers' input coding), the float32 row never written out.
  // in_code: x is uint8 codes, decoded as DecodeU8Fn decodes them (dequantize()), float32 arithmetic.
  bool (*group_norm)(const Tensor& y, const Tensor& stats, const Tensor& x, int64_t G, const Tensor* w,
                     const Tensor* b, double eps, bool silu, const Tensor* mod_scale, const Tensor* mod_shift,
                     const NormCode* code, const NormCode* in_code);
  bool (*group_norm_backward)(const Tensor& dx, const Tensor* dw, const Tensor* db, const Tensor& gy,
                              const Tensor& x, const Tensor& stats, int64_t G, const Tensor* w, const Tensor* b,
                              bool silu);
  bool (*group_norm_tangent)(const Tensor& dy, const Tensor& x, const Tensor& stats, int64_t G, const Tensor* w,
                             const Tensor* tx, const Tensor* tw, const Tensor* tb);

  // Attention over contiguous q [B, L, D], k [B, S, D], v [B, S, Dv]: out [B, L, Dv] and the probabilities P
  // [B, L, S] (saved for the backward); causal masks j > i + (S - L). The backward from P and gy [B, L, Dv].
  bool (*attention)(const Tensor& out, const Tensor& P, const Tensor& q, const Tensor& k, const Tensor& v,
                    double scale, bool causal);
  bool (*attention_backward)(const Tensor& dq, const Tensor& dk, const Tensor& dv, const Tensor& gy,
                             const Tensor& P, const Tensor& q, const Tensor& k, const Tensor& v, double scale);

  // Indexing, with int32 contiguous indices checked here (kBadIndex: the first out-of-range value). gather: out
  // (index's shape) from x (any strides) along d; scatter_add: out (contiguous, holding x) += src at the indices,
  // in index order; index_select: contiguous x viewed [O, n, I] -> out [O, k, I]; index_add: out [O, n, I]
  // (contiguous, holding x) += src [O, k, I] (a 0-d x: every index adds the whole src).
  bool (*gather)(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v);
  bool (*scatter_add)(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v);
  bool (*index_select)(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v);
  bool (*index_add)(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v);

  // Optimizer steps on one parameter, in place: p, its gradient g and state, contiguous, of one float dtype.
  bool (*adam)(const Tensor& p, const Tensor& g, const Tensor& m, const Tensor& v, const AdamHyper& h);
  bool (*sgd)(const Tensor& p, const Tensor& g, const Tensor& buf, const SgdHyper& h);

  // The int8 family (quant/int8_types.h; conventions in ops/quant.h), contiguous operands. quantize: float x ->
  // codes q (u8/i8); dequantize: codes (u8/i8/i32) -> float32 y; requantize: y = clamp(round_even((q - in_zero)
  // mult) + out_zero, lo, hi); fake_quantize: y, the in-range mask (u8) and the scale / zero-point coefficients
  // where asked. int8_range: the range [min(x, 0), max(x, 0)] of float32 x, false when x holds a non-finite value.
  bool (*quantize)(const Tensor& q, const Tensor& x, const ChannelCoding& cc);
  bool (*dequantize)(const Tensor& y, const Tensor& q, const ChannelCoding& cc);
  bool (*requantize)(const Tensor& y, const Tensor& q, double mult, int64_t in_zero, int64_t out_zero, double lo,
                     double hi);
  bool (*fake_quantize)(const Tensor& y, const Tensor& inside, const Tensor* coef_s, const Tensor* coef_z,
                        const Tensor& x, const ChannelCoding& cc);
  bool (*int8_range)(const Tensor& x, double* lo, double* hi);
  // Packing: the backend's layout name and packed size, and w [N, K] int8 packed into p (p.packed of
  // int8_packed_bytes(N, K) bytes and p.colsum [N] int32 already made).
  const char* (*int8_layout)();
  // One core's issue rate of the int8 kernel's dot instruction in GOP/s (register-only chains, `seconds` of
  // probing on the calling thread); 0 where the kernel has no probe (reference, AMX).
  double (*int8_peak)(double seconds);
  int64_t (*int8_packed_bytes)(int64_t N, int64_t K);
  void (*int8_pack)(const PackedInt8& p, const Tensor& w);
  // out [M, N] (row stride N) = finish(codes [M, K] u8 x w); and the int8 convolution of x [B, C, H, W] (float32
  // coded with x_scale / x_zero, or u8 codes) by w packed channels-last, into out [B, O, Ho, Wo].
  bool (*int8_linear)(const Tensor& out, const Tensor& codes, const PackedInt8& w, const Int8Finish& f);
  bool (*int8_conv2d)(const Tensor& out, const Tensor& x, double x_scale, int64_t x_zero, const PackedInt8& w,
                      int64_t kh, int64_t kw, const Conv2dParams& p, const Int8Finish& f);
};

// TF_DEVICE when this build has no backend for d.
const Backend& backend(Device d);
// The backend of the current call's device.
const Backend& current_backend();
// current_backend().kernels(): what the op layer calls.
const cpu::KernelTable& backend_kernels();
// The devices this build runs on this machine, in order ('cuda' only in the CUDA build with a usable GPU).
const char* const* available_devices(int* n);

}  // namespace tf
