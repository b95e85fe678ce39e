// gan/trainer.h — the adversarial training loop.
//
// One *step* is n_critic discriminator updates followed by one generator
// update. Per step the trainer:
//   D: real batch x (labels y), z ~ N(0,1), fake = G(z, y~) with y~ uniform
//      classes for conditional models; loss_D(D(A(x), y), D(A(fake.detach()), y~))
//      + penalty, where A is the optional DiffAugment (augment.h) and the
//      penalty is WGAN-GP's (gp_weight * gp) or R1 (r1_gamma / 2 * r1, lazily:
//      every r1_every D steps, scaled by r1_every); real targets smoothed to
//      U(lo, hi) for BCE losses (the LibTorch example uses 0.8..1.0)
//   G: D's parameters frozen (no weight-gradient work), loss_G(D(A(fake), y~))
// The model (`model`: dcgan, wgan-gp, r1, sngan, cdcgan; gan/models/model.h)
// picks the networks; set_model_defaults() gives each its paper's objective.
// With eval_every > 0 the sampler is scored every eval_every steps with the
// metrics of gan/metrics/ (FID-FMNIST, KID, precision, recall, class
// coverage), written to metrics.csv; a non-finite metric or one far off its
// trend is reported (as a warning to the log sink, gan/log.h) with the step, as is a loss far off its
// running mean (check_loss_trend).
// then updates the EMA generator (if enabled), logs, writes a sample grid of
// a fixed noise batch every `sample_every` steps and a checkpoint every
// `checkpoint_every` steps. A non-finite loss stops the run with an error
// naming the step and the network; the last checkpoint is left intact.
//
// Everything that influences the run is in the checkpoint (weights, buffers,
// both Adam states, EMA, step, RNG offsets, data order), so a resumed run is
// bit-identical to an uninterrupted one on the CPU.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/rng.h"
#include "gan/options.h"
#include "gan/data/idx.h"
#include "gan/data/loader.h"
#include "gan/log.h"
#include "gan/losses.h"
#include "gan/models/model.h"
#include "optim/adam.h"
#include "optim/ema.h"
#include "optim/schedule.h"

namespace gantry {
namespace gan {

// A non-finite loss or gradient (the message names the step and the network).
struct DivergenceError : Error {
  using Error::Error;
};

struct StepStats {
  int64_t step = 0, epoch = 0;
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0;  // d_*: mean sigmoid(logit)
  double penalty = 0;  // the last D step's scaled penalty (0 when none was applied)
};

namespace metrics {
class Evaluator;
struct Report;
}  // namespace metrics

class Trainer {
 public:
  explicit Trainer(TrainOptions o);
  ~Trainer();

  // Trains until options().steps generator steps have been taken (resuming
  // first when options().resume and a checkpoint exists).
  void run();
  // One step (n_critic D updates + one G update); returns its statistics.
  StepStats train_step();

  // Writes everything needed to resume; refuses (throws) if any weight is not
  // finite, so a diverged state never replaces a good checkpoint.
  void save_checkpoint(const std::string& path) const;
  void load_checkpoint(const std::string& path);

  const TrainOptions& options() const { return opt_; }
  int64_t step() const { return step_; }
  int64_t total_steps() const { return total_steps_; }
  GeneratorNet& generator() { return *G_; }
  DiscriminatorNet& discriminator() { return *D_; }
  // The generator used for samples: the EMA copy when enabled, else G.
  GeneratorNet& sampler();
  // Scores eval_n samples of sampler() (eval mode) with gan/metrics/.
  metrics::Report evaluate();
  std::string checkpoint_path() const;
  double lr_scale() const { return lr_scale_; }
  int64_t rollbacks() const { return rollbacks_; }

  // Asks a running run() to write a checkpoint and return after the current
  // step. Async-signal-safe: `gantry train` calls it from SIGINT/SIGTERM.
  static void request_stop();
  // Where messages go (progress, info, warnings; gan/log.h). Default: nowhere.
  void set_log_sink(LogSink sink) { log_sink_ = std::move(sink); }
  static bool stop_requested();

 private:
  void check_gradients(const nn::Module& m, int64_t step, const char* net) const;
  void rebuild_schedules();
  void write_samples() const;
  void log_metrics(const StepStats& s, double images_per_s, const metrics::Report* eval);
  Tensor draw_labels(int64_t n);  // uniform classes (conditional models), else undefined
  void check_trend(const metrics::Report& r);
  void check_loss_trend(const StepStats& s);

  TrainOptions opt_;
  LossKind loss_;
  std::shared_ptr<GeneratorNet> G_, G_ema_;
  std::shared_ptr<DiscriminatorNet> D_;
  std::unique_ptr<optim::Adam> opt_G_, opt_D_;
  std::unique_ptr<optim::EMA> ema_;
  std::unique_ptr<optim::LRSchedule> sched_G_, sched_D_;
  ImageDataset data_;
  std::unique_ptr<DataLoader> loader_;
  RandomState rng_;     // noise and label smoothing
  Device device_ = kCPU;  // where the models, batches and optimizer states live
  Tensor to_dev(const Tensor& t) const { return t.defined() ? t.to(device_) : t; }
  Tensor fixed_noise_, fixed_labels_;
  std::unique_ptr<metrics::Evaluator> evaluator_;
  double best_fid_ = 0, best_coverage_ = 0;  // for the collapse report
  bool have_best_ = false;
  // Running mean/variance of the losses (exponential, for the trend report).
  double loss_mean_[2] = {0, 0}, loss_var_[2] = {0, 0};
  int64_t loss_seen_ = 0, last_trend_report_ = -1000000;
  int64_t step_ = 0, total_steps_ = 0;
  double lr_scale_ = 1.0;  // product of rollback factors so far (saved in checkpoints)
  int64_t rollbacks_ = 0;
  FILE* metrics_ = nullptr;
  LogSink log_sink_;
  void log(LogLevel level, const std::string& msg) const;
};

}  // namespace gan
}  // namespace gantry
