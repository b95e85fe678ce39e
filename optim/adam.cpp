// optim/adam.cpp — Adam/AdamW (see optim/adam.h): per-parameter state, the
// fused "adam_step" kernel dispatch, and the composed reference update.
#include "optim/adam.h"

#include <cmath>

#include "kernels/registry.h"

namespace gantry {
namespace optim {

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Optimizer(std::move(params), o.lr), opt_(o) {
  const char* n = o.decoupled ? "AdamW" : "Adam";
  GANTRY_CHECK(o.beta1 >= 0 && o.beta1 < 1, n, ": beta1 ", o.beta1, " must be in [0, 1)");
  GANTRY_CHECK(o.beta2 >= 0 && o.beta2 < 1, n, ": beta2 ", o.beta2, " must be in [0, 1)");
  GANTRY_CHECK(o.eps >= 0, n, ": eps ", o.eps, " must be >= 0");
  GANTRY_CHECK(o.weight_decay >= 0, n, ": weight_decay ", o.weight_decay, " must be >= 0");
}

std::vector<std::string> Adam::state_fields() const { return {"step", "exp_avg", "exp_avg_sq"}; }

Tensor Adam::new_field(size_t i, const std::string& field) const {
  if (field == "step") return zeros({}, kInt64);  // a host-side counter
  return Optimizer::new_field(i, field);
}

void Adam::step() {
  NoGradGuard ng;
  kernels::AdamAttrs a{lr_, opt_.beta1, opt_.beta2, opt_.eps, opt_.weight_decay, 0,
                       opt_.decoupled};
  // Contiguous parameters that share device, dtype and step count go to one
  // fused adam_step call (one kernel launch for the whole list on CUDA).
  struct Group {
    Device device;
    DType dtype;
    int64_t t;
    kernels::Tensors in, out;
  };
  std::vector<Group> groups;
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor g = grad_of(i);
    if (!g.defined()) continue;
    if (!has_state(i)) init_state(i);
    Tensor& count = state(i, "step");
    const int64_t t = count.item<int64_t>() + 1;
    core::fill_(count, static_cast<double>(t));
    const Tensor& p = params_[i];
    const bool fused =
        opt_.fused && kernels::Registry::instance().has(kernels::OpId::adam_step, p.device().type, p.dtype());
    if (!fused) {
      composed_update(i, g, t);
      continue;
    }
    Tensor& m = state(i, "exp_avg");
    Tensor& v = state(i, "exp_avg_sq");
    Tensor gc = core::contiguous(g);
    if (!p.is_contiguous()) {
      // A strided parameter (a view): update a contiguous copy, write it back.
      Tensor pc = core::clone(p);
      a.step = t;
      kernels::run(kernels::OpId::adam_step, {pc, gc, m, v}, {pc, m, v}, a);
      core::copy_(p, pc);
      continue;
    }
    Group* grp = nullptr;
    for (auto& q : groups)
      if (q.device == p.device() && q.dtype == p.dtype() && q.t == t) grp = &q;
    if (!grp) {
      groups.push_back(Group{p.device(), p.dtype(), t, {}, {}});
      grp = &groups.back();
    }
    Tensor pv = core::detach(p);
    grp->in.insert(grp->in.end(), {pv, gc, m, v});
    grp->out.insert(grp->out.end(), {pv, m, v});
  }
  for (const Group& q : groups) {
    a.step = q.t;
    kernels::run(kernels::OpId::adam_step, q.in, q.out, a);
  }
  ++steps_;
}

void Adam::composed_update(size_t i, const Tensor& grad, int64_t t) {
  const Tensor& p = params_[i];
  Tensor& m = state(i, "exp_avg");
  Tensor& v = state(i, "exp_avg_sq");
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t));
  Tensor pv = core::detach(p);
  Tensor g = grad;
  if (opt_.weight_decay != 0) {
    if (opt_.decoupled) {
      pv = mul(pv, 1.0 - lr_ * opt_.weight_decay);
    } else {
      g = add(g, mul(pv, opt_.weight_decay));
    }
  }
  core::copy_(m, add(mul(m, opt_.beta1), mul(g, 1.0 - opt_.beta1)));
  core::copy_(v, add(mul(v, opt_.beta2), mul(mul(g, g), 1.0 - opt_.beta2)));
  Tensor denom = add(div(sqrt(v), std::sqrt(bc2)), opt_.eps);
  core::copy_(p, sub(pv, mul(div(m, denom), lr_ / bc1)));
}

AdamW::AdamW(std::vector<Tensor> params, AdamOptions o)
    : Adam(std::move(params), [&o] {
        o.decoupled = true;
        return o;
      }()) {}

}  // namespace optim
}  // namespace gantry
