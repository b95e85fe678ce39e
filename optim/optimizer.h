// optim/optimizer.h — the base class of Gantry's optimizers.
//
//   optim::Adam opt(G->parameters(), optim::AdamOptions{2e-4, 0.5, 0.999});
//   opt.zero_grad(); loss.backward(); opt.step();
//
// An optimizer holds the parameter handles (the leaves a Module owns) and
// updates their values in place, without recording a graph. Parameters with no
// gradient (frozen, or not reached by the backward pass) are skipped by
// step(). Per-parameter state is created lazily at a parameter's first update
// and is saved by name: "state.<i>.<field>" (i = the parameter's index in
// params()), plus "step" (int64 0-d: how many times step() ran) and "lr"
// (float64 0-d).
#pragma once
#include <string>
#include <vector>

#include "nn/module.h"

namespace gantry {
namespace optim {

class Optimizer {
 public:
  // params: defined, floating, leaf tensors, each at most once.
  Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer();
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient.
  virtual void step() = 0;
  // Sets every parameter's .grad to undefined (PyTorch's set_to_none).
  void zero_grad();
  // Forgets every parameter's state (Adam's moments and step counts) as if
  // no update had happened; lr and steps() are kept. Progressive growing
  // does this when new layers come in (gan/growth.h).
  void reset_state();

  double lr() const { return lr_; }
  void set_lr(double lr);
  const std::vector<Tensor>& params() const { return params_; }
  // How many times step() has run (restored by load_state_dict).
  int64_t steps() const { return steps_; }

  // A snapshot (copies, not views) of "lr", "step" and each parameter's state.
  virtual nn::NamedTensors state_dict() const;
  // Restores a state_dict() of an optimizer over parameters of the same
  // shapes. Every entry is validated before anything changes; errors name the
  // entry ("Adam::load_state_dict: 'state.3.exp_avg' has shape [4] but
  // parameter 3 has shape [5]").
  virtual void load_state_dict(const nn::NamedTensors& sd);

 protected:
  // The names of the per-parameter state fields, in saving order
  // ({"momentum_buffer"} for SGD, {"step", "exp_avg", "exp_avg_sq"} for Adam).
  virtual std::vector<std::string> state_fields() const = 0;
  // A zero-filled state tensor for `field` of parameter i: by default of the
  // parameter's shape, dtype and device (counters override this: int64 0-d).
  virtual Tensor new_field(size_t i, const std::string& field) const;
  // The class name used in error messages ("Adam").
  virtual const char* name() const = 0;

  // Per-parameter state: state_[i] maps field -> tensor; empty until the
  // parameter's first update.
  std::vector<std::vector<std::pair<std::string, Tensor>>> state_;
  Tensor& state(size_t i, const std::string& field);  // must exist
  bool has_state(size_t i) const { return !state_[i].empty(); }
  // Creates every field of parameter i with new_field().
  void init_state(size_t i);
  // The gradient step() should use for parameter i: undefined when there is
  // none; otherwise checked against the parameter (shape, dtype, device).
  Tensor grad_of(size_t i) const;

  std::vector<Tensor> params_;
  double lr_;
  int64_t steps_ = 0;
};

}  // namespace optim
}  // namespace gantry
