// optim/schedule.cpp — learning-rate schedules (see optim/schedule.h).
#include "optim/schedule.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace gantry {
namespace optim {

namespace {
void check_step(int64_t step, const char* who) {
  GANTRY_CHECK(step >= 0, who, "::lr_at: step ", step, " is negative");
}
void check_lr(double lr, const char* who, const char* what) {
  GANTRY_CHECK(lr >= 0 && std::isfinite(lr), who, ": ", what, " ", lr,
               " must be finite and >= 0");
}
}  // namespace

ConstantLR::ConstantLR(double lr) : lr_(lr) { check_lr(lr, "ConstantLR", "lr"); }
double ConstantLR::lr_at(int64_t step) const {
  check_step(step, "ConstantLR");
  return lr_;
}

LinearDecayLR::LinearDecayLR(double start, double end, int64_t total_steps, int64_t hold)
    : start_(start), end_(end), total_(total_steps), hold_(hold) {
  check_lr(start, "LinearDecayLR", "start");
  check_lr(end, "LinearDecayLR", "end");
  GANTRY_CHECK(total_steps > 0, "LinearDecayLR: total_steps ", total_steps, " must be positive");
  GANTRY_CHECK(hold >= 0 && hold < total_steps, "LinearDecayLR: hold ", hold, " must be in [0, total_steps ",
               total_steps, ")");
}
double LinearDecayLR::lr_at(int64_t step) const {
  check_step(step, "LinearDecayLR");
  if (step <= hold_) return start_;
  const double f = static_cast<double>(std::min(step, total_) - hold_) / static_cast<double>(total_ - hold_);
  return start_ + (end_ - start_) * f;
}

CosineLR::CosineLR(double base, int64_t total_steps, double min_lr)
    : base_(base), min_(min_lr), total_(total_steps) {
  check_lr(base, "CosineLR", "base");
  check_lr(min_lr, "CosineLR", "min_lr");
  GANTRY_CHECK(total_steps > 0, "CosineLR: total_steps ", total_steps, " must be positive");
}
double CosineLR::lr_at(int64_t step) const {
  check_step(step, "CosineLR");
  const double f = static_cast<double>(std::min(step, total_)) / static_cast<double>(total_);
  return min_ + (base_ - min_) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * f));
}

StepLR::StepLR(double base, int64_t step_size, double gamma)
    : base_(base), step_size_(step_size), gamma_(gamma) {
  check_lr(base, "StepLR", "base");
  GANTRY_CHECK(step_size > 0, "StepLR: step_size ", step_size, " must be positive");
  GANTRY_CHECK(gamma >= 0, "StepLR: gamma ", gamma, " must be >= 0");
}
double StepLR::lr_at(int64_t step) const {
  check_step(step, "StepLR");
  return base_ * std::pow(gamma_, static_cast<double>(step / step_size_));
}

MilestoneLR::MilestoneLR(double base, std::vector<std::pair<int64_t, double>> milestones)
    : base_(base), milestones_(std::move(milestones)) {
  check_lr(base, "MilestoneLR", "base");
  std::sort(milestones_.begin(), milestones_.end());
  for (size_t k = 0; k < milestones_.size(); ++k) {
    GANTRY_CHECK(milestones_[k].first >= 0, "MilestoneLR: milestone step ", milestones_[k].first,
                 " is negative");
    GANTRY_CHECK(k == 0 || milestones_[k].first != milestones_[k - 1].first,
                 "MilestoneLR: step ", milestones_[k].first, " is given twice");
    check_lr(milestones_[k].second, "MilestoneLR", "factor");
  }
}
double MilestoneLR::lr_at(int64_t step) const {
  check_step(step, "MilestoneLR");
  double factor = 1.0;
  for (const auto& m : milestones_)
    if (m.first <= step) factor = m.second;
  return base_ * factor;
}

std::unique_ptr<LRSchedule> make_schedule(const std::string& name, double base_lr,
                                          int64_t total_steps,
                                          const std::vector<std::pair<int64_t, double>>& milestones, int64_t hold) {
  if (name == "constant") return std::make_unique<ConstantLR>(base_lr);
  if (name == "linear") return std::make_unique<LinearDecayLR>(base_lr, 0.0, total_steps, hold);
  if (name == "cosine") return std::make_unique<CosineLR>(base_lr, total_steps, 0.0);
  if (name == "milestones") {
    GANTRY_CHECK(!milestones.empty(), "make_schedule: schedule 'milestones' needs at least one milestone");
    return std::make_unique<MilestoneLR>(base_lr, milestones);
  }
  GANTRY_CHECK(false, "make_schedule: unknown schedule '", name,
               "' (expected constant, linear, cosine or milestones)");
  return nullptr;
}

}  // namespace optim
}  // namespace gantry
