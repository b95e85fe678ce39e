// autograd/saved.cpp — SavedTensor: version-checked tensors kept for backward
// (see saved.h).
#include "autograd/saved.h"

#include "autograd/grad_mode.h"

namespace gantry {
namespace autograd {

bool will_need_grad(const Tensor& t) {
  return t.defined() && GradMode::is_enabled() && t.requires_grad();
}

SavedTensor SavedTensor::input(const Tensor& t, const char* what) {
  SavedTensor s;
  if (!t.defined()) return s;
  s.data_ = t;
  s.what_ = what;
  s.storage_ = t.storage().get();
  s.version_ = t.version();
  return s;
}

SavedTensor SavedTensor::output(const Tensor& t, const char* what, uint32_t output_nr) {
  SavedTensor s;
  if (!t.defined()) return s;
  s.data_ = core::detach(t);  // data only: no link back to the node that keeps it
  s.what_ = what;
  s.storage_ = t.storage().get();
  s.version_ = t.version();
  s.is_output_ = true;
  s.output_nr_ = output_nr;
  return s;
}

Tensor SavedTensor::unpack() const {
  if (!data_.defined()) return data_;
  Node* node = current_node();
  const std::string op = node ? node->name() : std::string("backward");
  GANTRY_CHECK(data_.storage().get() == storage_, op, " saved ", what_, " ",
               shape_str(data_.shape()), ", whose storage has since been replaced in place ",
               "(Module::to or a dtype/device change after the forward?)");
  const uint64_t now = data_.version();
  GANTRY_CHECK(now == version_, op, " saved ", what_, " ", shape_str(data_.shape()),
               " at version ", version_, "; it is now at version ", now,
               ": modified in place after the forward (an optimizer step? copy_/fill_ into ",
               "it?). Run the backward before changing it, or clone it for the forward.");
  if (!is_output_ || !GradMode::is_enabled() || node == nullptr) return data_;
  // Building a graph: the output again, as produced by `node`.
  Tensor t = core::detach(data_);
  AutogradMeta& m = t.ensure_autograd_meta();
  m.requires_grad = true;
  m.grad_fn = node->shared_from_this();
  m.output_nr = output_nr_;
  return t;
}

}  // namespace autograd
}  // namespace gantry
