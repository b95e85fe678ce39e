// autograd/engine.h — running the graph backwards.
//
//   loss.backward();                                 // accumulate into leaves' .grad
//   auto g = autograd::grad({d_out}, {x}, {}, true); // returns dD/dx, builds its graph
//
// Nodes run in dependency order (a node runs once all gradients for its
// outputs have arrived), ties broken by creation order, so a run is
// deterministic. With create_graph the backward formulas are themselves
// recorded, so the returned gradients can be differentiated again (gradient
// penalties). Without retain_graph (or create_graph) saved tensors are freed
// and a second pass through the same graph is an error.
#pragma once
#include "autograd/node.h"

namespace gantry {
namespace autograd {

// Accumulates d(outputs)/d(leaf) into every reachable leaf's .grad.
// grad_outputs may be empty (each output must then have one element).
void backward(const Tensors& outputs, const Tensors& grad_outputs = {}, bool retain_graph = false,
              bool create_graph = false);

// Returns d(outputs)/d(inputs) contracted with grad_outputs, without touching
// any .grad. An input the outputs do not depend on is an error unless
// allow_unused (then its gradient is undefined).
Tensors grad(const Tensors& outputs, const Tensors& inputs, const Tensors& grad_outputs = {},
             bool create_graph = false, bool retain_graph = false, bool allow_unused = false);

}  // namespace autograd
}  // namespace gantry
