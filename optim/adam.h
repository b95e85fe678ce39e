// optim/adam.h — Adam and AdamW with PyTorch's exact update (torch.optim.Adam
// / AdamW, amsgrad off), per parameter p with gradient g at its step t:
//   g  = g + weight_decay * p                    (Adam: L2 decay, decoupled = false)
//   p  = p * (1 - lr * weight_decay)             (AdamW: decoupled = true)
//   m  = beta1 * m + (1 - beta1) * g
//   v  = beta2 * v + (1 - beta2) * g^2
//   p  = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// t counts the updates of that parameter (a parameter without a gradient is
// skipped and its t does not advance), as in PyTorch.
//
// Each parameter is updated by ONE fused pass over memory: the "adam_step"
// kernel (kernels/cpu/optim.cpp). Where no fused kernel is registered for the
// parameter's device and dtype, or when options.fused is false, the same
// formula runs composed from elementwise ops (the unfused reference).
// State: "state.<i>.step" (int64 0-d), "state.<i>.exp_avg", "state.<i>.exp_avg_sq".
#pragma once
#include "optim/optimizer.h"

namespace gantry {
namespace optim {

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool decoupled = false;  // true: AdamW's decoupled weight decay
  bool fused = true;       // false: the composed (unfused) reference update
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options = {});
  void step() override;
  const AdamOptions& options() const { return opt_; }

 protected:
  std::vector<std::string> state_fields() const override;
  Tensor new_field(size_t i, const std::string& field) const override;
  const char* name() const override { return opt_.decoupled ? "AdamW" : "Adam"; }

 private:
  void composed_update(size_t i, const Tensor& g, int64_t t);
  AdamOptions opt_;
};

// Adam with decoupled weight decay (options.decoupled is forced to true).
// Note PyTorch's AdamW defaults weight_decay to 0.01; here it is whatever
// options.weight_decay says (0 by default), so set it explicitly.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamOptions options = {});
};

}  // namespace optim
}  // namespace gantry
