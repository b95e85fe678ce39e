// gan/trainer.h — the adversarial training loop.
//
// One *step* is n_critic discriminator updates followed by one generator
// update. Per step the trainer:
//   D: real batch x (labels y), z ~ N(0,1), fake = G(z, y~) with y~ uniform
//      classes for conditional models; loss_D(D(A(x), y), D(A(fake.detach()), y~))
//      + penalty, where A is the optional DiffAugment (augment.h) and the
//      penalty is WGAN-GP's (gp_weight * gp) or R1 (r1_gamma / 2 * r1, lazily:
//      every r1_every D steps, scaled by r1_every); real targets smoothed to
//      U(lo, hi) for BCE losses (the LibTorch example uses 0.8..1.0).
//      With n_critic > 1 the D steps' fakes run G under no_grad: only the G
//      step needs G's graph (with n_critic == 1 the one fake serves both).
//   G: D's parameters frozen for the step by a FreezeGuard (no weight-gradient
//      work; unfrozen however the step ends), loss_G(D(A(fake), y~))
// Each network's gradient is checked for non-finite values and, with
// clip_grad_norm > 0, clipped to that global L2 norm (optim::clip_grad_norm_)
// before its optimizer step.
// then updates the EMA generator (if enabled), logs, writes a sample grid of
// a fixed noise batch every `sample_every` steps and a checkpoint every
// `checkpoint_every` steps.
//
// The parts, one job per file:
//   gan/options.h       the options (one table)
//   gan/trainer.cpp     construction and the step loop (train_step, run)
//   gan/checkpoint.cpp  checkpoint I/O (save_checkpoint, load_checkpoint)
//   gan/health.h        non-finite losses and gradients, loss and metric trends
//   gan/evaluation.cpp  the sampler, sample grids, metrics during training
//   gan/run_log.h       metrics.csv (cut back on resume and rollback)
//   gan/log.h           messages go to a LogSink the program owns
// The model (`model`: dcgan, wgan-gp, r1, sngan, cdcgan, progan, stylegan2;
// gan/models/model.h) picks the networks; set_model_defaults() gives each its
// paper's objective.
//
// Style-based models (stylegan2; StyleNet): fakes come from mixed_ws (style
// mixing with probability style_mixing); every pl_every-th G step adds the
// path-length penalty (gan/penalties.h) on batch / pl_batch_shrink fresh
// latents, scaled by pl_weight * pl_every, to G's loss. With lazy_adam the
// lazy regularizers (R1 every r1_every D steps, path length every pl_every G
// steps) are each their own Adam step after the main one, and each network's
// lr and betas are raised to k/(k+1) for its regularizer's k, as StyleGAN2
// does; without it a due regularizer is added to that step's loss.
//
// Growing models (progan; gan/growth.h): the step's phase decides the
// resolution, the batch size (each phase has its own data loader) and the
// fade-in alpha, which are set on G, D and the EMA generator; real batches
// are shrunk to the phase's resolution by area averaging and, during a
// fade-in, blended with their 2x coarser version the way G's output is.
// A step's real images advance the image count; when the count crosses into
// a new phase or a fade-in ends, both Adam states are reset (as the paper's
// code does), a grid of samples is written (samples/phase_RxR.png) and, with
// eval_phases, the metrics are logged for the phase that ended.
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
#include "gan/ada.h"
#include "gan/data/idx.h"
#include "gan/data/loader.h"
#include "gan/growth.h"
#include "gan/health.h"
#include "gan/log.h"
#include "gan/losses.h"
#include "gan/models/model.h"
#include "gan/options.h"
#include "gan/run_log.h"
#include "gan/tensorboard.h"
#include "optim/adam.h"
#include "optim/ema.h"
#include "optim/schedule.h"

namespace gantry {
namespace gan {

struct StepStats {
  int64_t step = 0, epoch = 0;
  double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0;  // d_*: mean sigmoid(logit)
  double penalty = 0;  // the last D step's scaled penalty (0 when none was applied)
  double pl_penalty = 0;  // the G step's scaled path-length penalty (0 when none was applied)
  // The penalties applied during the step (n_critic D steps may apply
  // several, lazy ones none), for metrics.csv's window means.
  double penalty_sum = 0;
  int64_t penalty_n = 0;
  bool has_pl_penalty = false;
  bool ada_adjusted = false;  // augment = "ada": p was updated during this step
  // Growing models: the resolution and fade-in alpha the step ran at, and
  // whether it was the last step of its phase (the next one starts another
  // phase, or the schedule is complete).
  int64_t resolution = 0;
  double alpha = 1.0;
  bool phase_done = false;
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
  // Growing models: the schedule's state for the next step, and the real
  // images shown so far; nullptr / 0 for fixed-resolution models.
  const GrowthState* growth() const { return growth_ ? &growth_state_ : nullptr; }
  int64_t images_seen() const { return images_seen_; }
  // augment = "ada": the pipeline's probability now (else nullptr).
  const AdaptiveAugment* ada() const { return ada_.get(); }
  int64_t rollbacks() const { return rollbacks_; }

  // Where messages go (progress, info, warnings; gan/log.h). Default: nowhere.
  void set_log_sink(LogSink sink) { log_sink_ = std::move(sink); }

  // Asks a running run() to write a checkpoint and return after the current
  // step. Async-signal-safe: `gantry train` calls it from SIGINT/SIGTERM.
  static void request_stop();
  static bool stop_requested();

 private:
  void rebuild_schedules();
  // Growing models: a fresh data loader for the current phase (its batch size
  // and its own shuffle seed), and the growth set on G, D and the EMA copy.
  void enter_phase();
  void set_net_growth();
  // After a step: moves to the schedule's state for images_seen_, resetting
  // the optimizers and switching loaders where the phase or fading changes.
  // Returns the state the finished step ran in.
  GrowthState advance_growth();
  // Real images [B, C, R, R] at the phase's resolution (and fade-in blend).
  Tensor grow_reals(const Tensor& real) const;
  void write_samples(const std::string& name) const;  // a grid to OUT/samples/NAME
  // The growth schedule as text, saved in checkpoints: a resume must match it.
  std::string growth_signature() const;
  void write_samples() const;
  void log_metrics(const StepStats& s, double images_per_s, const metrics::Report* eval);
  Tensor draw_labels(int64_t n);  // uniform classes (conditional models), else undefined
  void log(LogLevel level, const std::string& msg) const;
  void warn_lines(const std::string& lines) const;  // each non-empty line as a warning

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
  LossTrend loss_trend_;
  MetricTrend metric_trend_;
  int64_t step_ = 0, total_steps_ = 0;
  std::unique_ptr<GrowthSchedule> growth_;  // growing models only
  GrowthState growth_state_;                // the schedule's state for the next step
  int64_t images_seen_ = 0;                 // real images shown (saved in checkpoints)
  // Style-based models (stylegan2): G's W side, the path lengths' running
  // mean (saved in checkpoints), and the lazy-regularization factors of the
  // learning rates (lazy_adam: k/(k+1), else 1).
  StyleNet* style_ = nullptr;
  double pl_mean_ = 0.0;
  double g_lazy_ = 1.0, d_lazy_ = 1.0;
  // augment = "ada": the adaptive pipeline and its p (saved in checkpoints).
  std::unique_ptr<AdaptiveAugment> ada_;
  // What D sees of a batch: the ADA pipeline, DiffAugment, or x itself.
  Tensor augment(const Tensor& x);
  // metrics.csv's columns after penalty for this run (pl_penalty, ada_p).
  std::vector<std::string> extra_columns() const;
  // A batch of fakes from z [B, latent] (labels for conditional models): with
  // style mixing for style-based models.
  Tensor generate(const Tensor& z, const Tensor& labels);
  double lr_scale_ = 1.0;  // product of rollback factors so far (saved in checkpoints)
  int64_t rollbacks_ = 0;  // saved in checkpoints (format version 2)
  std::unique_ptr<MetricsCsv> metrics_;
  std::unique_ptr<EventWriter> tb_;  // --tensorboard
  LogSink log_sink_;
};

}  // namespace gan
}  // namespace gantry
