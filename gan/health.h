// gan/health.h — the training run's health monitors: is a loss or a gradient
// not finite (a DivergenceError: stop, or roll back), is a loss far off its
// running trend, did FID jump or class coverage collapse. They only judge;
// the trainer logs what they report and decides what to do.
#pragma once
#include <cstdint>
#include <string>

#include "core/error.h"
#include "nn/module.h"

namespace gantry {
namespace gan {

// A non-finite loss or gradient (the message names the step and the network).
struct DivergenceError : Error {
  using Error::Error;
};

// The loss's value; a DivergenceError naming the step and `net` if it is not finite.
double finite_or_throw(const Tensor& loss, int64_t step, const char* net);
// A DivergenceError naming the step, `net` and the parameter whose gradient
// is not finite (one device read-back when all are finite).
void check_gradients(const nn::Module& m, int64_t step, const char* net);

// Exponential mean and variance of the D and G losses (time constant ~50
// steps); after 100 steps a loss more than 8 standard deviations off its mean
// is reported, at most once per 200 steps (GAN losses are noisy: this flags
// jumps, not drift).
class LossTrend {
 public:
  // Returns a warning, or "" when the losses look normal.
  std::string update(int64_t step, double d_loss, double g_loss);

 private:
  double mean_[2] = {0, 0}, var_[2] = {0, 0};
  int64_t seen_ = 0, last_report_ = -1000000;
};

// The evaluation metrics against their best so far: a non-finite metric, an
// FID more than twice the best (divergence) or a class-coverage drop by more
// than a quarter (mode collapse).
class MetricTrend {
 public:
  // Returns the warnings (one per line), or "".
  std::string update(int64_t step, double fid, double kid, double precision, double recall,
                     double coverage);

 private:
  double best_fid_ = 0, best_coverage_ = 0;
  bool have_best_ = false;
};

}  // namespace gan
}  // namespace gantry
