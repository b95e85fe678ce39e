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
#include <deque>
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

  // Registration (returns what it registered, for one-line member init; the
  // reference stays valid for the module's lifetime). A name must be
  // non-empty, contain no '.', and be new among this module's parameters,
  // buffers and children. A parameter that is the output of an op is
  // detached first (parameters are leaves).
  Tensor& register_parameter(const std::string& name, Tensor t, bool requires_grad = true);
  Tensor& register_buffer(const std::string& name, Tensor t);
  // Removes this module's own parameter `name` and returns it (a wrapper such
  // as SpectralNorm takes over a layer's weight). References returned by
  // earlier register_parameter calls may dangle afterwards; member handles
  // (`Tensor weight`) stay valid.
  Tensor take_parameter(const std::string& name);
  template <typename M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    register_module_impl(name, m);
    return m;
  }

  // Recursive views, dotted names, registration order: a module's own
  // entries, then each child's. A tensor shared by two modules is listed once
  // (under its first name) by named_parameters()/parameters().
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
  // Moves parameters (and their gradients) and buffers to a device, in place:
  // every handle stays valid and sees the new storage. All tensors are copied
  // before any is swapped, so a failure leaves the module as it was. Today
  // only `cpu` has an allocator; asking for `cuda` raises an error saying so.
  void to(Device d);
  // Converts every floating-point parameter and buffer to dtype `t` in place
  // (handles stay valid; gradients are dropped). Float64 modules are what
  // gradcheck/gradgradcheck need.
  void to(DType t);

  // PyTorch's order and names: each module's parameters, then its buffers,
  // then its children's entries ("main.1.weight", "main.1.running_mean").
  // Values are detached views of the live data (not copies).
  NamedTensors state_dict() const;
  // Copies values in place (core::copy_, converting dtype), so parameter
  // handles held elsewhere (optimizers) stay valid. strict: every missing,
  // unexpected or mis-shaped entry is reported, each by name, in one error,
  // and nothing is copied; non-strict loads what matches by name and shape and
  // ignores the rest.
  void load_state_dict(const NamedTensors& sd, bool strict = true);

  // A human-readable description in PyTorch's style
  // ("Conv2d(1, 64, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)");
  // the default prints the class name and the children, indented.
  virtual std::string repr() const;

 protected:
  void register_module_impl(const std::string& name, std::shared_ptr<Module> m);
  // "head" alone, or PyTorch's multi-line form when there are children:
  //   head(
  //     (0): Linear(in_features=2, out_features=3, bias=True)
  //   )
  std::string repr_with_children(const std::string& head) const;

 private:
  void collect_state(const std::string& prefix, NamedTensors* out) const;
  void check_new_name(const std::string& name, const char* what) const;

  // deques: register_parameter/register_buffer hand out stable references.
  std::deque<std::pair<std::string, Tensor>> params_;
  std::deque<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Eval mode for a scope: puts `m` in eval mode and restores the mode it had
// when the scope ends, on return or exception alike. Samplers, metrics,
// projection and direction finding run the generator this way:
//   { nn::EvalGuard eg(G); images = G.forward(z); }   // G trains again after
class EvalGuard {
 public:
  explicit EvalGuard(Module& m) : m_(m), was_training_(m.is_training()) { m_.eval(); }
  ~EvalGuard() { m_.train(was_training_); }
  EvalGuard(const EvalGuard&) = delete;
  EvalGuard& operator=(const EvalGuard&) = delete;

 private:
  Module& m_;
  bool was_training_;
};

// Freezes a network (requires_grad false on its parameters) for the guard's
// lifetime and unfreezes it when the guard goes, by return or by throw: a
// GAN's G step uses it on D (no weight-gradient work for D).
class FreezeGuard {
 public:
  explicit FreezeGuard(Module& m) : m_(m) { m_.requires_grad_(false); }
  ~FreezeGuard() { m_.requires_grad_(true); }
  FreezeGuard(const FreezeGuard&) = delete;
  FreezeGuard& operator=(const FreezeGuard&) = delete;

 private:
  Module& m_;
};

namespace detail {
// A double as Python's repr() prints it ("0.1", "1e-05", "2.0"), for repr().
std::string py_float(double v);
}  // namespace detail

}  // namespace nn
}  // namespace gantry
