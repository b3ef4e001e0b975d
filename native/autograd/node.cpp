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
  acc->outs.push_back({t.shape(), t.dtype()});
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
  node->outs[output_nr] = {out.shape(), out.dtype()};
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
