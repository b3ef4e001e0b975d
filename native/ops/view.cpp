// Views share storage with their base: only shape, strides and offset change. Each records a backward that
// maps the gradient back onto the base's shape.
#include <algorithm>
#include "ops.h"
#include "operators.h"
#include "../autograd/node.h"
#include "../autograd/forward_ad.h"

namespace tf {

namespace {

Shape infer_shape(const Shape& shape, int64_t numel, const char* op) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      TF_CHECK(infer < 0, InvalidArgument, op, ": only one dimension can be -1, got ", shape_str(shape));
      infer = int64_t(i);
    } else {
      TF_CHECK(out[i] >= 0, InvalidSize, op, ": invalid size ", shape_str(shape));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    TF_CHECK(known != 0 && numel % known == 0, ShapeMismatch, op, ": shape ", shape_str(shape),
             " is invalid for a tensor of ", numel, " elements");
    out[infer] = numel / known;
  }
  TF_CHECK(checked_numel(out) == numel, ShapeMismatch, op, ": shape ", shape_str(shape),
           " is invalid for a tensor of ", numel, " elements");
  return out;
}

// Strides for viewing (old shape, old strides) as `shape` without copying, or false if impossible:
// dims are matched in chunks of memory-contiguous runs.
bool view_strides(const Shape& os, const Shape& ost, const Shape& ns, Shape* out) {
  Shape nst(ns.size(), 1);
  if (checked_numel(os) == 0 || os.empty()) {
    *out = contiguous_strides(ns);
    return true;
  }
  int64_t view_d = int64_t(ns.size()) - 1;
  int64_t base = ost.back(), tensor_numel = 1, view_numel = 1;
  for (int64_t td = int64_t(os.size()) - 1; td >= 0; --td) {
    tensor_numel *= os[td];
    if (td == 0 || (os[td - 1] != 1 && ost[td - 1] != tensor_numel * base)) {
      while (view_d >= 0 && (view_numel < tensor_numel || ns[view_d] == 1)) {
        nst[view_d] = view_numel * base;
        view_numel *= ns[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return false;
      if (td > 0) { base = ost[td - 1]; tensor_numel = 1; view_numel = 1; }
    }
  }
  if (view_d != -1) return false;
  *out = nst;
  return true;
}

Tensor reshape_like(const Tensor& g, const Shape& s) { return reshape(g, s); }

// A view's tangent is the same view of the input's tangent.
void record_view(Tensor& out, const Tensor& x, const char* name, BackwardFn fn, const std::function<Tensor(const Tensor&)>& same_view) {
  if (compute_requires_grad({&x})) set_history(out, make_node(name, {x}, std::move(fn)));
  jvp_rule(out, {&x}, [&] { return same_view(tangent(x)); });
}

}  // namespace

Tensor view(const Tensor& x, const Shape& shape0) {
  Shape shape = infer_shape(shape0, x.numel(), "view");
  Shape st;
  TF_CHECK(view_strides(x.shape(), x.strides(), shape, &st), InvalidArgument, "view: shape ", shape_str(shape),
           " is not compatible with the input's size and strides (the tensor is not contiguous); use reshape");
  Tensor out = make_view(x, shape, st, x.offset());
  Shape s = x.shape();
  record_view(out, x, "ViewBackward", [s](FnNode&, const TensorList& g) -> TensorList { return {reshape_like(g[0], s)}; },
              [&](const Tensor& t) { return reshape(t, shape); });
  return out;
}

Tensor reshape(const Tensor& x, const Shape& shape0) {
  Shape shape = infer_shape(shape0, x.numel(), "reshape");
  Shape st;
  if (view_strides(x.shape(), x.strides(), shape, &st)) return view(x, shape);
  return view(contiguous(x), shape);
}

Tensor flatten(const Tensor& x, int64_t start, int64_t end) {
  if (x.dim() == 0) return reshape(x, {1});
  int64_t s = wrap_dim(start, x.dim()), e = wrap_dim(end, x.dim());
  TF_CHECK(s <= e, InvalidArgument, "flatten: start dim ", start, " is after end dim ", end);
  Shape ns;
  for (int64_t d = 0; d < s; ++d) ns.push_back(x.shape()[d]);
  int64_t m = 1;
  for (int64_t d = s; d <= e; ++d) m *= x.shape()[d];
  ns.push_back(m);
  for (int64_t d = e + 1; d < x.dim(); ++d) ns.push_back(x.shape()[d]);
  return reshape(x, ns);
}

Tensor permute(const Tensor& x, const Dims& perm) {
  TF_CHECK(int64_t(perm.size()) == x.dim(), InvalidArgument, "permute: got ", perm.size(),
           " dims for a tensor with ", x.dim(), " dimensions");
  Dims p(perm.size());
  std::vector<bool> seen(perm.size(), false);
  for (size_t i = 0; i < perm.size(); ++i) {
    p[i] = wrap_dim(perm[i], x.dim());
    TF_CHECK(!seen[p[i]], InvalidArgument, "permute: dimension ", p[i], " repeats");
    seen[p[i]] = true;
  }
  Shape ns(p.size()), nst(p.size());
  for (size_t i = 0; i < p.size(); ++i) { ns[i] = x.shape()[p[i]]; nst[i] = x.strides()[p[i]]; }
  Tensor out = make_view(x, ns, nst, x.offset());
  Dims inv(p.size());
  for (size_t i = 0; i < p.size(); ++i) inv[p[i]] = int64_t(i);
  record_view(out, x, "PermuteBackward", [inv](FnNode&, const TensorList& g) -> TensorList { return {permute(g[0], inv)}; },
              [&](const Tensor& t) { return permute(t, p); });
  return out;
}

Tensor transpose(const Tensor& x, int64_t d0, int64_t d1) {
  if (x.dim() == 0) return x;
  Dims p(x.dim());
  for (int64_t i = 0; i < x.dim(); ++i) p[i] = i;
  std::swap(p[wrap_dim(d0, x.dim())], p[wrap_dim(d1, x.dim())]);
  return permute(x, p);
}

Tensor expand(const Tensor& x, const Shape& shape) {
  TF_CHECK(int64_t(shape.size()) >= x.dim(), ShapeMismatch, "expand: cannot expand ", shape_str(x.shape()), " to ",
           shape_str(shape), " (fewer dimensions)");
  int64_t lead = int64_t(shape.size()) - x.dim();
  Shape ns(shape.size()), nst(shape.size());
  for (int64_t d = 0; d < int64_t(shape.size()); ++d) {
    int64_t want = shape[d];
    if (d < lead) {
      TF_CHECK(want >= 0, InvalidSize, "expand: invalid size ", shape_str(shape));
      ns[d] = want; nst[d] = 0;
      continue;
    }
    int64_t have = x.shape()[d - lead];
    if (want == -1) want = have;
    TF_CHECK(want >= 0, InvalidSize, "expand: invalid size ", shape_str(shape));
    TF_CHECK(have == want || have == 1, ShapeMismatch, "expand: cannot expand ", shape_str(x.shape()), " to ",
             shape_str(shape), " (dimension ", d, ": ", have, " is neither ", want, " nor 1)");
    ns[d] = want;
    nst[d] = have == want ? x.strides()[d - lead] : 0;
  }
  if (ns == x.shape()) return x;
  Tensor out = make_view(x, ns, nst, x.offset());
  Shape s = x.shape();
  record_view(out, x, "ExpandBackward", [s](FnNode&, const TensorList& g) -> TensorList { return {sum_to(g[0], s)}; },
              [&](const Tensor& t) { return expand(t, ns); });
  return out;
}

Tensor slice(const Tensor& x, int64_t dim, int64_t start, int64_t end, int64_t step) {
  TF_CHECK(x.dim() > 0, InvalidArgument, "slice: cannot slice a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim());
  TF_CHECK(step > 0, InvalidArgument, "slice: step must be positive, got ", step);
  int64_t n = x.shape()[d];
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::min(std::max<int64_t>(start, 0), n);
  end = std::min(std::max<int64_t>(end, start), n);
  int64_t len = (end - start + step - 1) / step;
  Shape ns = x.shape(), nst = x.strides();
  ns[d] = len;
  nst[d] = x.strides()[d] * step;
  Tensor out = make_view(x, ns, nst, x.offset() + start * x.strides()[d]);
  Shape s = x.shape();
  record_view(out, x, "SliceBackward", [s, d, start, step](FnNode&, const TensorList& g) -> TensorList {
    return {slice_backward(g[0], s, d, start, step)};
  }, [&](const Tensor& t) { return slice(t, d, start, end, step); });
  return out;
}

Tensor narrow(const Tensor& x, int64_t dim, int64_t start, int64_t length) {
  // checked before indexing shape(): wrap_dim lets dim 0 through for a 0-d tensor
  TF_CHECK(x.dim() > 0, InvalidArgument, "narrow: cannot narrow a 0-d tensor");
  int64_t d = wrap_dim(dim, x.dim());
  int64_t n = x.shape()[d];
  if (start < 0) start += n;
  TF_CHECK(start >= 0 && length >= 0 && start + length <= n, IndexOutOfRange, "narrow: range [", start, ", ",
           start + length, ") is out of bounds for dimension ", d, " of size ", n);
  return slice(x, d, start, start + length, 1);
}

Tensor select(const Tensor& x, int64_t dim, int64_t index) {
  TF_CHECK(x.dim() > 0, InvalidArgument, "select: cannot select from a 0-d tensor");  // as in narrow
  int64_t d = wrap_dim(dim, x.dim());
  int64_t n = x.shape()[d];
  TF_CHECK(index >= -n && index < n, IndexOutOfRange, "select: index ", index, " is out of bounds for dimension ",
           d, " of size ", n);
  if (index < 0) index += n;
  return squeeze(slice(x, d, index, index + 1, 1), {d});
}

Tensor squeeze(const Tensor& x, const Dims& dims0) {
  Dims dims = normalize_dims(dims0, x.dim(), "squeeze");
  Shape ns;
  for (int64_t d = 0; d < x.dim(); ++d) {
    bool listed = dims.empty() || std::find(dims.begin(), dims.end(), d) != dims.end();
    if (listed && x.shape()[d] == 1) continue;
    ns.push_back(x.shape()[d]);
  }
  if (ns.size() == size_t(x.dim())) return x;
  return reshape(x, ns);
}

Tensor unsqueeze(const Tensor& x, int64_t dim) {
  int64_t d = wrap_dim(dim, x.dim() + 1);
  Shape ns = x.shape();
  ns.insert(ns.begin() + d, 1);
  return reshape(x, ns);
}

Tensor detach_op(const Tensor& x) { return detach(x); }

}  // namespace tf
