#include "op_registry.h"
#include <cmath>
#include <cstring>
#include <limits>
#include "../core/error.h"
#include "../ops/ops.h"

namespace tfc {

Attrs::Attrs(const char* op, const OpEntry& e, const tf_attr* attrs, int n) : op_(op), attrs_(attrs), n_(n) {
  for (int i = 0; i < n; ++i) {
    TF_CHECK(attrs[i].name, InvalidArgument, "attribute ", i, " of op '", op, "' has no name");
    bool known = false;
    for (const std::string& a : e.attrs) known = known || a == attrs[i].name;
    std::string list;
    for (const std::string& a : e.attrs) list += (list.empty() ? "" : ", ") + a;
    TF_CHECK(known, InvalidArgument, "op '", op, "' has no attribute '", attrs[i].name, "' (it reads: ",
             list.empty() ? "none" : list, ")");
    for (int j = 0; j < i; ++j)
      TF_CHECK(std::strcmp(attrs[j].name, attrs[i].name) != 0, InvalidArgument, "attribute '", attrs[i].name,
               "' is given twice");
    TF_CHECK(attrs[i].kind == TF_ATTR_NUMBER || attrs[i].kind == TF_ATTR_INTS, InvalidArgument, "attribute '",
             attrs[i].name, "' has an unknown kind ", int(attrs[i].kind));
    if (attrs[i].kind == TF_ATTR_INTS)
      TF_CHECK(attrs[i].n_ints >= 0 && attrs[i].n_ints <= tf::kMaxDims && (attrs[i].n_ints == 0 || attrs[i].ints),
               InvalidArgument, "attribute '", attrs[i].name, "': n_ints must be in [0, ", tf::kMaxDims,
               "] with ints not NULL");
  }
}

const tf_attr* Attrs::find(const char* name) const {
  for (int i = 0; i < n_; ++i)
    if (std::strcmp(attrs_[i].name, name) == 0) return &attrs_[i];
  return nullptr;
}

double Attrs::number(const char* name, double dflt) const {
  const tf_attr* a = find(name);
  if (!a) return dflt;
  TF_CHECK(a->kind == TF_ATTR_NUMBER, InvalidArgument, "op '", op_, "': attribute '", name, "' must be a number");
  return a->number;
}
double Attrs::number(const char* name) const {
  TF_CHECK(find(name), InvalidArgument, "op '", op_, "' needs the attribute '", name, "'");
  return number(name, 0);
}
std::vector<int64_t> Attrs::ints(const char* name, std::vector<int64_t> dflt) const {
  const tf_attr* a = find(name);
  if (!a) return dflt;
  if (a->kind == TF_ATTR_NUMBER) {  // one integer given as a number
    TF_CHECK(a->number == std::floor(a->number) && std::fabs(a->number) < 9.0e15, InvalidArgument, "op '", op_,
             "': attribute '", name, "' must be an integer, got ", a->number);
    return {int64_t(a->number)};
  }
  return std::vector<int64_t>(a->ints, a->ints + a->n_ints);
}

namespace {

int64_t int_attr(const Attrs& a, const char* name, int64_t dflt) {
  std::vector<int64_t> v = a.ints(name, {dflt});
  TF_CHECK(v.size() == 1, InvalidArgument, "attribute '", name, "' must be one integer");
  return v[0];
}
// A pair attribute (stride, padding, dilation): one integer for both sides or two.
std::pair<int64_t, int64_t> pair_attr(const Attrs& a, const char* name, int64_t dflt) {
  std::vector<int64_t> v = a.ints(name, {dflt});
  TF_CHECK(v.size() == 1 || v.size() == 2, InvalidArgument, "attribute '", name, "' takes 1 or 2 integers, got ", v.size());
  return {v[0], v.size() == 2 ? v[1] : v[0]};
}

tf::UnaryParams unary_params(tf::UnaryOp op, const Attrs& a) {
  const double inf = std::numeric_limits<double>::infinity();
  switch (op) {
    case tf::U_LEAKY_RELU: return {a.number("slope", 0.01), 0};
    case tf::U_ELU: return {a.number("alpha", 1.0), 0};
    case tf::U_SOFTPLUS: return {a.number("beta", 1.0), a.number("threshold", 20.0)};
    case tf::U_CLAMP: return {a.number("min", -inf), a.number("max", inf)};
    case tf::U_POW_SCALAR: return {a.number("exponent"), 0};
    default: return {0, 0};
  }
}
std::vector<std::string> unary_attr_names(tf::UnaryOp op) {
  switch (op) {
    case tf::U_LEAKY_RELU: return {"slope"};
    case tf::U_ELU: return {"alpha"};
    case tf::U_SOFTPLUS: return {"beta", "threshold"};
    case tf::U_CLAMP: return {"min", "max"};
    case tf::U_POW_SCALAR: return {"exponent"};
    default: return {};
  }
}

tf::Tensor reduce_op(const tf::TensorList& in, const Attrs& a,
                     tf::Tensor (*f)(const tf::Tensor&, const tf::Dims&, bool)) {
  return f(in[0], a.ints("dims", {}), a.number("keepdim", 0) != 0);
}

std::vector<OpEntry> make_table() {
  std::vector<OpEntry> t;
#define TF_X(E, js, ...)                                                                                          \
  t.push_back({#js, 1, 1, unary_attr_names(tf::U_##E), [](const tf::TensorList& in, const Attrs& a) {             \
                 tf::UnaryParams p = unary_params(tf::U_##E, a);                                                  \
                 return tf::unary(tf::U_##E, in[0], p.a, p.b);                                                    \
               }});
  TF_UNARY_OPS(TF_X)
#undef TF_X
#define TF_X(E, js, ...) \
  t.push_back({#js, 2, 2, {}, [](const tf::TensorList& in, const Attrs&) { return tf::binary(tf::B_##E, in[0], in[1]); }});
  TF_BINARY_OPS(TF_X)
#undef TF_X
  t.push_back({"matmul", 2, 2, {}, [](const tf::TensorList& in, const Attrs&) { return tf::matmul(in[0], in[1]); }});
  t.push_back({"sum", 1, 1, {"dims", "keepdim"}, [](const tf::TensorList& in, const Attrs& a) { return reduce_op(in, a, tf::sum); }});
  t.push_back({"mean", 1, 1, {"dims", "keepdim"}, [](const tf::TensorList& in, const Attrs& a) { return reduce_op(in, a, tf::mean); }});
  t.push_back({"amax", 1, 1, {"dims", "keepdim"}, [](const tf::TensorList& in, const Attrs& a) { return reduce_op(in, a, tf::amax); }});
  t.push_back({"amin", 1, 1, {"dims", "keepdim"}, [](const tf::TensorList& in, const Attrs& a) { return reduce_op(in, a, tf::amin); }});
  t.push_back({"softmax", 1, 1, {"dim"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::softmax(in[0], int_attr(a, "dim", -1));
               }});
  t.push_back({"logSoftmax", 1, 1, {"dim"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::log_softmax(in[0], int_attr(a, "dim", -1));
               }});
  // Fourier transforms: complex values as a trailing (re, im) dim of size 2; scale multiplies every output
  t.push_back({"fft", 1, 1, {"dim", "inverse", "scale"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::fft_c2c(in[0], int_attr(a, "dim", -1), a.number("inverse", 0) != 0, a.number("scale", 1));
               }});
  t.push_back({"rfft", 1, 1, {"dim", "scale"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::rfft(in[0], int_attr(a, "dim", -1), a.number("scale", 1));
               }});
  t.push_back({"irfft", 1, 1, {"dim", "n", "scale"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::irfft(in[0], int_attr(a, "dim", -1), int_attr(a, "n", 0), a.number("scale", 1));
               }});
  // dense factorisations over the last two dims
  t.push_back({"cholesky", 1, 1, {"jitter"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::cholesky(in[0], a.number("jitter", 0));
               }});
  t.push_back({"triangularSolve", 2, 2, {"upper", "transpose"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::triangular_solve(in[0], in[1], a.number("upper", 0) != 0, a.number("transpose", 0) != 0);
               }});
  t.push_back({"reshape", 1, 1, {"shape"}, [](const tf::TensorList& in, const Attrs& a) {
                 TF_CHECK(a.has("shape"), InvalidArgument, "op 'reshape' needs the attribute 'shape'");
                 return tf::reshape(in[0], a.ints("shape", {}));
               }});
  t.push_back({"transpose", 1, 1, {"dim0", "dim1"}, [](const tf::TensorList& in, const Attrs& a) {
                 return tf::transpose(in[0], int_attr(a, "dim0", 0), int_attr(a, "dim1", 1));
               }});
  t.push_back({"cat", 1, 1024, {"dim"}, [](const tf::TensorList& in, const Attrs& a) { return tf::cat(in, int_attr(a, "dim", 0)); }});
  t.push_back({"where", 3, 3, {}, [](const tf::TensorList& in, const Attrs&) { return tf::where(in[0], in[1], in[2]); }});
  t.push_back({"conv2d", 2, 3, {"stride", "padding", "dilation", "groups"}, [](const tf::TensorList& in, const Attrs& a) {
                 tf::Conv2dParams p;
                 std::tie(p.stride_h, p.stride_w) = pair_attr(a, "stride", 1);
                 std::tie(p.pad_h, p.pad_w) = pair_attr(a, "padding", 0);
                 std::tie(p.dil_h, p.dil_w) = pair_attr(a, "dilation", 1);
                 p.groups = int_attr(a, "groups", 1);
                 return tf::conv2d(in[0], in[1], p, in.size() == 3 ? in[2] : tf::Tensor());
               }});
  t.push_back({"groupNorm", 1, 3, {"groups", "eps"}, [](const tf::TensorList& in, const Attrs& a) {
                 TF_CHECK(in.size() != 2, InvalidArgument, "op 'groupNorm' takes x alone or x, weight and bias");
                 TF_CHECK(a.has("groups"), InvalidArgument, "op 'groupNorm' needs the attribute 'groups'");
                 tf::Tensor w = in.size() == 3 ? in[1] : tf::Tensor(), b = in.size() == 3 ? in[2] : tf::Tensor();
                 return tf::group_norm_op(in[0], int_attr(a, "groups", 1), w, b, a.number("eps", 1e-5), false, false);
               }});
  t.push_back({"attention", 3, 3, {"scale", "causal"}, [](const tf::TensorList& in, const Attrs& a) {
                 double scale = a.number("scale", 1.0 / std::sqrt(double(in[0].dim() > 0 ? in[0].size(-1) : 1)));
                 return tf::attention_op(in[0], in[1], in[2], scale, a.number("causal", 0) != 0, false);
               }});
  return t;
}

const std::vector<OpEntry>& table() {
  static const std::vector<OpEntry> t = make_table();
  return t;
}

}  // namespace

const OpEntry& find_op(const char* name) {
  for (const OpEntry& e : table())
    if (e.name == name) return e;
  tf::fail(tf::ErrorCode::InvalidArgument, "unknown op '", name, "' (tf_op_names lists them)");
}

std::string op_names() {
  std::string s;
  for (const OpEntry& e : table()) s += (s.empty() ? "" : ",") + e.name;
  return s;
}

}  // namespace tfc
