// optim/ema.cpp — exponential moving average of weights (see optim/ema.h).
#include "optim/ema.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace gantry {
namespace optim {

namespace {

// The source's state_dict() and, per entry, whether it is a parameter. The
// entries are detached views, so parameters are recognised by their storage
// and geometry (a parameter shared under two names is averaged under both).
nn::NamedTensors live_state(const nn::Module& m, std::vector<bool>* is_param) {
  nn::NamedTensors sd = m.state_dict();
  if (is_param) {
    const nn::NamedTensors params = m.named_parameters();
    is_param->clear();
    for (const auto& e : sd) {
      bool found = false;
      for (const auto& p : params)
        found = found || (p.second.storage() == e.second.storage() &&
                          p.second.offset() == e.second.offset() &&
                          p.second.shape() == e.second.shape());
      is_param->push_back(found);
    }
  }
  return sd;
}

}  // namespace

EMA::EMA(const nn::Module& src, double decay) : decay_(decay) {
  GANTRY_CHECK(decay >= 0 && decay <= 1, "EMA: decay ", decay, " must be in [0, 1]");
  nn::NamedTensors sd = live_state(src, &is_param_);
  for (auto& e : sd) shadow_.emplace_back(e.first, core::clone(e.second));
}

void EMA::update(const nn::Module& src) {
  nn::NamedTensors sd = live_state(src, nullptr);
  GANTRY_CHECK(sd.size() == shadow_.size(), "EMA::update: the module has ", sd.size(),
               " tensors, the EMA was built from one with ", shadow_.size());
  for (size_t k = 0; k < sd.size(); ++k)
    GANTRY_CHECK(sd[k].first == shadow_[k].first && sd[k].second.shape() == shadow_[k].second.shape(),
                 "EMA::update: module entry '", sd[k].first, "' ", shape_str(sd[k].second.shape()),
                 " does not match the EMA's '", shadow_[k].first, "' ",
                 shape_str(shadow_[k].second.shape()));
  NoGradGuard ng;
  for (size_t k = 0; k < sd.size(); ++k) {
    const Tensor& s = shadow_[k].second;
    const Tensor& x = sd[k].second;
    if (is_param_[k]) {
      core::copy_(s, add(mul(s, decay_), mul(x, 1.0 - decay_)));
    } else {
      core::copy_(s, x);
    }
  }
}

void EMA::set_decay(double decay) {
  GANTRY_CHECK(decay >= 0 && decay <= 1, "EMA: decay ", decay, " must be in [0, 1]");
  decay_ = decay;
}

double EMA::rampup_decay(double decay, double rampup, int64_t batch, int64_t images_seen) {
  GANTRY_CHECK(rampup > 0 && batch > 0 && images_seen >= 0, "EMA::rampup_decay: rampup ", rampup,
               " and batch ", batch, " must be positive, images_seen ", images_seen, " non-negative");
  const double limit = rampup * static_cast<double>(images_seen);  // the longest half-life now
  if (limit <= 0) return 0.0;
  return std::min(decay, std::pow(0.5, static_cast<double>(batch) / limit));
}

void EMA::copy_to(nn::Module& dst) const { dst.load_state_dict(shadow_, /*strict=*/true); }

nn::NamedTensors EMA::state_dict() const {
  nn::NamedTensors out;
  for (const auto& e : shadow_) out.emplace_back(e.first, core::detach(e.second));
  return out;
}

void EMA::load_state_dict(const nn::NamedTensors& sd) {
  std::map<std::string, Tensor> given;
  for (const auto& e : sd)
    GANTRY_CHECK(given.emplace(e.first, e.second).second, "EMA::load_state_dict: '", e.first,
                 "' appears twice");
  for (const auto& e : shadow_) {
    auto it = given.find(e.first);
    GANTRY_CHECK(it != given.end() && it->second.defined(), "EMA::load_state_dict: missing '",
                 e.first, "'");
    GANTRY_CHECK(it->second.shape() == e.second.shape(), "EMA::load_state_dict: '", e.first,
                 "' has shape ", shape_str(it->second.shape()), " but the EMA expects ",
                 shape_str(e.second.shape()));
  }
  for (const auto& e : sd) {
    bool known = false;
    for (const auto& s : shadow_) known = known || s.first == e.first;
    GANTRY_CHECK(known, "EMA::load_state_dict: unexpected '", e.first, "'");
  }
  for (const auto& e : shadow_) {
    Tensor src = given.at(e.first);
    const Tensor& dst = e.second;
    if (src.device() != dst.device()) {
      if (!src.device().is_cpu()) src = core::to_device(src, kCPU);
      src = core::contiguous(core::cast(src, dst.dtype()));
      if (!dst.device().is_cpu()) src = core::to_device(src, dst.device());
    }
    core::copy_(dst, src);
  }
}

}  // namespace optim
}  // namespace gantry
