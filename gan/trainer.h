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
// trend is reported on stderr with the step, as is a loss far off its
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
#include "gan/config.h"
#include "gan/data/idx.h"
#include "gan/data/loader.h"
#include "gan/losses.h"
#include "gan/models/model.h"
#include "optim/adam.h"
#include "optim/ema.h"
#include "optim/schedule.h"

namespace gantry {
namespace gan {

struct TrainOptions {
  std::string model = "dcgan";
  std::string data = "fashion-mnist";  // or a directory of PNG/JPEG images
  std::string data_dir = "/usr/share/datasets/fashion-mnist";
  int64_t data_limit = -1;             // use only the first N images (tests, quick runs)
  int64_t epochs = 0;                  // used when steps == 0
  int64_t steps = 1000;                // generator steps (0: use epochs)
  int64_t batch = 64;
  uint64_t seed = 0;
  std::string device = "cpu";
  int threads = 0;                     // 0: all cores
  std::string out = "runs/dcgan";
  bool resume = false;

  std::string loss = "nonsaturating";
  int64_t latent = 100;
  int64_t n_critic = 1;
  double lr_g = 2e-4, lr_d = 2e-4;     // TTUR: set them apart
  double beta1 = 0.5, beta2 = 0.999;
  std::string schedule = "constant";   // constant | linear | cosine
  double real_label_min = 0.8, real_label_max = 1.0;
  double ema_decay = 0.0;              // 0: no EMA generator
  std::string init = "dcgan";          // dcgan | default

  // Penalties and augmentation (see penalties.h, augment.h).
  std::string penalty = "none";        // none | gp | r1
  double gp_weight = 10.0;             // WGAN-GP's lambda
  double r1_gamma = 1.0;               // R1: + r1_gamma / 2 * mean ||grad D(x)||^2
  int64_t r1_every = 1;                // lazy R1: every k-th D step, scaled by k
  std::string augment = "none";        // none | translation | cutout | translation,cutout

  // Metrics during training (gan/metrics/): every eval_every steps, eval_n
  // samples of the sampler against eval_n Fashion-MNIST test images.
  int64_t eval_every = 0;              // 0: off
  int64_t eval_n = 2000;
  std::string classifier = "assets/fmnist_classifier.safetensors";

  // Divergence guard: a non-finite loss or gradient either stops the run
  // ("stop", the default; the last checkpoint stays as it was) or reloads the
  // last good checkpoint, multiplies both learning rates by
  // rollback_lr_factor and continues ("rollback"), at most max_rollbacks times.
  std::string on_divergence = "stop";
  double rollback_lr_factor = 0.5;
  int64_t max_rollbacks = 3;

  int64_t sample_every = 200;
  int64_t checkpoint_every = 500;
  int64_t log_every = 10;
  int64_t grid_size = 64;
  bool quiet = false;                  // no progress bar

  // Applies every key of a config (and rejects unknown keys, naming them).
  // A `model` key first resets the objective to that model's defaults
  // (set_model_defaults), so the other keys of the config override them.
  void apply(const Config& c);
  // The objective each model was published with: loss, n_critic, Adam's
  // betas and rates, penalty, label smoothing (none outside dcgan/cdcgan).
  void set_model_defaults(const std::string& model_name);
  int64_t num_classes() const { return model == "cdcgan" ? 10 : 0; }
  // The options as TOML text (stored in checkpoints).
  std::string to_toml() const;
};

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
};

}  // namespace gan
}  // namespace gantry
