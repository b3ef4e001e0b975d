// The indexing entries of the host backends: gather and scatter-add along one dim over any strides, and
// index-select / index-add of whole inner rows. Each checks its int32 indices as it reads them and reports the
// first bad one (Verdict) for the op layer (ops/index.cpp) to word.
#include "host_backend.h"
#include <cstring>
#include <vector>
#include "dispatch.h"
#include "threadpool.h"

namespace tf {
namespace host {

namespace {

// Calls f(linear index into `shape`, multi-index) for every element, in parallel chunks.
template <class F>
void for_each_index(const Shape& shape, F f) {
  int64_t total = checked_numel(shape);
  int64_t nd = int64_t(shape.size());
  parallel_for(0, total, 16384, [&](int64_t lo, int64_t hi) {
    std::vector<int64_t> idx(nd, 0);
    int64_t rem = lo;
    for (int64_t d = nd - 1; d >= 0; --d) { idx[d] = rem % shape[d]; rem /= shape[d]; }
    for (int64_t i = lo; i < hi; ++i) {
      f(i, idx);
      for (int64_t d = nd - 1; d >= 0; --d) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  });
}

int64_t offset_of(const Tensor& t, const std::vector<int64_t>& idx) {
  int64_t off = t.offset();
  for (size_t d = 0; d < idx.size(); ++d) off += idx[d] * t.strides()[d];
  return off;
}

// [O, n, I] around dim d of shape s
void outer_inner(const Shape& s, int64_t d, int64_t* O, int64_t* I) {
  *O = 1;
  *I = 1;
  for (int64_t q = 0; q < d; ++q) *O *= s[q];
  for (int64_t q = d + 1; q < int64_t(s.size()); ++q) *I *= s[q];
}

// The first index outside [0, n), or false
bool check_indices(const int32_t* ip, int64_t k, int64_t n, Verdict* v) {
  for (int64_t i = 0; i < k; ++i)
    if (ip[i] < 0 || ip[i] >= n) { v->flag(kBadIndex, i, ip[i]); return false; }
  return true;
}

}  // namespace

bool gather(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v) {
  int64_t es = int64_t(dtype_size(x.dtype())), n = x.dim() ? x.shape()[d] : 1;
  const int32_t* ip = index.data_ptr<int32_t>();
  const char* src = static_cast<const char*>(x.storage()->data);
  char* dst = out.raw_ptr();
  std::atomic<bool> any_bad{false};
  std::atomic<int64_t> bad{0}, at{0};
  for_each_index(index.shape(), [&](int64_t i, std::vector<int64_t>& idx) {
    int64_t j = ip[i];
    if (j < 0 || j >= n) { bad.store(j); at.store(i); any_bad.store(true); return; }
    int64_t keep = idx.empty() ? 0 : idx[d];
    if (!idx.empty()) idx[d] = j;
    std::memcpy(dst + i * es, src + offset_of(x, idx) * es, es);
    if (!idx.empty()) idx[d] = keep;
  });
  if (any_bad.load()) v->flag(kBadIndex, at.load(), double(bad.load()));
  return true;
}

bool scatter_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v) {
  int64_t n = out.dim() ? out.shape()[d] : 1;
  const int32_t* ip = index.data_ptr<int32_t>();
  // serial: several indices may hit the same output element
  std::vector<int64_t> idx(index.dim(), 0);
  int64_t total = index.numel();
  TF_DISPATCH_ALL(out.dtype(), T, {
    T* op = static_cast<T*>(out.storage()->data);
    const T* sp = static_cast<const T*>(src.storage()->data);
    for (int64_t i = 0; i < total; ++i) {
      int64_t j = ip[i];
      if (j < 0 || j >= n) { v->flag(kBadIndex, i, double(j)); break; }
      int64_t so = offset_of(src, idx);
      int64_t keep = idx.empty() ? 0 : idx[d];
      if (!idx.empty()) idx[d] = j;
      op[offset_of(out, idx)] += sp[so];
      if (!idx.empty()) idx[d] = keep;
      for (int64_t k = int64_t(idx.size()) - 1; k >= 0; --k) {
        if (++idx[k] < index.shape()[k]) break;
        idx[k] = 0;
      }
    }
  });
  return true;
}

bool index_select(const Tensor& out, const Tensor& x, int64_t d, const Tensor& index, Verdict* v) {
  int64_t k = index.numel(), n = x.dim() ? x.shape()[d] : 1;
  const int32_t* ip = index.data_ptr<int32_t>();
  if (!check_indices(ip, k, n, v)) return true;
  // [O, n, I] -> [O, k, I]: whole inner rows are copied, rows in parallel
  int64_t O, I, es = int64_t(dtype_size(x.dtype()));
  outer_inner(x.shape(), d, &O, &I);
  const char* src = x.raw_ptr();
  char* dst = out.raw_ptr();
  parallel_for(0, O * k, std::max<int64_t>(1, 16384 / std::max<int64_t>(I, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      int64_t o = r / k, i = r % k;
      std::memcpy(dst + r * I * es, src + (o * n + ip[i]) * I * es, size_t(I * es));
    }
  });
  return true;
}

bool index_add(const Tensor& out, int64_t d, const Tensor& index, const Tensor& src, Verdict* v) {
  int64_t k = index.numel(), n = out.dim() ? out.shape()[d] : 1;
  const int32_t* ip = index.data_ptr<int32_t>();
  if (!check_indices(ip, k, n, v)) return true;
  int64_t O, I;
  outer_inner(out.shape(), d, &O, &I);
  TF_DISPATCH_ALL(out.dtype(), T, {
    T* op = out.data_ptr<T>();
    const T* sp = src.data_ptr<T>();
    // parallel over the outer dim only: repeated indices collide within one o, never across
    parallel_for(0, O, std::max<int64_t>(1, 16384 / std::max<int64_t>(k * I, 1)), [&](int64_t lo, int64_t hi) {
      for (int64_t o = lo; o < hi; ++o)
        for (int64_t i = 0; i < k; ++i) {
          T* drow = op + (o * n + ip[i]) * I;
          const T* srow = sp + (out.dim() ? (o * k + i) * I : 0);  // 0-d: every index adds the whole src
          for (int64_t j = 0; j < I; ++j) drow[j] += srow[j];
        }
    });
  });
  return true;
}

}  // namespace host
}  // namespace tf
