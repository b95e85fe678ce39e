// optim/schedule.h — learning-rate schedules: a pure function from the step
// number (0-based, as the trainer counts optimizer steps) to a learning rate.
// The trainer calls opt.set_lr(schedule.lr_at(step)) before each step.
//
//   auto s = optim::make_schedule("cosine", 2e-4, 10000);
//   s->lr_at(0) == 2e-4; s->lr_at(10000) == 0
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace gantry {
namespace optim {

class LRSchedule {
 public:
  virtual ~LRSchedule() = default;
  // The learning rate for step `step` (>= 0).
  virtual double lr_at(int64_t step) const = 0;
};

// lr at every step.
class ConstantLR : public LRSchedule {
 public:
  explicit ConstantLR(double lr);
  double lr_at(int64_t step) const override;

 private:
  double lr_;
};

// start until step `hold`, then a straight line to end at step total_steps,
// then end: start + (end - start) * (min(step, total) - hold) / (total - hold)
// for step > hold. hold 0 is a line from step 0; CycleGAN holds for half the
// run (100 constant epochs, 100 decaying). 0 <= hold < total_steps.
class LinearDecayLR : public LRSchedule {
 public:
  LinearDecayLR(double start, double end, int64_t total_steps, int64_t hold = 0);
  double lr_at(int64_t step) const override;

 private:
  double start_, end_;
  int64_t total_, hold_;
};

// min + (base - min) * (1 + cos(pi * min(step, total) / total)) / 2: cosine
// annealing from base (step 0) to min (step total), then min.
class CosineLR : public LRSchedule {
 public:
  CosineLR(double base, int64_t total_steps, double min_lr = 0.0);
  double lr_at(int64_t step) const override;

 private:
  double base_, min_;
  int64_t total_;
};

// base * gamma^floor(step / step_size): multiplied by gamma every step_size steps.
class StepLR : public LRSchedule {
 public:
  StepLR(double base, int64_t step_size, double gamma = 0.1);
  double lr_at(int64_t step) const override;

 private:
  double base_;
  int64_t step_size_;
  double gamma_;
};

// Piecewise constant: base * factor of the last milestone at or before
// `step` (base before the first). Milestones {(5000, 0.5), (8000, 0.1)}:
// base until step 4999, base/2 from 5000, base/10 from 8000. The factors are
// absolute, not cumulative. Steps must be >= 0 and distinct; any order.
class MilestoneLR : public LRSchedule {
 public:
  MilestoneLR(double base, std::vector<std::pair<int64_t, double>> milestones);
  double lr_at(int64_t step) const override;

 private:
  double base_;
  std::vector<std::pair<int64_t, double>> milestones_;  // sorted by step
};

// "constant" -> ConstantLR(base_lr); "linear" -> LinearDecayLR(base_lr, 0,
// total_steps, hold); "cosine" -> CosineLR(base_lr, total_steps, 0); "milestones" ->
// MilestoneLR(base_lr, milestones) (which must not be empty). Other names are
// an error listing the accepted ones.
std::unique_ptr<LRSchedule> make_schedule(
    const std::string& name, double base_lr, int64_t total_steps,
    const std::vector<std::pair<int64_t, double>>& milestones = {}, int64_t hold = 0);

}  // namespace optim
}  // namespace gantry
