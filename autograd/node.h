// autograd/node.h — the graph: nodes are backward functions, edges point to
// the nodes that produced each input.
//
// An op that records itself creates one Node whose `apply` maps the gradients
// of its outputs to gradients of its inputs, and whose edges name, for each
// input, the node that produced it (its grad_fn, or an AccumulateGrad for a
// leaf that requires grad). The engine walks these edges backwards.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace gantry {

using Tensors = std::vector<Tensor>;

namespace autograd {

struct Node;

// A gradient hook (Tensor::register_hook): sees the gradient arriving for a
// tensor and may return a replacement (undefined: keep it).
using GradHook = std::function<Tensor(const Tensor&)>;

// Frees a node without recursing down the graph below it (engine.cpp); every
// node is owned through a shared_ptr with this deleter.
void delete_node(Node* n);

struct Edge {
  std::shared_ptr<Node> fn;  // null: this input needs no gradient
  uint32_t input_nr = 0;     // which output of `fn` the input was
  bool valid() const { return fn != nullptr; }
};

struct Node : std::enable_shared_from_this<Node> {
  virtual ~Node() = default;
  // grads: one per output of the op (undefined where no gradient flowed).
  // need[i]: whether the engine wants a gradient for input i (its edge is
  // valid and, for autograd::grad, leads to a requested input).
  // Returns one gradient per edge (undefined where not needed).
  virtual Tensors apply(const Tensors& grads, const std::vector<bool>& need) = 0;
  virtual std::string name() const = 0;
  // Drops saved tensors after a backward pass without retain_graph.
  virtual void release() {}

  std::vector<Edge> next;   // one per input of the forward op
  uint32_t num_outputs = 1;
  uint64_t sequence = 0;    // creation order: later nodes run first
  // Hooks of the op's output tensors: (output number, hook), run on the
  // gradient of that output before apply. Leaves keep theirs in AutogradMeta.
  std::vector<std::pair<uint32_t, GradHook>> pre_hooks;
};

// The backward of a differentiable op, written as a function of the output
// gradients. `need[i]` says whether input i wants a gradient, so a frozen
// input (e.g. D's weights during the G step) costs nothing.
using BackwardFn = std::function<Tensors(const Tensors& grads, const std::vector<bool>& need)>;

struct FunctionNode final : Node {
  FunctionNode(std::string name, BackwardFn fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  Tensors apply(const Tensors& grads, const std::vector<bool>& need) override;
  std::string name() const override { return name_; }
  void release() override { fn_ = nullptr; }

 private:
  std::string name_;
  BackwardFn fn_;  // captures whatever the op saved for backward
};

// Sink for a leaf's gradient: adds it into leaf.grad. The stored gradient
// never shares memory with another tensor: it is taken over only when the
// engine holds the sole reference, and copied otherwise.
struct AccumulateGrad final : Node {
  explicit AccumulateGrad(Tensor leaf) : leaf_(std::move(leaf)) { num_outputs = 1; }
  Tensors apply(const Tensors& grads, const std::vector<bool>& need) override;
  std::string name() const override { return "AccumulateGrad"; }
  const Tensor& leaf() const { return leaf_; }

 private:
  Tensor leaf_;
};

// True when recording is on and some input requires grad.
bool any_requires_grad(const Tensors& inputs);

// Records `outputs` as produced from `inputs` by an op with backward `fn`.
// Does nothing when grad mode is off or no input requires grad.
void record(const char* name, const Tensors& inputs, const Tensors& outputs, BackwardFn fn);

// Tensor::register_hook: on t's grad_fn for an intermediate tensor, on the
// tensor's record for a leaf.
void register_hook(const Tensor& t, GradHook hook);

// The edge that a gradient for `t` flows into (grad_fn, or the leaf's
// AccumulateGrad); invalid when t does not require grad.
Edge gradient_edge(const Tensor& t);

}  // namespace autograd
}  // namespace gantry
