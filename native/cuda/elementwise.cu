// The elementwise family on the GPU: unary, binary (arithmetic and comparisons), where, isfinite, copy/cast,
// fill and sequences. Every kernel runs the per-element body of math/elementwise.h, the one the CPU reference rows
// run, over a strided index (math/strided.h): broadcasting is a 0 stride, so nothing is materialised.
//
// Versions (llm.c style, both kept; the launcher picks):
//   v1 strided: one element per thread, the offsets of every operand from the output's flat index.
//   v2 contiguous: every operand contiguous (after merging dims) -> 16-byte vector loads and stores where the
//      pointers are aligned, the tail one element at a time. This is the path of the bandwidth benchmark.
#include "common.cuh"
#include "entries.h"
#include "../math/elementwise.h"
#include "../math/strided.h"

namespace tf {
namespace cuda {

namespace {

template <int N>
StridedIndex<N> index_for(const Shape& shape, const Shape* const (&strides)[N], const char* op) {
  const int64_t* s[N];
  for (int k = 0; k < N; ++k) s[k] = strides[k]->data();
  StridedIndex<N> ix;
  if (!make_strided_index<N>(shape.data(), int(shape.size()), s, &ix))
    fail(ErrorCode::NotImplemented, op, " on cuda: more than ", kMaxKernelDims,
         " non-mergeable dims; make the operands contiguous first");
  return ix;
}

// A 16-byte packet of T, for the vectorised contiguous path.
template <class T> struct alignas(16) Packet { T v[16 / sizeof(T)]; };
inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15) == 0; }

// ---- the kernels: `F` maps the operands' values at one index to the output value ----------------------------

// v1: any strides. ptrs[0] is the output.
template <class TO, class TI, int N, class F>
__global__ void map_strided(int64_t n, StridedIndex<N> ix, TO* out, const TI* in0, const TI* in1, const uint8_t* cond, F f) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[N];
    ix.offsets(i, off);
    out[off[0]] = f(in0, in1, cond, off);
  }
}

// v2: contiguous unary/binary: out[i] = f(a[i], b[i]) with packets of 16 bytes (all pointers aligned, same T).
template <class T, class F>
__global__ void map_contiguous_vec(int64_t n, T* out, const T* a, const T* b, F f) {
  constexpr int V = 16 / sizeof(T);
  const int64_t np = n / V;
  const Packet<T>* A = reinterpret_cast<const Packet<T>*>(a);
  const Packet<T>* B = reinterpret_cast<const Packet<T>*>(b);
  Packet<T>* O = reinterpret_cast<Packet<T>*>(out);
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < np; i += int64_t(gridDim.x) * blockDim.x) {
    Packet<T> x = A[i], y = b ? B[i] : x, r;
#pragma unroll
    for (int j = 0; j < V; ++j) r.v[j] = f(x.v[j], y.v[j]);
    O[i] = r;
  }
  for (int64_t i = np * V + blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = f(a[i], b ? b[i] : a[i]);
}

// ---- per-element functors (device lambdas are avoided: they need --extended-lambda) --------------------------

template <class T, int OP> struct UnaryF {
  UnaryParams p;
  __device__ T operator()(T x, T) const { return ew::unary_apply<T, OP>(x, &p); }
  template <int N> __device__ T operator()(const T* x, const T*, const uint8_t*, const int64_t* off) const {
    return ew::unary_apply<T, OP>(x[off[1]], &p);
  }
};
template <class T, int OP> struct BinaryF {
  __device__ T operator()(T a, T b) const { return ew::binary_apply<T, OP>(a, b); }
  template <int N> __device__ T operator()(const T* a, const T* b, const uint8_t*, const int64_t* off) const {
    return ew::binary_apply<T, OP>(a[off[1]], b[off[2]]);
  }
};
template <class T, int OP> struct CompareF {
  template <int N> __device__ uint8_t operator()(const T* a, const T* b, const uint8_t*, const int64_t* off) const {
    return ew::compare_apply<T, OP>(a[off[1]], b[off[2]]);
  }
};
template <class T> struct WhereF {
  template <int N> __device__ T operator()(const T* a, const T* b, const uint8_t* c, const int64_t* off) const {
    return c[off[1]] ? a[off[2]] : b[off[3]];
  }
};
template <class T> struct IsFiniteF {
  template <int N> __device__ uint8_t operator()(const T* x, const T*, const uint8_t*, const int64_t* off) const {
    return ew::isfinite_apply(x[off[1]]);
  }
};
template <class S, class D> struct CastF {
  template <int N> __device__ D operator()(const S* x, const S*, const uint8_t*, const int64_t* off) const {
    return ew::cast_apply<S, D>(x[off[1]]);
  }
};
template <class T> struct FillF {
  T v;
  template <int N> __device__ T operator()(const T*, const T*, const uint8_t*, const int64_t*) const { return v; }
};

// The map_strided kernel calls f(in0, in1, cond, off); the functors above take <N> as a template: adapt.
template <int N, class F> struct Adapt {
  F f;
  template <class A, class B>
  __device__ auto operator()(const A* a, const B* b, const uint8_t* c, const int64_t* off) const {
    return f.template operator()<N>(a, b, c, off);
  }
};

template <class TO, class TI, int N, class F>
void launch_strided(const char* op, const Shape& shape, const Shape* const (&strides)[N], TO* out, const TI* in0,
                    const TI* in1, const uint8_t* cond, F f) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  if (n == 0) return;
  StridedIndex<N> ix = index_for<N>(shape, strides, op);
  map_strided<TO, TI, N, Adapt<N, F>><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(n, ix, out, in0, in1, cond,
                                                                                        Adapt<N, F>{f});
  check_launch(op);
}

// Same-dtype unary/binary: the vector path when everything is contiguous and aligned, else v1.
template <class T, class F, int N>
void launch_same(const char* op, const Shape& shape, const Shape* const (&strides)[N], T* out, const T* a, const T* b,
                 F f) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  if (n == 0) return;
  StridedIndex<N> ix = index_for<N>(shape, strides, op);
  if (ix.contiguous() && aligned16(out) && aligned16(a) && (!b || aligned16(b))) {
    int64_t per_thread = 16 / int64_t(sizeof(T));
    map_contiguous_vec<T, F><<<blocks_for(n, kThreads * per_thread), kThreads, 0, stream()>>>(n, out, a, b, f);
  } else {
    map_strided<T, T, N, Adapt<N, F>><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(n, ix, out, a, b, nullptr,
                                                                                       Adapt<N, F>{f});
  }
  check_launch(op);
}

template <class T>
bool unary_t(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p) {
  const Shape* st[2] = {&out.strides(), &x.strides()};
  switch (op) {
#define TF_X(E, ...)                                                                               \
  case U_##E:                                                                                      \
    if constexpr (ew::unary_defined<T>(U_##E)) {                                                    \
      launch_same<T, UnaryF<T, U_##E>, 2>("unary", x.shape(), st, ptr<T>(out), ptr<T>(x), nullptr, \
                                          UnaryF<T, U_##E>{p});                                    \
      return true;                                                                                 \
    } else {                                                                                       \
      return false;                                                                                \
    }
    TF_UNARY_OPS(TF_X)
#undef TF_X
  }
  return false;
}

template <class T>
bool binary_t(BinaryOp op, const Tensor& out, Operand a, Operand b) {
  const Shape* st[3] = {&out.strides(), &a.strides, &b.strides};
  const T* pa = ptr<T>(a.t);
  const T* pb = ptr<T>(b.t);
  switch (op) {
#define TF_ARITH(E)                                                                                       \
  case B_##E:                                                                                             \
    launch_same<T, BinaryF<T, B_##E>, 3>("binary", out.shape(), st, ptr<T>(out), pa, pb, BinaryF<T, B_##E>{}); \
    return true;
#define TF_CMP(E)                                                                                                \
  case B_##E:                                                                                                    \
    launch_strided<uint8_t, T, 3>("compare", out.shape(), st, ptr<uint8_t>(out), pa, pb, nullptr, CompareF<T, B_##E>{}); \
    return true;
    TF_ARITH(ADD) TF_ARITH(SUB) TF_ARITH(MUL) TF_ARITH(DIV) TF_ARITH(MAX) TF_ARITH(MIN)
    TF_CMP(EQ) TF_CMP(NE) TF_CMP(LT) TF_CMP(LE) TF_CMP(GT) TF_CMP(GE)
#undef TF_ARITH
#undef TF_CMP
    case B_POW:
      if constexpr (ew::kFloat<T>) {
        launch_same<T, BinaryF<T, B_POW>, 3>("binary", out.shape(), st, ptr<T>(out), pa, pb, BinaryF<T, B_POW>{});
        return true;
      } else {
        return false;  // as on the CPU: integer pow has no kernel (the op layer promotes)
      }
  }
  return false;
}

template <class S>
bool cast_from(const Tensor& out, Operand src) {
  const Shape* st[2] = {&out.strides(), &src.strides};
  const S* x = ptr<S>(src.t);
  TF_DISPATCH_ALL(out.dtype(), D, {
    launch_strided<D, S, 2>("copy", out.shape(), st, ptr<D>(out), x, nullptr, nullptr, CastF<S, D>{});
  });
  return true;
}

template <class T>
__global__ void sequence_kernel(int64_t n, T* out, double start, double step, bool linspace, double end) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = T(!linspace || i < n / 2 ? start + step * double(i) : end - step * double(n - 1 - i));
}

}  // namespace

bool unary(UnaryOp op, const Tensor& out, const Tensor& x, const UnaryParams& p) {
  TF_DISPATCH_ALL(x.dtype(), T, return unary_t<T>(op, out, x, p));
  return false;
}

bool binary(BinaryOp op, const Tensor& out, Operand a, Operand b) {
  TF_DISPATCH_ALL(a.t.dtype(), T, return binary_t<T>(op, out, a, b));
  return false;
}

bool where(const Tensor& out, Operand cond, Operand a, Operand b) {
  const Shape* st[4] = {&out.strides(), &cond.strides, &a.strides, &b.strides};
  TF_DISPATCH_ALL(out.dtype(), T, {
    launch_strided<T, T, 4>("where", out.shape(), st, ptr<T>(out), ptr<T>(a.t), ptr<T>(b.t), ptr<uint8_t>(cond.t),
                            WhereF<T>{});
    return true;
  });
  return false;
}

bool isfinite(const Tensor& out, const Tensor& x) {
  const Shape* st[2] = {&out.strides(), &x.strides()};
  TF_DISPATCH_ALL(x.dtype(), T, {
    launch_strided<uint8_t, T, 2>("isfinite", x.shape(), st, ptr<uint8_t>(out), ptr<T>(x), nullptr, nullptr,
                                  IsFiniteF<T>{});
    return true;
  });
  return false;
}

bool copy(const Tensor& out, Operand src) {
  TF_DISPATCH_ALL(src.t.dtype(), S, return cast_from<S>(out, src));
  return false;
}

bool fill(const Tensor& out, double v) {
  if (out.numel() == 0) return true;
  if (v == 0 && !std::signbit(v) && out.is_contiguous()) {  // every dtype's zero is all-zero bytes
    check(cudaMemsetAsync(out.raw_ptr(), 0, size_t(out.numel()) * dtype_size(out.dtype()), stream()), "fill");
    return true;
  }
  const Shape* st[2] = {&out.strides(), &out.strides()};
  TF_DISPATCH_ALL(out.dtype(), T, {
    launch_strided<T, T, 2>("fill", out.shape(), st, ptr<T>(out), nullptr, nullptr, nullptr, FillF<T>{T(v)});
    return true;
  });
  return false;
}

bool sequence(const Tensor& out, double start, double step, bool linspace, double end) {
  const int64_t n = out.numel();
  if (n == 0) return true;
  TF_DISPATCH_ALL(out.dtype(), T, {
    sequence_kernel<T><<<blocks_for(n, kThreads), kThreads, 0, stream()>>>(n, ptr<T>(out), start, step, linspace, end);
    check_launch("sequence");
    return true;
  });
  return false;
}

}  // namespace cuda
}  // namespace tf
