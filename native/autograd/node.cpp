#include "node.h"
#include "grad_mode.h"
#include "../ops/ops.h"

namespace tf {

bool compute_requires_grad(std::initializer_list<const Tensor*> inputs) {
  if (!GradMode::enabled()) return false;
  for (const Tensor* t : inputs)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}
bool compute_requires_grad(const TensorList& inputs) {
  if (!GradMode::enabled()) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

static std::shared_ptr<Node> grad_accumulator(const Tensor& t) {
  TensorImpl* impl = t.impl();
  if (auto acc = impl->grad_accumulator.lock()) return acc;
  auto acc = std::make_shared<AccumulateGrad>(t.ptr());
  acc->outs.push_back({t.shape(), t.dtype(), t.device()});
  impl->grad_accumulator = acc;
  return acc;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  if (t.impl()->grad_fn) return {t.impl()->grad_fn, t.impl()->output_nr};
  return {grad_accumulator(t), 0};
}

std::shared_ptr<FnNode> make_node(const char* name, const TensorList& inputs, BackwardFn fn) {
  auto n = std::make_shared<FnNode>(name, std::move(fn));
  n->next.reserve(inputs.size());
  for (const Tensor& t : inputs) n->next.push_back(gradient_edge(t));
  return n;
}

void set_history(Tensor& out, const std::shared_ptr<Node>& node, int output_nr) {
  TensorImpl* impl = out.impl();
  impl->grad_fn = node;
  impl->output_nr = output_nr;
  impl->requires_grad = true;
  if (node->outs.size() <= size_t(output_nr)) node->outs.resize(output_nr + 1);
  node->outs[output_nr] = {out.shape(), out.dtype(), out.device()};
}

int FnNode::save(const Tensor& t) {
  saved_.push_back({t, t.storage()->version.load(), -1});
  return int(saved_.size()) - 1;
}

int FnNode::save_output(const Tensor& out, int output_nr) {
  saved_.push_back({detach(out), out.storage()->version.load(), output_nr});
  return int(saved_.size()) - 1;
}

Tensor FnNode::saved(int i) {
  TF_CHECK(!released_, Autograd, "trying to backward through the graph a second time (or use its saved tensors "
           "after they were freed) in ", name_, ": pass retainGraph: true to the first backward call");
  SavedTensor& s = saved_.at(i);
  TF_CHECK(s.t.storage()->version.load() == s.version, InPlace, "a tensor saved for the gradient of ", name_,
           " was modified by an in-place operation after it was saved");
  if (s.output_nr < 0) return s.t;
  // Re-attach the output to this node so that a backward-of-backward sees its dependence on the inputs.
  Tensor t = detach(s.t);
  t.impl()->grad_fn = shared_from_this();
  t.impl()->output_nr = s.output_nr;
  t.impl()->requires_grad = true;
  return t;
}

TensorList FnNode::apply(const TensorList& grads) {
  TF_CHECK(!released_, Autograd, "trying to backward through the graph a second time in ", name_,
           ": pass retainGraph: true to the first backward call");
  return fn_(*this, grads);
}

// Destroying the last reference to a long chain of nodes would recurse once per node (node -> edge ->
// node ...) and overflow the C++ stack for graphs of ~1e5 ops. Instead, the first node being destroyed on a
// thread becomes the "drainer": nested destructors only hand over the nodes they would have freed, and the
// drainer frees them one at a time.
namespace {
thread_local bool t_draining = false;
thread_local std::vector<std::shared_ptr<Node>>* t_pending = nullptr;
}  // namespace

FnNode::~FnNode() {
  std::vector<std::shared_ptr<Node>> local;
  bool drainer = !t_draining;
  if (drainer) { t_draining = true; t_pending = &local; }
  // Our edges are ours to hand over whatever their count; a saved tensor's grad_fn only when that tensor
  // dies with us (otherwise it still belongs to a live tensor).
  for (auto& e : next)
    if (e.fn) t_pending->push_back(std::move(e.fn));
  for (auto& st : saved_)
    if (st.t.defined() && st.t.ptr().use_count() == 1 && st.t.impl()->grad_fn)
      t_pending->push_back(std::move(st.t.impl()->grad_fn));
  next.clear();
  saved_.clear();
  fn_ = nullptr;
  if (drainer) {
    while (!local.empty()) {
      std::shared_ptr<Node> n = std::move(local.back());
      local.pop_back();
      n.reset();  // its destructor appends its children to `local`
    }
    t_draining = false;
    t_pending = nullptr;
  }
}

void FnNode::release() {
  saved_.clear();
  released_ = true;
}

TensorList AccumulateGrad::apply(const TensorList& grads) {
  const Tensor& g = grads.at(0);
  Tensor& cur = var->grad;
  if (!cur.defined()) {
    if (create_graph) {
      cur = g;
    } else if (g.is_contiguous() && g.storage().use_count() == 1 && g.ptr().use_count() <= 2 &&
               g.numel() * int64_t(dtype_size(g.dtype())) == int64_t(g.storage()->nbytes)) {
      cur = detach(g);  // nobody else can see this buffer: take it instead of copying
    } else {
      GradModeGuard off(false);
      cur = clone(g);
    }
  } else if (create_graph) {
    cur = add(cur, g);
  } else {
    GradModeGuard off(false);
    cur = add(detach(cur), g);
  }
  return {};
}

}  // namespace tf
