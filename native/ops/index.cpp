// Joining and indexing: cat/stack, gather/scatterAdd, indexSelect/indexAdd, pad, flip, roll, repeat.
// Each backward is the op's adjoint (gather <-> scatterAdd, indexSelect <-> indexAdd, slice <-> sliceBackward),
// all of them ops, so higher derivatives compose.
#include <cstring>
#include "ops.h"
#include "operators.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"
#include "../autograd/grad_mode.h"
#include "../backend/backend.h"

namespace tf {

namespace {

Tensor as_index(const Tensor& idx, const char* op) {
  TF_CHECK(!is_floating(idx.dtype()), DType, op, ": index must be an integer tensor, got ", dtype_name(idx.dtype()));
  GradModeGuard off(false);
  return contiguous(to_dtype(idx, DType::I32));
}

// The op's wording of an entry's verdict on the indices
void check_verdict(const Verdict& v, const char* op, int64_t d, int64_t n) {
  TF_CHECK(v.code == 0, IndexOutOfRange, op, ": index ", int64_t(v.value), " is out of bounds for dimension ", d,
           " of size ", n);
}

void check_gather_shapes(const Tensor& x, int64_t d, const Tensor& index, const char* op) {
  TF_CHECK(index.dim() == x.dim(), ShapeMismatch, op, ": index has ", index.dim(), " dims but the input has ", x.dim());
  for (int64_t k = 0; k < x.dim(); ++k)
    if (k != d)
      TF_CHECK(index.shape()[k] <= x.shape()[k], ShapeMismatch, op, ": index shape ", shape_str(index.shape()),
               " exceeds input shape ", shape_str(x.shape()), " in dimension ", k);
}

}  // namespace

Tensor cat(const TensorList& ts, int64_t dim) {
  TF_CHECK(!ts.empty(), InvalidArgument, "cat: expected a non-empty list of tensors");
  const Tensor& t0 = ts[0];
  TF_CHECK(t0.dim() > 0, InvalidArgument, "cat: zero-dimensional tensors cannot be concatenated");
  int64_t d = wrap_dim(dim, t0.dim());
  DType dt = t0.dtype();
  int64_t total = 0;
  for (size_t i = 0; i < ts.size(); ++i) {
    const Tensor& t = ts[i];
    check_same_device(t0, t, "cat");
    TF_CHECK(t.dim() == t0.dim(), ShapeMismatch, "cat: tensor ", i, " has ", t.dim(), " dims, expected ", t0.dim());
    for (int64_t k = 0; k < t.dim(); ++k)
      TF_CHECK(k == d || t.shape()[k] == t0.shape()[k], ShapeMismatch, "cat: sizes must match except in dimension ",
               d, "; tensor ", i, " has shape ", shape_str(t.shape()), " vs ", shape_str(t0.shape()));
    dt = promote(dt, t.dtype());
    total += t.shape()[d];
  }
  Shape s = t0.shape();
  s[d] = total;
  Tensor out = empty(s, dt);
  std::vector<int64_t> offs, lens;
  {
    GradModeGuard off(false);
    int64_t o = 0;
    for (const Tensor& t : ts) {
      int64_t n = t.shape()[d];
      if (n > 0) copy_into(slice(out, d, o, o + n, 1), t);
      offs.push_back(o);
      lens.push_back(n);
      o += n;
    }
  }
  if (is_floating(dt) && compute_requires_grad(ts)) {
    std::vector<DType> dts;
    for (auto& t : ts) dts.push_back(t.dtype());
    auto node = make_node("CatBackward", ts, [d, offs, lens, dts](FnNode& n, const TensorList& g) -> TensorList {
      TensorList out;
      for (size_t i = 0; i < offs.size(); ++i) {
        if (!n.needs_input_grad(i)) { out.emplace_back(); continue; }
        Tensor gi = slice(g[0], d, offs[i], offs[i] + lens[i], 1);
        out.push_back(gi.dtype() == dts[i] ? gi : to_dtype(gi, dts[i]));
      }
      return out;
    });
    set_history(out, node);
  }
  jvp_rule(out, ts, [&] {
    TensorList tans;
    for (const Tensor& t : ts) {
      Tensor tt = is_floating(t.dtype()) ? tangent(t) : Tensor();
      tans.push_back(tt.defined() ? to_dtype(tt, dt) : zeros(t.shape(), dt));
    }
    return cat(tans, d);
  });
  return out;
}

Tensor stack(const TensorList& ts, int64_t dim) {
  TF_CHECK(!ts.empty(), InvalidArgument, "stack: expected a non-empty list of tensors");
  int64_t d = wrap_dim(dim, ts[0].dim() + 1);
  TensorList u;
  for (size_t i = 0; i < ts.size(); ++i) {
    TF_CHECK(ts[i].shape() == ts[0].shape(), ShapeMismatch, "stack: all tensors must have the same shape; tensor ", i,
             " has ", shape_str(ts[i].shape()), " vs ", shape_str(ts[0].shape()));
    u.push_back(unsqueeze(ts[i], d));
  }
  return cat(u, d);
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index0) {
  int64_t d = wrap_dim(dim, x.dim());
  Tensor index = as_index(index0, "gather");
  check_gather_shapes(x, d, index, "gather");
  Tensor out = empty(index.shape(), x.dtype());
  int64_t n = x.dim() ? x.shape()[d] : 1;
  Verdict v;
  current_backend().gather(out, x, d, index, &v);
  check_verdict(v, "gather", d, n);
  if (is_floating(x.dtype()) && compute_requires_grad({&x})) {
    Shape s = x.shape();
    auto node = make_node("GatherBackward", {x}, [s, d](FnNode& nd, const TensorList& g) -> TensorList {
      return {scatter_add(zeros(s, g[0].dtype()), d, nd.saved(0), g[0])};
    });
    node->save(index);
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] { return gather(tangent(x), d, index); });
  return out;
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index0, const Tensor& src0) {
  int64_t d = wrap_dim(dim, x.dim());
  Tensor index = as_index(index0, "scatterAdd");
  check_gather_shapes(x, d, index, "scatterAdd");
  TF_CHECK(src0.dim() == index.dim(), ShapeMismatch, "scatterAdd: src must have as many dims as index");
  for (int64_t k = 0; k < index.dim(); ++k)
    TF_CHECK(index.shape()[k] <= src0.shape()[k], ShapeMismatch, "scatterAdd: index shape ", shape_str(index.shape()),
             " exceeds src shape ", shape_str(src0.shape()));
  TF_CHECK(x.dtype() == src0.dtype(), DType, "scatterAdd: input and src dtypes differ");
  Tensor out;
  {
    GradModeGuard off(false);
    out = clone(x);
  }
  int64_t n = x.dim() ? x.shape()[d] : 1;
  Verdict v;
  current_backend().scatter_add(out, d, index, src0, &v);
  check_verdict(v, "scatterAdd", d, n);
  if (is_floating(x.dtype()) && compute_requires_grad({&x, &src0})) {
    Shape ss = src0.shape();
    auto node = make_node("ScatterAddBackward", {x, src0}, [d, ss](FnNode& nd, const TensorList& g) -> TensorList {
      Tensor gs;
      if (nd.needs_input_grad(1)) {
        Tensor ix = nd.saved(0);
        gs = gather(g[0], d, ix);
        if (gs.shape() != ss) gs = pad(gs, [&] {  // src larger than index: the unused part gets zero gradient
          Dims p;
          for (int64_t k = int64_t(ss.size()) - 1; k >= 0; --k) { p.push_back(0); p.push_back(ss[k] - gs.shape()[k]); }
          return p;
        }(), "constant", 0.0);
      }
      return {g[0], gs};
    });
    node->save(index);
    set_history(out, node);
  }
  jvp_rule(out, {&x, &src0}, [&] {
    Tensor ts = tangent(src0);
    return scatter_add(tangent_or_zeros(x), d, index, ts.defined() ? ts : zeros(src0.shape(), src0.dtype()));
  });
  return out;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index0) {
  int64_t d = wrap_dim(dim, x.dim());
  Tensor index = as_index(index0, "indexSelect");
  TF_CHECK(index.dim() <= 1, ShapeMismatch, "indexSelect: index must be 1-D, got shape ", shape_str(index.shape()));
  int64_t k = index.numel(), n = x.dim() ? x.shape()[d] : 1;
  Shape s = x.shape();
  if (x.dim()) s[d] = k;
  Tensor out = empty(s, x.dtype());
  Verdict v;
  current_backend().index_select(out, contiguous(detach(x)), d, index, &v);
  check_verdict(v, "indexSelect", d, n);
  if (is_floating(x.dtype()) && compute_requires_grad({&x})) {
    Shape xs = x.shape();
    auto node = make_node("IndexSelectBackward", {x}, [xs, d](FnNode& nd, const TensorList& g) -> TensorList {
      return {index_add(zeros(xs, g[0].dtype()), d, nd.saved(0), g[0])};
    });
    node->save(index);
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] { return index_select(tangent(x), d, index); });
  return out;
}

Tensor index_add(const Tensor& x, int64_t dim, const Tensor& index0, const Tensor& src) {
  int64_t d = wrap_dim(dim, x.dim());
  Tensor index = as_index(index0, "indexAdd");
  TF_CHECK(index.dim() <= 1, ShapeMismatch, "indexAdd: index must be 1-D");
  TF_CHECK(x.dtype() == src.dtype(), DType, "indexAdd: input and src dtypes differ");
  int64_t k = index.numel(), n = x.dim() ? x.shape()[d] : 1;
  Shape expect = x.shape();
  if (x.dim()) expect[d] = k;
  TF_CHECK(src.shape() == expect, ShapeMismatch, "indexAdd: src has shape ", shape_str(src.shape()), ", expected ",
           shape_str(expect));
  Tensor out;
  {
    GradModeGuard off(false);
    out = contiguous(clone(x));
  }
  Verdict v;
  current_backend().index_add(out, d, index, contiguous(detach(src)), &v);
  check_verdict(v, "indexAdd", d, n);
  if (is_floating(x.dtype()) && compute_requires_grad({&x, &src})) {
    auto node = make_node("IndexAddBackward", {x, src}, [d](FnNode& nd, const TensorList& g) -> TensorList {
      return {g[0], nd.needs_input_grad(1) ? index_select(g[0], d, nd.saved(0)) : Tensor()};
    });
    node->save(index);
    set_history(out, node);
  }
  jvp_rule(out, {&x, &src}, [&] {
    Tensor ts = tangent(src);
    return index_add(tangent_or_zeros(x), d, index, ts.defined() ? ts : zeros(src.shape(), src.dtype()));
  });
  return out;
}

Tensor slice_backward(const Tensor& g, const Shape& in_shape, int64_t dim, int64_t start, int64_t step) {
  Tensor out = zeros(in_shape, g.dtype());
  int64_t len = g.shape()[dim];
  {
    GradModeGuard off(false);
    copy_into(slice(out, dim, start, start + len * step, step), g);
  }
  if (compute_requires_grad({&g})) {
    auto node = make_node("SliceBackwardBackward", {g}, [dim, start, len, step](FnNode&, const TensorList& gg) -> TensorList {
      return {slice(gg[0], dim, start, start + len * step, step)};
    });
    set_history(out, node);
  }
  jvp_rule(out, {&g}, [&] { return slice_backward(tangent(g), in_shape, dim, start, step); });
  return out;
}

Tensor pad(const Tensor& x0, const Dims& pads, const std::string& mode, double value) {
  TF_CHECK(pads.size() % 2 == 0 && int64_t(pads.size()) / 2 <= x0.dim(), InvalidArgument,
           "pad: expected an even number of pads covering at most ", x0.dim(), " dims, got ", pads.size());
  TF_CHECK(mode == "constant" || mode == "reflect" || mode == "replicate" || mode == "circular", InvalidArgument,
           "pad: unknown mode '", mode, "' (constant, reflect, replicate or circular)");
  Tensor x = x0;
  int64_t np = int64_t(pads.size()) / 2;
  for (int64_t i = 0; i < np; ++i) {
    int64_t d = x.dim() - 1 - i, l = pads[2 * i], r = pads[2 * i + 1];
    int64_t n = x.shape()[d];
    if (mode == "constant") {
      // negative pads crop
      if (l < 0 || r < 0) {
        TF_CHECK(-std::min<int64_t>(l, 0) - std::min<int64_t>(r, 0) <= n, InvalidArgument, "pad: cropping more than the size");
        x = slice(x, d, l < 0 ? -l : 0, r < 0 ? n + r : n, 1);
        l = std::max<int64_t>(l, 0);
        r = std::max<int64_t>(r, 0);
      }
      if (l == 0 && r == 0) continue;
      Shape sl = x.shape(), sr = x.shape();
      sl[d] = l; sr[d] = r;
      x = cat({full(sl, value, x.dtype()), x, full(sr, value, x.dtype())}, d);
      continue;
    }
    TF_CHECK(l >= 0 && r >= 0, InvalidArgument, "pad: negative pads are only allowed in constant mode");
    if (l == 0 && r == 0) continue;
    TensorList parts;
    if (mode == "reflect") {
      TF_CHECK(l < n && r < n, InvalidArgument, "pad: reflect padding (", l, ", ", r, ") must be smaller than the size ", n);
      if (l) parts.push_back(flip(slice(x, d, 1, 1 + l, 1), {d}));
      parts.push_back(x);
      if (r) parts.push_back(flip(slice(x, d, n - 1 - r, n - 1, 1), {d}));
    } else if (mode == "replicate") {
      TF_CHECK(n > 0, InvalidArgument, "pad: cannot replicate-pad an empty dimension");
      Shape sl = x.shape(), sr = x.shape();
      sl[d] = l; sr[d] = r;
      if (l) parts.push_back(expand(slice(x, d, 0, 1, 1), sl));
      parts.push_back(x);
      if (r) parts.push_back(expand(slice(x, d, n - 1, n, 1), sr));
    } else {
      TF_CHECK(l <= n && r <= n, InvalidArgument, "pad: circular padding (", l, ", ", r, ") must not exceed the size ", n);
      if (l) parts.push_back(slice(x, d, n - l, n, 1));
      parts.push_back(x);
      if (r) parts.push_back(slice(x, d, 0, r, 1));
    }
    x = cat(parts, d);
  }
  return x.ptr() == x0.ptr() ? clone(x0) : x;
}

Tensor flip(const Tensor& x, const Dims& dims0) {
  Dims dims = normalize_dims(dims0, x.dim(), "flip");
  if (x.dim() == 0) dims.clear();  // dim 0 / -1 of a 0-d tensor is valid, but there is nothing to reverse
  Shape st = x.strides();
  int64_t off = x.offset();
  for (int64_t d : dims) {
    if (x.shape()[d] == 0) continue;
    off += (x.shape()[d] - 1) * st[d];
    st[d] = -st[d];
  }
  Tensor out = empty(x.shape(), x.dtype());
  copy_into(out, make_view(x, x.shape(), st, off));  // the reversed view never escapes this function
  if (is_floating(x.dtype()) && compute_requires_grad({&x})) {
    auto node = make_node("FlipBackward", {x}, [dims](FnNode&, const TensorList& g) -> TensorList { return {flip(g[0], dims)}; });
    set_history(out, node);
  }
  jvp_rule(out, {&x}, [&] { return flip(tangent(x), dims); });
  return out;
}

Tensor roll(const Tensor& x, const Dims& shifts, const Dims& dims) {
  if (dims.empty()) {
    TF_CHECK(shifts.size() == 1, InvalidArgument, "roll: without dims, give exactly one shift");
    return reshape(roll(flatten(x, 0, -1), shifts, {0}), x.shape());
  }
  TF_CHECK(shifts.size() == dims.size(), InvalidArgument, "roll: shifts and dims must have the same length");
  Tensor out = x;
  for (size_t i = 0; i < dims.size(); ++i) {
    int64_t d = wrap_dim(dims[i], x.dim());
    if (x.dim() == 0) continue;  // dim 0 / -1 of a 0-d tensor is valid, but there is nothing to roll
    int64_t n = x.shape()[d];
    if (n == 0) continue;
    int64_t s = ((shifts[i] % n) + n) % n;
    if (s == 0) continue;
    out = cat({slice(out, d, n - s, n, 1), slice(out, d, 0, n - s, 1)}, d);
  }
  return out.ptr() == x.ptr() ? clone(x) : out;
}

Tensor repeat(const Tensor& x, const Dims& reps) {
  TF_CHECK(int64_t(reps.size()) >= x.dim(), InvalidArgument, "repeat: need at least ", x.dim(), " repeat counts, got ",
           reps.size());
  for (int64_t r : reps) TF_CHECK(r >= 0, InvalidSize, "repeat: counts must be non-negative");
  int64_t lead = int64_t(reps.size()) - x.dim();
  Shape base(lead, 1);
  base.insert(base.end(), x.shape().begin(), x.shape().end());
  // [s0, s1] -> [1, s0, 1, s1] -> expand [r0, s0, r1, s1] -> reshape [r0*s0, r1*s1]
  Shape inter, big, fin;
  for (size_t d = 0; d < reps.size(); ++d) {
    inter.push_back(1); inter.push_back(base[d]);
    big.push_back(reps[d]); big.push_back(base[d]);
    fin.push_back(reps[d] * base[d]);
  }
  return reshape(contiguous(expand(reshape(x, inter), big)), fin);
}

}  // namespace tf
