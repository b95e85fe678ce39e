// autograd/engine.cpp — graph recording, the backward engine, hooks, and
// iterative graph release.
//
// Nothing here recurses: backward, grad (with or without create_graph) and
// the destruction of a graph all walk it with explicit stacks and queues, so
// a chain of any length (200,000 ops in test_autograd) runs and frees in
// constant C++ stack.
#include "autograd/engine.h"

#include <atomic>
#include <mutex>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "autograd/grad_mode.h"
#include "autograd/ops.h"
#include "autograd/saved.h"

namespace gantry {

namespace {
thread_local bool g_grad_enabled = true;
std::atomic<uint64_t> g_sequence{0};
thread_local autograd::Node* g_current_node = nullptr;
// Guards what threads that share leaves (parameters) touch together: a
// leaf's cached AccumulateGrad, its .grad during accumulation, and its hooks.
std::mutex g_leaf_mutex;
}  // namespace

bool GradMode::is_enabled() { return g_grad_enabled; }
void GradMode::set_enabled(bool on) { g_grad_enabled = on; }

namespace autograd {

Node* current_node() { return g_current_node; }

// ----------------------------------------------------------------- nodes
namespace {
// Marks `n` as the running node for SavedTensor::unpack (saved.h).
struct RunningNode {
  Node* prev;
  explicit RunningNode(Node* n) : prev(g_current_node) { g_current_node = n; }
  ~RunningNode() { g_current_node = prev; }
};
}  // namespace

Tensors FunctionNode::apply(const Tensors& grads, const std::vector<bool>& need) {
  GANTRY_CHECK(fn_ != nullptr, name_, ": trying to backward through the graph a second time ",
               "(its saved tensors were freed); pass retain_graph=true to the first backward");
  RunningNode running(this);
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
  std::lock_guard<std::mutex> lock(g_leaf_mutex);  // two threads may share this leaf
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

// Frees a node without recursing down its graph. Destroying a node releases
// its edges and saved tensors, which may hold the last reference to the next
// node, and so on down a chain: a naive release recurses once per node. Here
// the edges are moved out first, onto an explicit stack, so the node's own
// destructor frees nothing but its saved data; then each moved-out node
// whose only owner is the stack is taken apart the same way.
void delete_node(Node* root) {
  std::vector<std::shared_ptr<Node>> stack;
  auto take_edges = [&stack](Node* n) {
    for (Edge& e : n->next)
      if (e.fn) stack.push_back(std::move(e.fn));
  };
  take_edges(root);
  delete root;
  while (!stack.empty()) {
    std::shared_ptr<Node> n = std::move(stack.back());
    stack.pop_back();
    if (n.use_count() == 1) take_edges(n.get());
    // n's last owner may go here: delete_node runs again on a node whose
    // edges are already on this stack, so it goes one level deep at most.
  }
}

namespace {
template <typename T, typename... Args>
std::shared_ptr<Node> make_node(Args&&... args) {
  return std::shared_ptr<Node>(new T(std::forward<Args>(args)...), &delete_node);
}
}  // namespace

bool any_requires_grad(const Tensors& inputs) {
  if (!GradMode::is_enabled()) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

Edge gradient_edge(const Tensor& t) {
  if (!t.defined() || !t.requires_grad()) return {};
  if (t.grad_fn()) return Edge{t.grad_fn(), t.output_nr()};
  std::lock_guard<std::mutex> lock(g_leaf_mutex);
  AutogradMeta& m = t.ensure_autograd_meta();
  std::shared_ptr<Node> acc = m.grad_accumulator.lock();
  if (!acc) {
    acc = make_node<AccumulateGrad>(t);
    m.grad_accumulator = acc;
  }
  return Edge{acc, 0};
}

void record(const char* name, const Tensors& inputs, const Tensors& outputs, BackwardFn fn) {
  if (!any_requires_grad(inputs)) return;
  auto node = make_node<FunctionNode>(name, std::move(fn));
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

// ----------------------------------------------------------------- hooks
void register_hook(const Tensor& t, GradHook hook) {
  GANTRY_CHECK(t.defined() && t.requires_grad(), "register_hook: the tensor ",
               t.defined() ? shape_str(t.shape()) : std::string("(undefined)"),
               " does not require grad, so no gradient will reach a hook");
  GANTRY_CHECK(hook != nullptr, "register_hook: the hook is empty");
  if (auto fn = t.grad_fn()) {
    fn->pre_hooks.push_back({t.output_nr(), std::move(hook)});
    return;
  }
  std::lock_guard<std::mutex> lock(g_leaf_mutex);
  t.ensure_autograd_meta().hooks.push_back(std::move(hook));
}

namespace {
// Runs the hooks on the gradients arriving at node n (slot i = output i of
// n's op; for an AccumulateGrad, the leaf). A hook returning an undefined
// tensor keeps the gradient it was given.
void run_hooks(Node* n, Tensors& grads) {
  auto apply = [](const GradHook& h, Tensor& g) {
    if (!g.defined()) return;
    Tensor r = h(g);
    if (!r.defined()) return;
    GANTRY_CHECK(r.shape() == g.shape(), "register_hook: a hook returned a gradient of shape ",
                 shape_str(r.shape()), " for one of shape ", shape_str(g.shape()));
    g = r;
  };
  for (const auto& [slot, h] : n->pre_hooks)
    if (slot < grads.size()) apply(h, grads[slot]);
  if (auto* acc = dynamic_cast<AccumulateGrad*>(n)) {
    std::vector<GradHook> hooks;
    {
      std::lock_guard<std::mutex> lock(g_leaf_mutex);
      if (AutogradMeta* m = acc->leaf().autograd_meta()) hooks = m->hooks;
    }
    for (const auto& h : hooks) apply(h, grads[0]);
  }
}
}  // namespace

// ---------------------------------------------------------------- engine
namespace {

// Runs the graph from `outputs`. When `capture` is set, only nodes that lead
// to a target run, the gradients reaching the targets are returned, and
// leaves' .grad are not touched (autograd::grad); otherwise every leaf
// reached accumulates into .grad (backward).
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

  // Discover the graph (iteratively); count, for each node, the edges that
  // point into it. `order` is a discovery order in which every node comes
  // after some node that points to it.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> order;
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

  // With targets, a node is needed if it is a target or leads to one. The
  // graph is acyclic: process nodes children-first, which is the reverse of
  // a topological order (Kahn's algorithm on the in-edge counts).
  std::unordered_set<Node*> target_nodes;
  for (auto& t : targets)
    if (t.valid()) target_nodes.insert(t.fn.get());
  std::unordered_map<Node*, bool> needed;
  if (capture) {
    std::unordered_map<Node*, int> indeg = deps;
    std::vector<Node*> topo, ready_nodes;
    topo.reserve(order.size());
    for (Node* n : order)
      if (indeg[n] == 0) ready_nodes.push_back(n);
    while (!ready_nodes.empty()) {
      Node* n = ready_nodes.back();
      ready_nodes.pop_back();
      topo.push_back(n);
      for (auto& e : n->next)
        if (e.valid() && --indeg[e.fn.get()] == 0) ready_nodes.push_back(e.fn.get());
    }
    for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
      Node* n = *it;
      bool r = target_nodes.count(n) > 0;
      for (auto& e : n->next)
        if (e.valid() && needed[e.fn.get()]) r = true;
      needed[n] = r;
    }
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

  // Ready nodes run latest-created first, so a run is deterministic.
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
    if (is_needed(n)) run_hooks(n, grads);
    if (capture && target_nodes.count(n)) captured[n] = grads;

    bool any = false;
    for (auto& g : grads) any |= g.defined();
    const bool is_leaf_sink = dynamic_cast<AccumulateGrad*>(n) != nullptr;
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
