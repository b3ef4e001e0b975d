// The reverse-mode engine: topological order by dependency counting (Kahn), gradients summed per node input,
// nodes freed as soon as they have run unless the graph is retained.
#include <unordered_map>
#include <unordered_set>
#include "node.h"
#include "grad_mode.h"
#include "../ops/ops.h"

namespace tf {

namespace {

struct Target {
  Node* node;
  int input_nr;
};

}  // namespace

TensorList run_backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
                        bool create_graph, const TensorList& inputs, bool allow_unused) {
  TF_CHECK(roots.size() == grad_roots.size(), InvalidArgument, "got ", roots.size(), " outputs but ",
           grad_roots.size(), " gradients");
  std::vector<Edge> root_edges;
  for (size_t i = 0; i < roots.size(); ++i) {
    const Tensor& r = roots[i];
    TF_CHECK(r.requires_grad(), Autograd, "element ", i, " of the differentiated outputs does not require grad "
             "and has no grad_fn (was it computed inside noGrad, or from tensors without requiresGrad?)");
    const Tensor& g = grad_roots[i];
    if (g.defined()) {
      TF_CHECK(g.shape() == r.shape(), ShapeMismatch, "gradient for output ", i, " has shape ", shape_str(g.shape()),
               " but the output has shape ", shape_str(r.shape()));
      TF_CHECK(g.dtype() == r.dtype(), DType, "gradient for output ", i, " has dtype ", dtype_name(g.dtype()),
               " but the output has dtype ", dtype_name(r.dtype()));
    } else {
      TF_CHECK(r.numel() == 1, Autograd, "grad can be implicitly created only for outputs with one element; output ",
               i, " has shape ", shape_str(r.shape()), ": pass a gradient");
    }
    root_edges.push_back(gradient_edge(r));
  }

  // Capture points for autograd.grad(): the edge each input's gradient arrives through.
  std::vector<Target> targets;
  std::unordered_map<Node*, std::vector<size_t>> targets_at;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    TF_CHECK(t.requires_grad(), Autograd, "input ", i, " to grad() does not require grad");
    Edge e = gradient_edge(t);
    targets.push_back({e.fn.get(), e.input_nr});
    targets_at[e.fn.get()].push_back(i);
  }
  bool capture_mode = !inputs.empty();

  // Discover the graph and count how many edges point at each node.
  std::unordered_map<Node*, int> deps;
  std::unordered_map<Node*, std::shared_ptr<Node>> keep;  // nodes stay alive while we run, even if released
  std::vector<Node*> stack;
  for (auto& e : root_edges) {
    if (!keep.count(e.fn.get())) { keep[e.fn.get()] = e.fn; stack.push_back(e.fn.get()); }
  }
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next) {
      if (!e.fn) continue;
      deps[e.fn.get()]++;
      if (!keep.count(e.fn.get())) { keep[e.fn.get()] = e.fn; stack.push_back(e.fn.get()); }
    }
  }

  // In capture mode only nodes on a path to a target need to run.
  std::unordered_set<Node*> needed;
  if (capture_mode) {
    // A node is needed if it is a target or any child is: decided in an explicit (iterative) post-order.
    std::unordered_map<Node*, int> state;
    std::vector<std::pair<Node*, size_t>> st;
    for (auto& e : root_edges) {
      if (state[e.fn.get()]) continue;
      st.push_back({e.fn.get(), 0});
      state[e.fn.get()] = 1;
      while (!st.empty()) {
        auto& [n, idx] = st.back();
        if (idx < n->next.size()) {
          Node* c = n->next[idx++].fn.get();
          if (c && !state[c]) { state[c] = 1; st.push_back({c, 0}); }
          continue;
        }
        bool need = targets_at.count(n) > 0;
        for (auto& e : n->next)
          if (e.fn && needed.count(e.fn.get())) need = true;
        if (need) needed.insert(n);
        st.pop_back();
      }
    }
  }

  std::unordered_map<Node*, TensorList> buffers;
  auto accumulate = [&](Node* n, int input_nr, Tensor g) {
    TensorList& buf = buffers[n];
    if (buf.size() < n->outs.size()) buf.resize(n->outs.size());
    Tensor& slot = buf.at(input_nr);
    if (!slot.defined()) { slot = g; return; }
    // Two contributions to one gradient are summed on their device: outside a node's scope the context's device is
    // the caller's, and a sum made there was labelled with it (a fan-out on 'ref' came back as a 'cpu' tensor).
    check_same_device(slot, g, "backward: two gradients of one tensor");
    DeviceScope on(g.device());
    slot = add(slot, g);
  };

  TensorList captured(inputs.size());
  std::vector<Node*> ready;
  {
    GradModeGuard mode(create_graph);
    for (size_t i = 0; i < roots.size(); ++i) {
      if (grad_roots[i].defined()) check_same_device(roots[i], grad_roots[i], "backward: an output and its gradient");
      DeviceScope on(roots[i].device());  // an output's seed lives beside it
      Tensor g = grad_roots[i].defined() ? grad_roots[i] : ones(roots[i].shape(), roots[i].dtype());
      accumulate(root_edges[i].fn.get(), root_edges[i].input_nr, g);
    }
  }
  for (auto& e : root_edges)
    if (deps[e.fn.get()] == 0 && std::find(ready.begin(), ready.end(), e.fn.get()) == ready.end())
      ready.push_back(e.fn.get());

  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    TensorList grads = std::move(buffers[n]);
    buffers.erase(n);
    grads.resize(n->outs.size());

    auto ta = targets_at.find(n);
    if (ta != targets_at.end())
      for (size_t idx : ta->second) captured[idx] = grads.at(targets[idx].input_nr);

    bool run = capture_mode ? needed.count(n) > 0 && !dynamic_cast<AccumulateGrad*>(n) : true;
    TensorList out;
    if (run) {
      GradModeGuard mode(create_graph);
      // A node's backward runs on the device its forward ran on (a graph may cross devices through .to()), so the
      // tensors it creates land beside the ones it saved.
      DeviceScope on(n->outs.empty() ? ctx().device : n->outs[0].device);
      for (size_t k = 0; k < grads.size(); ++k)
        if (!grads[k].defined()) grads[k] = zeros(n->outs[k].shape, n->outs[k].dtype);
      if (auto* acc = dynamic_cast<AccumulateGrad*>(n)) acc->create_graph = create_graph;
      out = n->apply(grads);
      if (!retain_graph) n->release();
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      Edge& e = n->next[i];
      if (!e.fn) continue;
      Node* c = e.fn.get();
      if (run && i < out.size() && out[i].defined()) {
        const OutputMeta& m = c->outs.at(e.input_nr);
        TF_CHECK(out[i].shape() == m.shape, Internal, "gradient of ", n->name(), " for input ", i, " has shape ",
                 shape_str(out[i].shape()), ", expected ", shape_str(m.shape));
        GradModeGuard mode(create_graph);
        accumulate(c, e.input_nr, out[i]);
      }
      if (--deps[c] == 0) ready.push_back(c);
    }
  }

  if (capture_mode) {
    for (size_t i = 0; i < inputs.size(); ++i)
      TF_CHECK(captured[i].defined() || allow_unused, Autograd, "input ", i,
               " to grad() was not used to compute the outputs; pass allowUnused: true to get null for it");
    if (!create_graph)
      for (auto& c : captured)
        if (c.defined() && c.requires_grad()) c = detach(c);
  }
  return captured;
}

}  // namespace tf
