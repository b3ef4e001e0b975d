// The indexing family on the GPU (backend/backend.h documents each entry): gather and scatter-add along one dim
// over any strides, index-select and index-add of whole inner rows, with the int32 indices checked on the device.
//
// Determinism: the adds run in the CPU's order, so they give the CPU's sums bit for bit, without atomics. Two
// contributions can meet only in one output element, and those come from one "fiber" (scatter_add: the index
// elements that share every coordinate but d; index_add: one (o, inner) column over the k indices): a thread owns a
// fiber and adds along it in index order, as the CPU's serial loop does. The parallelism is the number of fibers
// (for an embedding's backward, the embedding width times the outer size), which is what the ops' callers have.
//
// The index check (first_flagged.cuh) finds the first out-of-range index before any output is written, so an error
// leaves no partial update (the op layer works on a clone in any case).
#include "first_flagged.cuh"
#include "../math/strided.h"

namespace tf {
namespace cuda {

namespace {

__global__ void first_bad_index(const int32_t* ip, int64_t k, int64_t n, unsigned long long* first) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < k; i += int64_t(gridDim.x) * blockDim.x)
    if (ip[i] < 0 || ip[i] >= n) note_first(first, i);
}

// True when all k indices lie in [0, n); else flags the first offender (its position and value) in v.
bool check_indices(const int32_t* ip, int64_t k, int64_t n, Verdict* v) {
  if (k == 0) return true;
  const int64_t at = first_flagged([&](unsigned long long* f) { first_bad_index<<<blocks_for(k, kThreads), kThreads, 0, stream()>>>(ip, k, n, f); }, "index check");
  if (at < 0) return true;
  v->flag(kBadIndex, at, double(host_value(ip, at)));
  return false;
}

template <int N>
StridedIndex<N> index_over(const Shape& shape, const Shape (&strides)[N], const char* op) {
  const int64_t* s[N];
  for (int k = 0; k < N; ++k) s[k] = strides[k].data();
  StridedIndex<N> ix;
  if (!make_strided_index<N>(shape.data(), int(shape.size()), s, &ix))
    fail(ErrorCode::NotImplemented, op, " on cuda: more than ", kMaxKernelDims, " non-mergeable dims");
  return ix;
}

// out[i] = x[base(i) + index[i] * xd]: ix gives x's offset of out's element i with dim d's stride zeroed.
template <class T>
__global__ void gather_kernel(int64_t total, StridedIndex<1> ix, T* out, const T* x, int64_t xd, const int32_t* ip) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[1];
    ix.offsets(i, off);
    out[i] = x[off[0] + int64_t(ip[i]) * xd];
  }
}

// One thread per fiber (the index's coordinates but d): along it, in order, out[.. j ..] += src[.. p ..], j = index[.. p ..].
template <class T>
__global__ void scatter_add_kernel(int64_t fibers, int64_t len, StridedIndex<3> ix, T* out, int64_t od, const T* src,
                                   int64_t sd, const int32_t* ip, int64_t id) {
  for (int64_t f = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; f < fibers; f += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];  // index, src, out
    ix.offsets(f, off);
    for (int64_t p = 0; p < len; ++p) out[off[2] + int64_t(ip[off[0] + p * id]) * od] += src[off[1] + p * sd];
  }
}

// [O, n, I] -> [O, k, I], element by element (any dtype: moved as its bytes).
template <class W>
__global__ void index_select_kernel(int64_t O, int64_t k, int64_t n, int64_t I, W* out, const W* x, const int32_t* ip) {
  const int64_t total = O * k * I;
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < total; e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = e % I, row = e / I, i = row % k, o = row / k;
    out[e] = x[(o * n + ip[i]) * I + r];
  }
}

// One thread per (o, r): out[o, index[i], r] += src[o, i, r] for i in order (a 0-d src adds its one value).
template <class T>
__global__ void index_add_kernel(int64_t O, int64_t k, int64_t n, int64_t I, T* out, const T* src, bool src_scalar,
                                 const int32_t* ip) {
  const int64_t cols = O * I;
  for (int64_t c = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; c < cols; c += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = c / I, r = c % I;
    for (int64_t i = 0; i < k; ++i) out[(o * n + ip[i]) * I + r] += src_scalar ? src[0] : src[(o * k + i) * I + r];
  }
}

void outer_inner(const Shape& s, int64_t d, int64_t* O, int64_t* I) {
  *O = 1;
  *I = 1;
  for (int64_t q = 0; q < d; ++q) *O *= s[q];
  for (int64_t q = d + 1; q < int64_t(s.size()); ++q) *I *= s[q];
}

}  // namespace

bool gather(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v) {
  const int64_t total = index.numel(), n = x.dim() ? x.shape()[d] : 1;
  const int32_t* ip = cptr<int32_t>(index);
  if (total == 0 || !check_indices(ip, total, n, v)) return true;
  Shape xs = x.strides();
  int64_t xd = 0;
  if (x.dim()) {
    xd = xs[d];
    xs[d] = 0;
  }
  // raw_ptr() is the view's first element, so the strided offsets start from 0
  StridedIndex<1> ix = index_over<1>(index.shape(), {xs}, "gather");
  TF_DISPATCH_ALL(x.dtype(), T, {
    gather_kernel<T><<<blocks_for(total, kThreads), kThreads, 0, stream()>>>(total, ix, ptr<T>(out), cptr<T>(x), xd, ip);
  });
  check_launch("gather");
  return true;
}

bool scatter_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v) {
  const int64_t total = index.numel(), n = out.dim() ? out.shape()[d] : 1;
  const int32_t* ip = cptr<int32_t>(index);
  if (total == 0 || !check_indices(ip, total, n, v)) return true;
  // fibers: the index's shape with dim d cut to 1; each walks len = index.shape[d] positions
  Shape fs = index.shape();
  const int64_t len = index.dim() ? fs[d] : 1;
  Shape is = contiguous_strides(index.shape()), ss = src.strides(), os = out.strides();
  int64_t id = 0, sd = 0, od = 0;
  if (index.dim()) {
    fs[d] = 1;
    id = is[d];
    sd = ss[d];
    od = os[d];
  }
  const int64_t fibers = total / len;
  StridedIndex<3> ix = index_over<3>(fs, {is, ss, os}, "scatterAdd");
  TF_DISPATCH_ALL(out.dtype(), T, {
    scatter_add_kernel<T><<<blocks_for(fibers, kThreads), kThreads, 0, stream()>>>(fibers, len, ix, ptr<T>(out), od,
                                                                                  cptr<T>(src), sd, ip, id);
  });
  check_launch("scatterAdd");
  return true;
}

bool index_select(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v) {
  const int64_t k = index.numel(), n = x.dim() ? x.shape()[d] : 1;
  const int32_t* ip = cptr<int32_t>(index);
  if (!check_indices(ip, k, n, v)) return true;
  int64_t O, I;
  outer_inner(x.shape(), d, &O, &I);
  const int64_t total = O * k * I;
  if (total == 0) return true;
  const unsigned blocks = blocks_for(total, kThreads);
  switch (dtype_size(x.dtype())) {
    case 1: index_select_kernel<uint8_t><<<blocks, kThreads, 0, stream()>>>(O, k, n, I, ptr<uint8_t>(out), cptr<uint8_t>(x), ip); break;
    case 4: index_select_kernel<uint32_t><<<blocks, kThreads, 0, stream()>>>(O, k, n, I, ptr<uint32_t>(out), cptr<uint32_t>(x), ip); break;
    case 8: index_select_kernel<uint64_t><<<blocks, kThreads, 0, stream()>>>(O, k, n, I, ptr<uint64_t>(out), cptr<uint64_t>(x), ip); break;
    default: return false;
  }
  check_launch("indexSelect");
  return true;
}

bool index_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v) {
  const int64_t k = index.numel(), n = out.dim() ? out.shape()[d] : 1;
  const int32_t* ip = cptr<int32_t>(index);
  if (!check_indices(ip, k, n, v)) return true;
  int64_t O, I;
  outer_inner(out.shape(), d, &O, &I);
  if (k == 0 || O * I == 0) return true;
  TF_DISPATCH_ALL(out.dtype(), T, {
    index_add_kernel<T><<<blocks_for(O * I, kThreads), kThreads, 0, stream()>>>(O, k, n, I, ptr<T>(out), cptr<T>(src),
                                                                               out.dim() == 0, ip);
  });
  check_launch("indexAdd");
  return true;
}

}  // namespace cuda
}  // namespace tf
