// Reductions and scans over x viewed as [O, R, I] (x contiguous): reduce over R into out [O, I], or scan along R.
// Deterministic: every element goes to a fixed thread and partials combine in a fixed tree (common.cuh
// block_reduce), so a run gives the same bits every time. Sums and products accumulate as the CPU reference does
// (double for float dtypes, 64-bit integers for integer dtypes); argmax/argmin keep the first index of the
// extreme, a NaN counting as the extreme.
//
// Versions:
//   v1 rows (I == 1): one block per output, its threads striding over R, then the block tree. Long rows with few
//      outputs are split into chunks over several blocks whose partials a second launch of the same kernel
//      reduces (sum, prod, max, min; argmax/argmin keep one block per row).
//   v2 columns (I > 1): one thread per output (o, i) walking r, so a warp reads 32 consecutive i: coalesced; with
//      few outputs, R is split into chunks over a second grid dim and the chunks' partials combined in order.
//   scan: one thread per (o, i) column, a sequential sum along r (the CPU reference's order, so bit-identical).
#include "common.cuh"
#include "entries.h"
#include "../math/reduce_ops.h"

namespace tf {
namespace cuda {

namespace {

using namespace red;  // the reductions' accumulators and combination rules (math/reduce_ops.h)

template <class Red> struct CombineOp {
  __device__ typename Red::A operator()(typename Red::A a, typename Red::A b) const { return Red::combine(a, b); }
};

// v1: block (o, chunk) reduces x[o, r0:r1] (I == 1). `partial` non-null: write the accumulator there instead of
// the output (a later pass reduces the partials).
template <class T, class Red>
__global__ void reduce_rows(const T* x, int64_t R, int64_t chunk, typename Red::Out* out, typename Red::A* partial) {
  using A = typename Red::A;
  const int64_t o = blockIdx.x, c = blockIdx.y;
  const int64_t r0 = c * chunk, r1 = R < r0 + chunk ? R : r0 + chunk;
  const T* row = x + o * R;
  A acc = Red::identity();
  for (int64_t r = r0 + threadIdx.x; r < r1; r += blockDim.x) acc = Red::combine(acc, Red::load(row[r], r));
  acc = block_reduce(acc, CombineOp<Red>{});
  if (threadIdx.x == 0) {
    if (partial) partial[o * gridDim.y + c] = acc;
    else out[o] = Red::finish(acc);
  }
}
// the second pass over the partials of v1 (accumulators, already loaded)
template <class Red>
__global__ void reduce_partials(const typename Red::A* partial, int64_t chunks, typename Red::Out* out) {
  using A = typename Red::A;
  const int64_t o = blockIdx.x;
  A acc = Red::identity();
  for (int64_t c = threadIdx.x; c < chunks; c += blockDim.x) acc = Red::combine(acc, partial[o * chunks + c]);
  acc = block_reduce(acc, CombineOp<Red>{});
  if (threadIdx.x == 0) out[o] = Red::finish(acc);
}

// v2: one thread per (o, i)
template <class T, class Red>
__global__ void reduce_cols(const T* x, int64_t O, int64_t R, int64_t I, typename Red::Out* out) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < O * I; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / I, i = t % I;
    const T* col = x + o * R * I + i;
    typename Red::A acc = Red::identity();
    for (int64_t r = 0; r < R; ++r) acc = Red::combine(acc, Red::load(col[r * I], r));
    out[t] = Red::finish(acc);
  }
}

// v2 with R split into chunks (few outputs, long columns: a bias gradient sums [4096, 256] over dim 0): block row
// c of the grid reduces rows [c chunk, (c + 1) chunk) of every column into partial [O, chunks, I]; a second
// kernel combines each column's chunks in order. Fixed chunks and order: still deterministic.
template <class T, class Red>
__global__ void reduce_cols_chunked(const T* x, int64_t O, int64_t R, int64_t I, int64_t chunk,
                                    typename Red::A* partial) {
  const int64_t c = blockIdx.y, chunks = gridDim.y;
  const int64_t r0 = c * chunk, r1 = R < r0 + chunk ? R : r0 + chunk;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < O * I; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / I, i = t % I;
    const T* col = x + o * R * I + i;
    typename Red::A acc = Red::identity();
    for (int64_t r = r0; r < r1; ++r) acc = Red::combine(acc, Red::load(col[r * I], r));
    partial[(o * chunks + c) * I + i] = acc;
  }
}
template <class Red>
__global__ void reduce_cols_finish(const typename Red::A* partial, int64_t O, int64_t chunks, int64_t I,
                                   typename Red::Out* out) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < O * I; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / I, i = t % I;
    typename Red::A acc = Red::identity();
    for (int64_t c = 0; c < chunks; ++c) acc = Red::combine(acc, partial[(o * chunks + c) * I + i]);
    out[t] = Red::finish(acc);
  }
}

template <class T, class Red>
void run(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I, bool splittable) {
  using A = typename Red::A;
  using Out = typename Red::Out;
  if (O * I == 0) return;
  const T* px = ptr<T>(x);
  Out* po = ptr<Out>(out);
  if (I > 1) {
    const int64_t outs = O * I;
    // aim for ~2^17 threads in flight, each chunk at least 16 rows long
    int64_t chunks = outs >= (int64_t(1) << 16) || R < 64 ? 1 : std::min<int64_t>((int64_t(1) << 17) / outs, R / 16);
    chunks = std::max<int64_t>(1, std::min<int64_t>(chunks, 1024));
    if (chunks == 1) {
      reduce_cols<T, Red><<<blocks_for(outs, kThreads), kThreads, 0, stream()>>>(px, O, R, I, po);
      check_launch("reduce");
      return;
    }
    const int64_t chunk = (R + chunks - 1) / chunks;
    chunks = (R + chunk - 1) / chunk;  // no empty chunk
    Tensor part = empty({outs * chunks * int64_t(sizeof(A))}, DType::U8, Device::CUDA);
    const dim3 grid{blocks_for(outs, kThreads), unsigned(chunks), 1};
    reduce_cols_chunked<T, Red><<<grid, kThreads, 0, stream()>>>(px, O, R, I, chunk, ptr<A>(part));
    check_launch("reduce");
    reduce_cols_finish<Red><<<blocks_for(outs, kThreads), kThreads, 0, stream()>>>(ptr<A>(part), O, chunks, I, po);
    check_launch("reduce");
    return;
  }
  // Enough blocks to fill the GPU: split rows of more than 64K elements when there are few rows.
  int64_t chunks = 1;
  if (splittable && O < 1024 && R > (int64_t(1) << 16)) chunks = std::min<int64_t>((R + 65535) / 65536, 1024);
  if (O > 65535 && chunks > 1) chunks = 1;
  const int64_t chunk = (R + chunks - 1) / chunks;
  if (O > 2147483647) fail(ErrorCode::NotImplemented, "reduce on cuda: more than 2^31 - 1 outputs");
  const dim3 grid{unsigned(O), unsigned(chunks), 1};
  if (chunks == 1) {
    reduce_rows<T, Red><<<grid, 512, 0, stream()>>>(px, R, chunk, po, nullptr);
    check_launch("reduce");
    return;
  }
  Tensor part = empty({O * chunks * int64_t(sizeof(A))}, DType::U8, Device::CUDA);
  A* pp = ptr<A>(part);
  reduce_rows<T, Red><<<grid, 512, 0, stream()>>>(px, R, chunk, po, pp);
  check_launch("reduce");
  reduce_partials<Red><<<unsigned(O), 512, 0, stream()>>>(pp, chunks, po);
  check_launch("reduce");
}

template <class T>
bool reduce_t(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I) {
  switch (op) {
    case R_SUM: run<T, SumR<T>>(out, x, O, R, I, true); return true;
    case R_PROD: run<T, ProdR<T>>(out, x, O, R, I, true); return true;
    case R_MAX: run<T, ExtremeR<T, true>>(out, x, O, R, I, true); return true;
    case R_MIN: run<T, ExtremeR<T, false>>(out, x, O, R, I, true); return true;
    case R_ARGMAX: run<T, ArgR<T, true>>(out, x, O, R, I, false); return true;
    case R_ARGMIN: run<T, ArgR<T, false>>(out, x, O, R, I, false); return true;
    case R_COUNT: break;
  }
  return false;
}

template <class T>
__global__ void cumsum_cols(const T* x, int64_t O, int64_t R, int64_t I, T* out) {
  using A = typename AccOf<T>::type;
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < O * I; t += int64_t(gridDim.x) * blockDim.x) {
    const int64_t o = t / I, i = t % I, base = o * R * I + i;
    A s = 0;
    for (int64_t r = 0; r < R; ++r) {
      s += A(x[base + r * I]);
      out[base + r * I] = T(s);
    }
  }
}

}  // namespace

bool reduce(ReduceOp op, const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I) {
  TF_DISPATCH_ALL(x.dtype(), T, return reduce_t<T>(op, out, x, O, R, I));
  return false;
}

bool cumsum(const Tensor& out, const Tensor& x, int64_t O, int64_t R, int64_t I) {
  if (O * I == 0) return true;
  TF_DISPATCH_ALL(x.dtype(), T, {
    cumsum_cols<T><<<blocks_for(O * I, kThreads), kThreads, 0, stream()>>>(ptr<T>(x), O, R, I, ptr<T>(out));
    check_launch("cumsum");
    return true;
  });
  return false;
}

}  // namespace cuda
}  // namespace tf
