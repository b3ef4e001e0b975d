// The reverse-mode graph (the tape): each op that needs gradients records a Node whose backward is written
// with the engine's own ops, so running it with grad mode on records a graph of the backward (higher order).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>
#include "../core/tensor.h"

namespace tf {

struct Node;
struct Edge {
  std::shared_ptr<Node> fn;  // null: that input needs no gradient
  int input_nr = 0;          // which of fn's outputs this edge feeds
};

struct OutputMeta {
  Shape shape;
  DType dtype;
  Device device = Device::CPU;  // where the forward op ran: its backward runs there too
};

struct Node : std::enable_shared_from_this<Node> {
  std::vector<Edge> next;        // one per input of the forward op
  std::vector<OutputMeta> outs;  // one per output of the forward op (the gradients this node receives)
  virtual ~Node() = default;
  // grads: one per output (all defined: the engine fills missing ones with zeros). Returns one per `next`
  // entry; an undefined tensor means "no gradient" for that input.
  virtual TensorList apply(const TensorList& grads) = 0;
  virtual void release() {}
  virtual std::string name() const = 0;
  bool needs_input_grad(size_t i) const { return i < next.size() && next[i].fn != nullptr; }
};

// Sink for a leaf: adds the incoming gradient to leaf.grad.
struct AccumulateGrad : Node {
  std::shared_ptr<TensorImpl> var;
  bool create_graph = false;  // set by the engine for the duration of a backward call
  explicit AccumulateGrad(std::shared_ptr<TensorImpl> v) : var(std::move(v)) {}
  TensorList apply(const TensorList& grads) override;
  std::string name() const override { return "AccumulateGrad"; }
};

// A saved tensor remembers the storage version it saw, so a later in-place write is detected, not used.
struct SavedTensor {
  Tensor t;
  uint64_t version = 0;
  int output_nr = -1;  // >= 0: an output of this node, saved without its grad_fn to avoid a reference cycle
};

class FnNode;
using BackwardFn = std::function<TensorList(FnNode&, const TensorList&)>;

class FnNode : public Node {
 public:
  FnNode(const char* name, BackwardFn fn) : name_(name), fn_(std::move(fn)) {}
  ~FnNode() override;
  TensorList apply(const TensorList& grads) override;
  void release() override;
  std::string name() const override { return name_; }

  int save(const Tensor& t);                 // an input (or any tensor with its own history)
  int save_output(const Tensor& out, int output_nr);
  Tensor saved(int i);                       // TF_AUTOGRAD after release, TF_INPLACE if modified

 private:
  std::string name_;
  BackwardFn fn_;
  std::vector<SavedTensor> saved_;
  bool released_ = false;
};

// ---- helpers used by every op --------------------------------------------------------------------------
bool compute_requires_grad(std::initializer_list<const Tensor*> inputs);
bool compute_requires_grad(const TensorList& inputs);
Edge gradient_edge(const Tensor& t);
// Creates the node for an op over `inputs` (edges set from them). `fn` receives the node and output grads.
std::shared_ptr<FnNode> make_node(const char* name, const TensorList& inputs, BackwardFn fn);
void set_history(Tensor& out, const std::shared_ptr<Node>& node, int output_nr = 0);

// The reverse-mode engine. With `inputs` empty, gradients accumulate into leaves' .grad; otherwise they
// are returned for `inputs` (undefined where unused and allow_unused).
TensorList run_backward(const TensorList& roots, const TensorList& grad_roots, bool retain_graph,
                        bool create_graph, const TensorList& inputs, bool allow_unused);

}  // namespace tf
