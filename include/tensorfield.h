/*
 * tensorfield.h: the C API of tensorfield, for native tools that use the engine without Node.
 *
 * C99 and C++ compatible. Link with -ltensorfield (pkg-config --cflags --libs tensorfield).
 *
 * Conventions
 *  - Every function that can fail returns a tf_status. TF_OK is 0; on any other status, tf_last_error() holds a
 *    one-line message naming the function and the cause, and output arguments are left untouched.
 *  - Tensors are opaque handles (tf_tensor *). A function that returns a tensor through `tf_tensor **out` gives the
 *    caller one reference; tf_tensor_release drops it. A released handle is never reused for another tensor: using
 *    it again is TF_DISPOSED, not undefined behaviour (handles are slot and generation numbers, not pointers).
 *  - Shapes are (const int64_t *shape, int ndim); ndim 0 is a scalar (shape may then be NULL).
 *  - Tensors live in host memory on device "cpu". Data is row-major.
 *
 * Thread safety
 *  - Any thread may call any function. Handle operations (create, retain, release, lookup) are thread-safe.
 *  - Engine state (grad mode, the random generator, forward-mode levels) belongs to a context. Each thread starts
 *    with a context of its own; tf_context_create + tf_context_make_current give a thread an explicit one. A context
 *    must not be current on two threads at once.
 *  - Two threads may read one tensor at the same time; a thread writing a tensor in place (tf_adam_step,
 *    tf_tensor_data written through, tf_set_requires_grad, tf_backward accumulating .grad) must not run beside any
 *    other use of that tensor.
 *  - tf_set_num_threads sizes the engine's one worker pool, shared by all threads of the process.
 */
#ifndef TENSORFIELD_H
#define TENSORFIELD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define TF_API __declspec(dllimport)
#elif defined(__GNUC__)
#define TF_API __attribute__((visibility("default")))
#else
#define TF_API
#endif

/* The version of this header's API. Bumped when a function or type changes incompatibly; additions keep it. */
#define TF_API_VERSION 1

/* Status codes: the same names as the Node API's err.code. */
typedef enum tf_status {
  TF_OK = 0,
  TF_SHAPE_MISMATCH = 1,
  TF_DTYPE = 2,
  TF_DIM_OUT_OF_RANGE = 3,
  TF_DISPOSED = 4,
  TF_INVALID_ARGUMENT = 5,
  TF_INVALID_SIZE = 6,
  TF_OUT_OF_MEMORY = 7,
  TF_DEVICE = 8,
  TF_AUTOGRAD = 9,
  TF_INDEX_OUT_OF_RANGE = 10,
  TF_INPLACE = 11,
  TF_NOT_IMPLEMENTED = 12,
  TF_INTERNAL = 13,
  TF_NULL_POINTER = 14, /* a required pointer argument was NULL */
  TF_BAD_FILE = 15,     /* a file that is corrupt, truncated or not of the expected format */
  TF_IO = 16            /* the operating system refused a file operation (the message names the path and errno) */
} tf_status;

typedef enum tf_dtype { TF_FLOAT32 = 0, TF_FLOAT64 = 1, TF_INT32 = 2, TF_INT8 = 3, TF_UINT8 = 4 } tf_dtype;

typedef struct tf_tensor tf_tensor;   /* opaque */
typedef struct tf_context tf_context; /* opaque */

/* ---- version and errors ---- */
TF_API int tf_api_version(void);            /* TF_API_VERSION of the library (compare with the header's) */
TF_API const char *tf_version(void);        /* the package version, e.g. "0.1.0" */
TF_API const char *tf_last_error(void);     /* this thread's last error message ("" after success) */
TF_API const char *tf_status_name(tf_status s); /* "TF_SHAPE_MISMATCH", ...; "TF_UNKNOWN" for other values */

/* ---- contexts ---- */
TF_API tf_status tf_context_create(tf_context **out);
TF_API void tf_context_destroy(tf_context *ctx); /* must not be current on any thread; NULL is ignored */
/* Makes ctx current on the calling thread (NULL: back to the thread's own context). */
TF_API tf_status tf_context_make_current(tf_context *ctx);

/* ---- engine settings ---- */
TF_API tf_status tf_set_num_threads(int n); /* n >= 1 */
TF_API int tf_get_num_threads(void);
/* Bytes held by live tensor buffers in this process now, and the most held at once since the last
   tf_reset_peak_bytes (or since load). Either pointer may be NULL. */
TF_API tf_status tf_memory_bytes(int64_t *live_bytes, int64_t *peak_bytes);
/* Starts a new peak window at the bytes live now (per training step, say); *closed_peak (may be NULL) gets the
   peak of the window it closes. */
TF_API tf_status tf_reset_peak_bytes(int64_t *closed_peak);
/* The precision of float32 matmuls (tf_matmul and the linear, conv and attention ops; forward and backward), like
   PyTorch's set_float32_matmul_precision: TF_MATMUL_FP32 (default), or TF_MATMUL_BF16: operands rounded to bfloat16,
   sums in float32, where the CPU has bf16 instructions (AVX512-BF16, AMX-BF16; elsewhere float32 stays) and on CUDA
   tensor cores. Per output, |bf16 - exact| <= (2^-7 + 2^-16 + K 2^-23) sum_k |a_k b_k|. TF_MATMUL_TF32: operands
   rounded to tf32 (nearest, ties away), sums in float32, on CUDA tensor cores (the CPU keeps float32). Process-wide;
   TENSORFIELD_MATMUL_PRECISION=bf16|tf32 sets it at load. */
typedef enum { TF_MATMUL_FP32 = 0, TF_MATMUL_BF16 = 1, TF_MATMUL_TF32 = 2 } tf_matmul_precision;
TF_API tf_status tf_set_matmul_precision(tf_matmul_precision precision);
TF_API tf_matmul_precision tf_get_matmul_precision(void);
/* The instruction set the CPU kernels run ("scalar", "avx2", "avx512", "amx"), copied into buf (NUL-terminated). */
TF_API tf_status tf_isa(char *buf, size_t cap);

/* ---- tensors ---- */
/* A new tensor of the given shape and dtype holding a copy of `data` (numel * element size bytes). */
TF_API tf_status tf_tensor_from_data(const void *data, tf_dtype dtype, const int64_t *shape, int ndim, tf_tensor **out);
TF_API tf_status tf_zeros(const int64_t *shape, int ndim, tf_dtype dtype, tf_tensor **out);
TF_API tf_status tf_full(const int64_t *shape, int ndim, double value, tf_dtype dtype, tf_tensor **out);
TF_API tf_status tf_rand(const int64_t *shape, int ndim, tf_dtype dtype, tf_tensor **out);  /* U[0, 1) */
TF_API tf_status tf_randn(const int64_t *shape, int ndim, tf_dtype dtype, tf_tensor **out); /* N(0, 1) */

TF_API tf_status tf_tensor_retain(tf_tensor *t);
TF_API tf_status tf_tensor_release(tf_tensor *t); /* NULL is ignored (TF_OK) */

TF_API tf_status tf_tensor_ndim(const tf_tensor *t, int *out);
/* Copies the shape into shape[0..ndim); cap must be >= ndim. */
TF_API tf_status tf_tensor_shape(const tf_tensor *t, int64_t *shape, int cap);
TF_API tf_status tf_tensor_strides(const tf_tensor *t, int64_t *strides, int cap); /* in elements */
TF_API tf_status tf_tensor_dtype(const tf_tensor *t, tf_dtype *out);
TF_API tf_status tf_tensor_numel(const tf_tensor *t, int64_t *out);
/* A pointer to the first element (the view's offset applied), valid while the tensor lives. Row-major only when
 * tf_tensor_strides says so; tf_tensor_copy_to always gives row-major data. */
TF_API tf_status tf_tensor_data(const tf_tensor *t, void **out);
/* Copies the elements, row-major, into dst; nbytes must equal numel * element size. */
TF_API tf_status tf_tensor_copy_to(const tf_tensor *t, void *dst, size_t nbytes);
/* The single element as a double (numel must be 1). */
TF_API tf_status tf_tensor_item(const tf_tensor *t, double *out);

/* ---- ops: typed wrappers ---- */
TF_API tf_status tf_add(const tf_tensor *a, const tf_tensor *b, tf_tensor **out);
TF_API tf_status tf_sub(const tf_tensor *a, const tf_tensor *b, tf_tensor **out);
TF_API tf_status tf_mul(const tf_tensor *a, const tf_tensor *b, tf_tensor **out);
TF_API tf_status tf_div(const tf_tensor *a, const tf_tensor *b, tf_tensor **out);
TF_API tf_status tf_add_scalar(const tf_tensor *a, double s, tf_tensor **out);
TF_API tf_status tf_mul_scalar(const tf_tensor *a, double s, tf_tensor **out);
TF_API tf_status tf_matmul(const tf_tensor *a, const tf_tensor *b, tf_tensor **out);
/* Sum / mean over dims[0..ndims) (ndims 0: all dims). */
TF_API tf_status tf_sum(const tf_tensor *x, const int64_t *dims, int ndims, int keepdim, tf_tensor **out);
TF_API tf_status tf_mean(const tf_tensor *x, const int64_t *dims, int ndims, int keepdim, tf_tensor **out);
TF_API tf_status tf_reshape(const tf_tensor *x, const int64_t *shape, int ndim, tf_tensor **out); /* -1 allowed */
TF_API tf_status tf_transpose(const tf_tensor *x, int64_t dim0, int64_t dim1, tf_tensor **out);
TF_API tf_status tf_cat(const tf_tensor *const *xs, int n, int64_t dim, tf_tensor **out);
TF_API tf_status tf_silu(const tf_tensor *x, tf_tensor **out);
TF_API tf_status tf_relu(const tf_tensor *x, tf_tensor **out);
TF_API tf_status tf_exp(const tf_tensor *x, tf_tensor **out);
TF_API tf_status tf_square(const tf_tensor *x, tf_tensor **out);

/* ---- ops: any op by name ----
 * Attributes are named numbers or integer lists. Each op documents which it reads; an unknown attribute name, a
 * missing required one or an input count other than the op's is TF_INVALID_ARGUMENT. tf_op_names lists the names.
 *   unary ops ("exp", "silu", ... the Node API's names): 1 input; "leakyRelu" slope=, "elu" alpha=,
 *     "softplus" beta=, threshold=, "clamp" min=, max=, "powScalar" exponent=.
 *   binary ops ("add", "sub", "mul", "div", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge"): 2.
 *   "matmul" 2; "sum", "mean", "amax", "amin" 1, dims= (ints, default all), keepdim=; "softmax", "logSoftmax" 1, dim=;
 *   "reshape" 1, shape=; "transpose" 1, dim0=, dim1=; "cat" n >= 1, dim=;
 *   "fft" 1 (complex: a trailing (re, im) dim of size 2), dim= (a signal dim, default -1), inverse= (0/1),
 *     scale= (every output times it, default 1); "rfft" 1 (real) dim=, scale=: n/2 + 1 bins; "irfft" 1
 *     (complex) dim=, n= (output length, default 2 (m - 1)), scale=. Unnormalised unless scale says otherwise.
 *   "cholesky" 1 ([..., n, n]; the lower factor of the symmetric part), jitter= (added to the diagonal); not
 *     positive definite is TF_INVALID_ARGUMENT; "triangularSolve" 2 (T [..., n, n], B [..., n, k]: X = op(T)^-1 B),
 *     upper= (0/1: which triangle of T is read), transpose= (0/1: op(T) = T^T).
 *   "conv2d" 2 or 3 (x, w, bias), stride=, padding=, dilation= (1 or 2 ints), groups=;
 *   "groupNorm" 1 or 3 (x, weight, bias), groups=, eps=; "attention" 3 (q, k, v), scale=, causal=;
 *   "where" 3 (cond, a, b).
 */
typedef enum tf_attr_kind { TF_ATTR_NUMBER = 0, TF_ATTR_INTS = 1 } tf_attr_kind;
typedef struct tf_attr {
  const char *name;
  tf_attr_kind kind;
  double number;       /* TF_ATTR_NUMBER */
  const int64_t *ints; /* TF_ATTR_INTS */
  int n_ints;
} tf_attr;
TF_API tf_status tf_op(const char *name, const tf_tensor *const *inputs, int n_inputs, const tf_attr *attrs, int n_attrs,
                       tf_tensor **out);
/* The op names tf_op knows, comma-separated, copied into buf (NUL-terminated); *needed gets the size required. */
TF_API tf_status tf_op_names(char *buf, size_t cap, size_t *needed);

/* ---- random numbers (the calling thread's context) ---- */
TF_API tf_status tf_manual_seed(uint64_t seed);
/* The generator's state, to save and restore a stream exactly. */
TF_API tf_status tf_rng_get_state(uint64_t *key, uint64_t *calls);
TF_API tf_status tf_rng_set_state(uint64_t key, uint64_t calls);

/* ---- autograd ---- */
TF_API tf_status tf_set_requires_grad(tf_tensor *t, int on); /* floating leaves only */
TF_API tf_status tf_requires_grad(const tf_tensor *t, int *out);
/* Accumulates d loss / d leaf into each leaf's .grad; loss must have one element. */
TF_API tf_status tf_backward(const tf_tensor *loss);
/* The accumulated gradient (a new reference), or *out = NULL when there is none. */
TF_API tf_status tf_tensor_grad(const tf_tensor *t, tf_tensor **out);
TF_API tf_status tf_zero_grad(tf_tensor *t); /* drops .grad */
/* Turns recording on or off for the calling thread's context; *previous (may be NULL) gets the old mode. */
TF_API tf_status tf_set_grad_enabled(int on, int *previous);
TF_API tf_status tf_detach(const tf_tensor *t, tf_tensor **out);

/* ---- optimizer steps: fused, in place ---- */
typedef struct tf_adam_options {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;  /* 1-based */
  int decoupled; /* AdamW */
} tf_adam_options;
/* One Adam step over n parameters, with their gradients and moment buffers (same shapes; zeros at the start). */
TF_API tf_status tf_adam_step(tf_tensor *const *params, const tf_tensor *const *grads, tf_tensor *const *m,
                              tf_tensor *const *v, int n, const tf_adam_options *opts);

/* ---- fused denoising steps (EDM convention: x at noise level sigma, `denoised` the model's estimate of x0) ---- */
/* x + (sigma_next - sigma) (x - denoised) / sigma */
TF_API tf_status tf_euler_step(const tf_tensor *x, const tf_tensor *denoised, double sigma, double sigma_next,
                               tf_tensor **out);
/* Heun's correction: x_hat + (sigma_next - sigma) / 2 * (d(x_hat) + d(x_euler)), d(x) = (x - denoised) / sigma */
TF_API tf_status tf_heun_step(const tf_tensor *x_hat, const tf_tensor *denoised_hat, const tf_tensor *x_euler,
                              const tf_tensor *denoised_next, double sigma, double sigma_next, tf_tensor **out);

/* Any fused step by its Node API name (tf_fused_step_names lists them: euler, heun, edmChurn, ddim, ddpm,
 * eulerMaruyama, interpolantSde, trigflow, trigflowDdim, dpmpp2m, binomialBridge, tauLeap), with its tensors (the
 * state first; NULL where a tensor is optional) and schedule numbers in the order of the Node API's fusedStep
 * (lib/samplers/steps.ts). into: NULL for a new tensor, or a contiguous tensor of the state's shape and dtype to
 * write (the state itself for an in-place step); *out gets a new reference to the result either way. Steps that
 * draw noise use the calling thread's generator. */
TF_API tf_status tf_fused_step(const char *name, const tf_tensor *const *tensors, int n_tensors, const double *numbers,
                               int n_numbers, tf_tensor *into, tf_tensor **out);
TF_API tf_status tf_fused_step_names(char *buf, size_t cap, size_t *needed);

typedef struct tf_sgd_options {
  double lr, momentum, dampening, weight_decay;
  int nesterov;
  int first_step; /* 1 on the first step: the gradient becomes the momentum buffer (as PyTorch does) */
} tf_sgd_options;
/* One SGD step over n parameters, their gradients and momentum buffers (zeros at the start; unused without momentum). */
TF_API tf_status tf_sgd_step(tf_tensor *const *params, const tf_tensor *const *grads, tf_tensor *const *momentum_bufs,
                             int n, const tf_sgd_options *opts);

/* ---- forward mode (JVP) ----
 * Inside a dual level, tf_make_dual attaches a tangent to a primal; every op then carries tangents along, and
 * tf_unpack_dual reads them back. One level at a time per context (entering a second is TF_AUTOGRAD); exiting
 * a level that is not the current one does nothing. */
TF_API tf_status tf_dual_level_enter(uint64_t *level);
TF_API tf_status tf_dual_level_exit(uint64_t level);
TF_API tf_status tf_make_dual(const tf_tensor *primal, const tf_tensor *tangent, tf_tensor **out);
/* *primal: the value without its tangent; *tangent: the tangent, or NULL when it has none. */
TF_API tf_status tf_unpack_dual(const tf_tensor *dual, tf_tensor **primal, tf_tensor **tangent);

/* ---- int8 ---- */
typedef struct tf_int8_weight tf_int8_weight; /* opaque: an int8 weight [n, k] packed for this CPU's int8 kernel */
/* Packs an int8 tensor [n, k] (symmetric weights, one scale per output row given at use). */
TF_API tf_status tf_int8_pack(const tf_tensor *weight, tf_int8_weight **out);
TF_API void tf_int8_weight_free(tf_int8_weight *w); /* NULL is ignored */
TF_API tf_status tf_int8_layout(char *buf, size_t cap); /* the int8 kernel's layout name ("vnni", "avx2", "ref") */
typedef enum tf_int8_act { TF_INT8_NONE = 0, TF_INT8_RELU = 1, TF_INT8_SILU = 2 } tf_int8_act;
/* y = act((x_codes - x_zero) . W^T * x_scale * w_scale + bias) for x float32 [..., k] (quantized here per tensor
 * with x_scale / x_zero; x_scale <= 0: the dynamic range of this x) or uint8 codes [..., k]; w_scale float32 [n];
 * bias float32 [n] or NULL. The result is float32 [..., n]. */
TF_API tf_status tf_int8_linear(const tf_tensor *x, double x_scale, int x_zero, const tf_int8_weight *w,
                                const tf_tensor *w_scale, const tf_tensor *bias, tf_int8_act act, tf_tensor **out);

/* ---- safetensors files (readable by Python's safetensors, PyTorch and the Node API's loadSafetensors) ---- */
typedef struct tf_safetensors tf_safetensors; /* opaque: a loaded file */
/* Writes n tensors under their names (any dtype, shape or strides) and, when meta_keys is not NULL, a
 * "__metadata__" object of n_meta string pairs. The file is replaced atomically: a temporary file beside it is
 * flushed and renamed over it, so a crash or a full disk (TF_IO) leaves the old file intact. */
TF_API tf_status tf_safetensors_save(const char *path, const char *const *names, const tf_tensor *const *tensors, int n,
                                     const char *const *meta_keys, const char *const *meta_values, int n_meta);
/* Reads and validates a whole file: TF_BAD_FILE names the problem for a corrupt, truncated or foreign file. */
TF_API tf_status tf_safetensors_load(const char *path, tf_safetensors **out);
TF_API void tf_safetensors_free(tf_safetensors *f); /* NULL is ignored; tensors taken from it stay valid */
TF_API tf_status tf_safetensors_count(const tf_safetensors *f, int *n);
/* The i-th tensor's name, in data order; valid until tf_safetensors_free. */
TF_API tf_status tf_safetensors_name(const tf_safetensors *f, int i, const char **name);
/* A new reference to the tensor of that name; TF_INVALID_ARGUMENT when the file has none. */
TF_API tf_status tf_safetensors_get(const tf_safetensors *f, const char *name, tf_tensor **out);
/* The metadata value of key, or *value = NULL when absent; valid until tf_safetensors_free. */
TF_API tf_status tf_safetensors_metadata(const tf_safetensors *f, const char *key, const char **value);

#ifdef __cplusplus
}
#endif
#endif /* TENSORFIELD_H */
