// optim/sgd.h — stochastic gradient descent with momentum, Nesterov momentum
// and L2 weight decay, with PyTorch's exact update rule (torch.optim.SGD):
//   g = grad + weight_decay * p
//   buf = g                                       (first update of p)
//   buf = momentum * buf + (1 - dampening) * g    (later updates)
//   g = nesterov ? g + momentum * buf : buf       (when momentum != 0)
//   p = p - lr * g
// State: "state.<i>.momentum_buffer" (only when momentum != 0).
#pragma once
#include "optim/optimizer.h"

namespace gantry {
namespace optim {

struct SGDOptions {
  double lr = 1e-3;
  double momentum = 0;
  double dampening = 0;
  bool nesterov = false;  // needs momentum > 0 and dampening == 0
  double weight_decay = 0;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions options);
  void step() override;
  const SGDOptions& options() const { return opt_; }

 protected:
  std::vector<std::string> state_fields() const override;
  const char* name() const override { return "SGD"; }

 private:
  SGDOptions opt_;
};

}  // namespace optim
}  // namespace gantry
