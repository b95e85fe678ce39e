// gan/trainer.h — the adversarial training loop.
//
// One *step* is n_critic discriminator updates followed by one generator
// update. Per step the trainer:
//   D: real batch x, z ~ N(0,1), fake = G(z); loss_D(D(x), D(fake.detach()));
//      real targets smoothed to U(lo, hi) (the LibTorch example uses 0.8..1.0)
//   G: D's parameters frozen (no weight-gradient work), loss_G(D(fake))
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
#include "gan/models/dcgan.h"
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
  void apply(const Config& c);
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
};

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
  DCGANGenerator& generator() { return *G_; }
  DCGANDiscriminator& discriminator() { return *D_; }
  // The generator used for samples: the EMA copy when enabled, else G.
  DCGANGenerator& sampler();
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
  void log_metrics(const StepStats& s, double images_per_s);

  TrainOptions opt_;
  LossKind loss_;
  std::shared_ptr<DCGANGenerator> G_, G_ema_;
  std::shared_ptr<DCGANDiscriminator> D_;
  std::unique_ptr<optim::Adam> opt_G_, opt_D_;
  std::unique_ptr<optim::EMA> ema_;
  std::unique_ptr<optim::LRSchedule> sched_G_, sched_D_;
  ImageDataset data_;
  std::unique_ptr<DataLoader> loader_;
  Generator rng_;     // noise and label smoothing
  Tensor fixed_noise_;
  int64_t step_ = 0, total_steps_ = 0;
  double lr_scale_ = 1.0;  // product of rollback factors so far (saved in checkpoints)
  int64_t rollbacks_ = 0;
  FILE* metrics_ = nullptr;
};

}  // namespace gan
}  // namespace gantry
