// autograd/engine.cpp — graph recording helpers and the backward engine.
#include "autograd/engine.h"

#include <atomic>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"

namespace gantry {

namespace {
thread_local bool g_grad_enabled = true;
std::atomic<uint64_t> g_sequence{0};
}  // namespace

bool GradMode::is_enabled() { return g_grad_enabled; }
void GradMode::set_enabled(bool on) { g_grad_enabled = on; }

namespace autograd {

// ----------------------------------------------------------------- nodes
Tensors FunctionNode::apply(const Tensors& grads, const std::vector<bool>& need) {
  GANTRY_CHECK(fn_ != nullptr, name_, ": trying to backward through the graph a second time ",
               "(its saved tensors were freed); pass retain_graph=true to the first backward");
  Tensors r = fn_(grads, need);
  GANTRY_CHECK(r.size() == next.size(), name_, ": backward returned ", r.size(),
               " gradients for ", next.size(), " inputs");
  return r;
}

Tensors AccumulateGrad::apply(const Tensors& grads, const std::vector<bool>&) {
  const Tensor& g = grads[0];
  if (!g.defined()) return {};
  GANTRY_CHECK(g.shape() == leaf_.shape(), "AccumulateGrad: gradient of shape ",
               shape_str(g.shape()), " for a leaf of shape ", shape_str(leaf_.shape()));
  Tensor cur = leaf_.grad();
  if (cur.defined()) {
    leaf_.set_grad(add(cur, GradMode::is_enabled() ? g : g.detach()));  // a fresh tensor
    return {};
  }
  // Take the gradient over only if nothing else can see its memory: the
  // engine's buffer is the one reference to the handle and to the storage.
  const bool exclusive = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 &&
                         g.is_contiguous() && g.offset() == 0 && !g.grad_fn();
  if (exclusive) leaf_.set_grad(g);
  else leaf_.set_grad(GradMode::is_enabled() ? clone(g) : core::clone(g));
  return {};
}

bool any_requires_grad(const Tensors& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  if (t.grad_fn()) return Edge{t.grad_fn(), t.output_nr()};
  AutogradMeta& m = t.ensure_autograd_meta();
  std::shared_ptr<Node> acc = m.grad_accumulator.lock();
  if (!acc) {
    acc = std::make_shared<AccumulateGrad>(t);
    m.grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

void record(const char* name, const Tensors& inputs, const Tensors& outputs, BackwardFn fn) {
  if (!any_requires_grad(inputs)) return;
  auto node = std::make_shared<FunctionNode>(name, std::move(fn));
  node->sequence = g_sequence++;
  node->num_outputs = static_cast<uint32_t>(outputs.size());
  for (const auto& t : inputs) node->next.push_back(gradient_edge(t));
  for (size_t i = 0; i < outputs.size(); ++i) {
    AutogradMeta& m = outputs[i].ensure_autograd_meta();
    m.requires_grad = true;
    m.grad_fn = node;
    m.output_nr = static_cast<uint32_t>(i);
  }
}

// ---------------------------------------------------------------- engine
namespace {

struct Target {
  Node* node;
  uint32_t slot;
};

// Runs the graph from `roots`. When `targets` is non-empty, only nodes that
// lead to a target run, gradients reaching targets are returned, and leaves'
// .grad are not touched.
Tensors run_engine(const Tensors& outputs, const Tensors& grad_outputs, bool keep_graph,
                   bool create_graph, const std::vector<Edge>& targets, bool capture) {
  GANTRY_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(), "backward: ",
               outputs.size(), " outputs but ", grad_outputs.size(), " grad_outputs");
  // Root edges and their seed gradients.
  std::vector<Edge> roots;
  Tensors seeds;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    GANTRY_CHECK(out.defined() && out.requires_grad(), "backward: output ", i,
                 " does not require grad and has no grad_fn");
    Tensor g = grad_outputs.empty() ? Tensor() : grad_outputs[i];
    if (!g.defined()) {
      GANTRY_CHECK(out.numel() == 1, "backward: grad can be implicitly created only for ",
                   "one-element outputs; output ", i, " has shape ", shape_str(out.shape()));
      g = ones_like(out);
    }
    GANTRY_CHECK(g.shape() == out.shape(), "backward: grad_output ", i, " has shape ",
                 shape_str(g.shape()), " but the output has shape ", shape_str(out.shape()));
    roots.push_back(gradient_edge(out));
    seeds.push_back(g);
  }

  // Discover the graph; count, for each node, the edges that point into it.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> order;  // discovery order
  {
    std::vector<Node*> stack;
    std::unordered_set<Node*> seen;
    for (auto& e : roots)
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    while (!stack.empty()) {
      Node* n = stack.back();
      stack.pop_back();
      order.push_back(n);
      for (auto& e : n->next) {
        if (!e.valid()) continue;
        deps[e.fn.get()]++;
        if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
      }
    }
  }

  // With targets, a node is needed if it is a target or some needed node is below it.
  std::unordered_set<Node*> target_nodes;
  for (auto& t : targets)
    if (t.valid()) target_nodes.insert(t.fn.get());
  std::unordered_map<Node*, bool> needed;
  if (capture) {
    // Post-order: children first. `order` is a DFS pre-order; iterate until stable.
    std::function<bool(Node*)> visit = [&](Node* n) -> bool {
      auto it = needed.find(n);
      if (it != needed.end()) return it->second;
      needed[n] = false;  // cycles cannot occur; this just marks visiting
      bool r = target_nodes.count(n) > 0;
      for (auto& e : n->next)
        if (e.valid() && visit(e.fn.get())) r = true;
      needed[n] = r;
      return r;
    };
    for (auto& e : roots) visit(e.fn.get());
  }
  auto is_needed = [&](Node* n) { return !capture || needed[n]; };

  // Gradient buffers per node (one slot per output of the node).
  std::unordered_map<Node*, Tensors> buffers;
  auto accumulate = [&](Node* n, uint32_t slot, const Tensor& g) {
    Tensors& buf = buffers[n];
    if (buf.empty()) buf.resize(n->num_outputs);
    if (!g.defined()) return;
    buf[slot] = buf[slot].defined() ? add(buf[slot], g) : g;
  };
  for (size_t i = 0; i < roots.size(); ++i) accumulate(roots[i].fn.get(), roots[i].input_nr, seeds[i]);

  // Keep node objects alive while we hold raw pointers.
  std::unordered_map<Node*, std::shared_ptr<Node>> alive;
  for (auto& e : roots) alive[e.fn.get()] = e.fn;

  auto cmp = [](Node* a, Node* b) { return a->sequence < b->sequence; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(cmp)> ready(cmp);
  {
    std::unordered_set<Node*> pushed;
    for (auto& e : roots)
      if (deps[e.fn.get()] == 0 && pushed.insert(e.fn.get()).second) ready.push(e.fn.get());
  }

  std::unordered_map<Node*, Tensors> captured;  // target node -> its slot gradients
  GradModeGuard mode(create_graph);
  while (!ready.empty()) {
    Node* n = ready.top();
    ready.pop();
    Tensors grads = std::move(buffers[n]);
    buffers.erase(n);
    if (grads.empty()) grads.resize(n->num_outputs);
    if (capture && target_nodes.count(n)) captured[n] = grads;

    bool any = false;
    for (auto& g : grads) any |= g.defined();
    bool is_leaf_sink = dynamic_cast<AccumulateGrad*>(n) != nullptr;
    bool run = any && is_needed(n);
    if (capture && is_leaf_sink) run = false;  // grad() never touches .grad
    if (capture && run) {
      // Run only if something below is needed.
      bool below = false;
      for (auto& e : n->next)
        if (e.valid() && is_needed(e.fn.get())) below = true;
      run = below;
    }
    Tensors in_grads;
    if (run) {
      std::vector<bool> need(n->next.size());
      for (size_t i = 0; i < need.size(); ++i)
        need[i] = n->next[i].valid() && is_needed(n->next[i].fn.get());
      in_grads = n->apply(grads, need);
      if (!keep_graph) n->release();
    }
    for (size_t i = 0; i < n->next.size(); ++i) {
      const Edge& e = n->next[i];
      if (!e.valid()) continue;
      Node* c = e.fn.get();
      alive.emplace(c, e.fn);
      if (run && i < in_grads.size() && in_grads[i].defined())
        accumulate(c, e.input_nr, in_grads[i]);
      if (--deps[c] == 0) ready.push(c);
    }
  }

  Tensors result;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Edge& t = targets[i];
    Tensor g;
    if (t.valid()) {
      auto it = captured.find(t.fn.get());
      if (it != captured.end() && t.input_nr < it->second.size()) g = it->second[t.input_nr];
    }
    result.push_back(g);
  }
  return result;
}

}  // namespace

void backward(const Tensors& outputs, const Tensors& grad_outputs, bool retain_graph,
              bool create_graph) {
  run_engine(outputs, grad_outputs, retain_graph || create_graph, create_graph, {}, false);
}

Tensors grad(const Tensors& outputs, const Tensors& inputs, const Tensors& grad_outputs,
             bool create_graph, bool retain_graph, bool allow_unused) {
  std::vector<Edge> targets;
  for (size_t i = 0; i < inputs.size(); ++i) {
    GANTRY_CHECK(inputs[i].defined() && inputs[i].requires_grad(), "grad: input ", i,
                 " does not require grad");
    targets.push_back(gradient_edge(inputs[i]));
  }
  Tensors r = run_engine(outputs, grad_outputs, retain_graph || create_graph, create_graph,
                         targets, true);
  for (size_t i = 0; i < r.size(); ++i)
    GANTRY_CHECK(allow_unused || r[i].defined(), "grad: input ", i, " (shape ",
                 shape_str(inputs[i].shape()), ") was not used to compute the outputs; pass ",
                 "allow_unused=true to get an undefined gradient instead");
  return r;
}

}  // namespace autograd
}  // namespace gantry
