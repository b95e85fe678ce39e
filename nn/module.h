// nn/module.h — Module: a named tree of parameters, buffers and submodules.
//
//   struct Block : nn::Module {
//     std::shared_ptr<nn::Conv2d> conv;
//     Block() { conv = register_module("conv", std::make_shared<nn::Conv2d>(3, 8, 3)); }
//     Tensor forward(const Tensor& x) override { return relu(conv->forward(x)); }
//   };
//
// Names are dotted paths ("main.0.weight"), in registration order, so
// state_dict() is deterministic and matches PyTorch's naming. Parameters are
// leaf tensors that require grad; buffers (batch-norm running stats) are state
// that is saved but not trained. nn/ builds only on autograd/ops.h.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/ops.h"

namespace gantry {
namespace nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module : public std::enable_shared_from_this<Module> {
 public:
  virtual ~Module() = default;

  // The module's computation. Modules with other signatures (several inputs)
  // add their own overloads; this one is what Sequential calls.
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }

  // Registration (returns what it registered, for one-line member init).
  Tensor& register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    register_module_impl(name, m);
    return m;
  }

  // Recursive views, dotted names, registration order.
  NamedTensors named_parameters() const;
  NamedTensors named_buffers() const;
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_children() const;

  // Mode (training: batch statistics, dropout on). Recursive.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Sets every parameter's .grad to undefined.
  void zero_grad();
  // Turns requires_grad on/off for every parameter (freezing a network).
  void requires_grad_(bool on);
  // Moves parameters and buffers to a device (in place: handles stay valid).
  void to(Device d);

  // Parameters then buffers, by dotted name (detached views of the live data).
  NamedTensors state_dict() const;
  // Copies values in. strict: a missing, unexpected or mis-shaped entry is an
  // error naming it; non-strict loads what matches and ignores the rest.
  void load_state_dict(const NamedTensors& sd, bool strict = true);

  // A short human-readable name ("Conv2d(1, 64, k=4, s=2, p=1)").
  virtual std::string repr() const { return "Module"; }

 protected:
  void register_module_impl(const std::string& name, std::shared_ptr<Module> m);

 private:
  std::vector<std::pair<std::string, Tensor>> params_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

}  // namespace nn
}  // namespace gantry
