// autograd/saved.h — what an op keeps for its backward, checked against
// in-place writes.
//
// A backward formula reads some of the op's inputs or its output. Kept as
// plain Tensors, two things go wrong:
//   - an in-place write between the forward and the backward (an optimizer
//     step, a copy_ into a buffer, Module::to) silently changes what the
//     backward reads: wrong gradients and no error;
//   - keeping the op's own output, whose grad_fn is the very node that keeps
//     it, makes a reference cycle (node -> output -> node) that never frees.
//
// SavedTensor records the storage's version counter (core/storage.h: bumped by
// every in-place write) when it is saved. unpack() compares it and throws,
// naming the op, the tensor, its shape and both versions, when the storage was
// written since.
//
// A saved *output* is kept as a detached alias (data, no autograd record) plus
// its output number. When no graph is being built, unpack() returns that
// alias. When one is (create_graph), unpack() re-attaches it to the node that
// is running: a saved output is unpacked only by the backward of the op that
// produced it, so that node is its grad_fn, and differentiating the backward
// formula again flows through the output as it should. PyTorch's
// SavedVariable solves the same problem with a weak link to the grad_fn; here
// the engine tells which node is running (current_node()), so nothing weak is
// kept at all.
//
// Usage inside an op definition:
//   auto sx = save_if(n_w, x, "input");       // x is read only for w's gradient
//   auto sy = save_output(out, "result");     // tanh: d = g * (1 - y^2)
//   record("TanhBackward", {x}, {out}, [sy](const Tensors& g, const NeedMask&) {
//     Tensor y = sy.unpack();  ...
#pragma once
#include <cstdint>

#include "autograd/node.h"

namespace gantry {
namespace autograd {

class SavedTensor {
 public:
  SavedTensor() = default;  // nothing saved; unpack() gives an undefined tensor

  // Saves an input of the op (the handle itself: its grad_fn is upstream, so
  // keeping it makes no cycle). `what` names it in errors: "weight".
  static SavedTensor input(const Tensor& t, const char* what);
  // Saves output `output_nr` of the op as data plus output number.
  static SavedTensor output(const Tensor& t, const char* what, uint32_t output_nr = 0);

  bool defined() const { return data_.defined(); }
  // The saved tensor. Throws gantry::Error if its storage was written in place
  // (or replaced, as Module::to does) since it was saved.
  Tensor unpack() const;

 private:
  Tensor data_;
  const char* what_ = "";
  const void* storage_ = nullptr;  // identity of the storage at save time
  uint64_t version_ = 0;
  bool is_output_ = false;
  uint32_t output_nr_ = 0;
};

// Save helpers for op definitions: an undefined SavedTensor when `needed` is
// false (the backward that would read it will not run), so a frozen operand
// (D's weights in the G step) keeps nothing of the other one alive.
inline SavedTensor save(const Tensor& t, const char* what) { return SavedTensor::input(t, what); }
inline SavedTensor save_if(bool needed, const Tensor& t, const char* what) {
  return needed ? SavedTensor::input(t, what) : SavedTensor();
}
inline SavedTensor save_output(const Tensor& t, const char* what, uint32_t output_nr = 0) {
  return SavedTensor::output(t, what, output_nr);
}

// Whether `t` will want a gradient from the op being recorded now: recording
// is on and t requires grad. Ops use it to decide what to save.
bool will_need_grad(const Tensor& t);

// The node whose backward is running on this thread (nullptr outside one).
Node* current_node();

}  // namespace autograd
}  // namespace gantry
