// optim/sgd.cpp — SGD (see optim/sgd.h). The update is composed from the
// elementwise ops under NoGradGuard and written into the parameter in place;
// it runs on any device that has those kernels.
#include "optim/sgd.h"

namespace gantry {
namespace optim {

SGD::SGD(std::vector<Tensor> params, SGDOptions o) : Optimizer(std::move(params), o.lr), opt_(o) {
  GANTRY_CHECK(o.momentum >= 0, "SGD: momentum ", o.momentum, " must be >= 0");
  GANTRY_CHECK(o.weight_decay >= 0, "SGD: weight_decay ", o.weight_decay, " must be >= 0");
  GANTRY_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
               "SGD: Nesterov momentum needs momentum > 0 and dampening = 0, got momentum ",
               o.momentum, " and dampening ", o.dampening);
}

std::vector<std::string> SGD::state_fields() const {
  if (opt_.momentum == 0) return {};
  return {"momentum_buffer"};
}

void SGD::step() {
  NoGradGuard ng;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = grad_of(i);
    if (!g.defined()) continue;
    const Tensor& p = params_[i];
    Tensor pv = core::detach(p);  // the values, without p's autograd identity
    if (opt_.weight_decay != 0) g = add(g, mul(pv, opt_.weight_decay));
    if (opt_.momentum != 0) {
      if (!has_state(i)) {
        init_state(i);
        core::copy_(state(i, "momentum_buffer"), g);
      } else {
        Tensor& buf = state(i, "momentum_buffer");
        core::copy_(buf, add(mul(buf, opt_.momentum), mul(g, 1.0 - opt_.dampening)));
      }
      const Tensor& buf = state(i, "momentum_buffer");
      g = opt_.nesterov ? add(g, mul(buf, opt_.momentum)) : buf;
    }
    core::copy_(p, sub(pv, mul(g, lr_)));
  }
  ++steps_;
}

}  // namespace optim
}  // namespace gantry
