// gan/sr_trainer.h — training a super-resolution GAN (ESRGAN, Real-ESRGAN)
// in two stages, and reading its generator back for `gantry upscale` and
// `gantry eval`.
//
// A step takes one batch of paired crops from PairedLoader (gan/data/paired.h):
// lr [B, C, P/s, P/s], hr [B, C, P, P] in [-1, 1] (P = patch, s = scale).
//   stage 1 (steps 0 .. stage1_steps-1), PSNR-oriented:
//       sr = G(lr); loss = |sr - hr|_1 (mean); Adam(stage1_lr, beta1, beta2)
//   stage 2 (the rest), adversarial, from stage 1's weights (the EMA's when
//   there is one, as Real-ESRGAN starts from RealESRNet's EMA weights):
//       G step (D frozen): l1_weight |sr - hr|_1 + perceptual_weight
//           perceptual(sr, hr) + gan_weight L_G(D(hr), D(sr));
//       D step: L_D(D(hr), D(sr.detach()));
//       L is the relativistic average loss (loss = "relativistic",
//       ESRGAN) or a standard one (nonsaturating, ...; Real-ESRGAN's
//       vanilla). Fresh Adam states at lr_g and lr_d start the stage, and
//       the EMA restarts from G.
// The EMA generator (ema_decay > 0) follows G after every step of either
// stage. perceptual() is the fixed random-feature net of
// gan/models/sr/features.h (ImageNet's VGG19 cannot be had offline).
//
// Batch k is a pure function of (seed, k), D is built from its own seed
// when stage 2 starts, and the checkpoint holds G, the EMA, Adam states and
// (in stage 2) D: a run resumed at any step, in either stage, and a run
// resumed at the stage boundary, are bit-identical to an uninterrupted one
// on the CPU.
//
// Output: OUT/checkpoint.safetensors, OUT/metrics.csv (step, stage, l1,
// perceptual, g_adv, d_loss, d_real, d_fake, images_per_s), OUT/samples/
// step_N.png (rows of nearest-upscaled LR | the sampler's output | HR for
// four fixed held-out crops), OUT/config.toml, OUT/train.log.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "gan/data/paired.h"
#include "gan/log.h"
#include "gan/models/sr/features.h"
#include "gan/options.h"
#include "optim/adam.h"
#include "optim/ema.h"

namespace gantry {
namespace gan {

struct SRStepStats {
  int64_t step = 0;  // the step count after this step
  int stage = 1;
  double l1 = 0, perceptual = 0, g_adv = 0;  // G's loss terms (stage 1: l1 only)
  double d_loss = 0, d_real = 0, d_fake = 0;  // stage 2; d_*: mean sigmoid(logit)
};

// The generator an SR model's options describe (sr_net, channels, scale,
// sr_features, sr_blocks, sr_growth, sr_skip), initialized from the default RNG.
std::shared_ptr<nn::Module> make_sr_generator(const std::string& net, int64_t channels, int64_t scale,
                                              int64_t features, int64_t blocks, int64_t growth,
                                              bool bilinear_skip = false);

// The paired-data settings an SR model's options describe (scale, patch,
// degradation): what training, its sample grids and `gantry eval` use.
PairConfig sr_pair_config(const TrainOptions& o);

class SRTrainer {
 public:
  explicit SRTrainer(TrainOptions o);
  ~SRTrainer();

  void run();  // to options().steps (resuming first with options().resume)
  SRStepStats train_step();

  // Refuses (throws) to save non-finite weights; written atomically.
  void save_checkpoint(const std::string& path) const;
  void load_checkpoint(const std::string& path);
  std::string checkpoint_path() const { return opt_.out + "/checkpoint.safetensors"; }

  const TrainOptions& options() const { return opt_; }
  int64_t step() const { return step_; }
  int64_t total_steps() const { return opt_.steps; }
  int stage() const { return step_ < opt_.stage1_steps ? 1 : 2; }
  nn::Module& generator() { return *G_; }
  nn::Module* discriminator() { return D_.get(); }  // nullptr before stage 2
  // The EMA generator's weights in a net (G itself without EMA).
  nn::Module& sampler();
  const PictureSet& train_set() const { return train_; }
  const PictureSet& test_set() const { return test_; }

  void set_log_sink(LogSink sink) { log_sink_ = std::move(sink); }

 private:
  void begin_stage2();  // builds D, the stage-2 optimizers and the EMA restart
  void write_samples() const;
  void log(LogLevel level, const std::string& msg) const {
    if (log_sink_) log_sink_(level, msg);
  }

  TrainOptions opt_;
  PictureSet train_, test_;
  std::unique_ptr<PairedLoader> loader_;
  std::shared_ptr<nn::Module> G_, D_, G_ema_;
  std::unique_ptr<optim::Adam> opt_G_, opt_D_;
  std::unique_ptr<optim::EMA> ema_;
  std::unique_ptr<FeatureNet> phi_;
  bool stage2_ = false;  // D and the stage-2 optimizers exist
  int64_t step_ = 0;
  LogSink log_sink_;
};

// A trained SR generator read back from a checkpoint (in eval mode).
struct LoadedSR {
  std::shared_ptr<nn::Module> net;
  std::string model;  // esrgan, realesrgan
  int64_t scale = 0, channels = 0, step = 0, stage1_steps = 0;
  int64_t multiple = 1;  // input sides must be multiples of this (TileOptions::multiple)
  bool ema = false;  // the EMA weights were loaded
};
// use_ema: the EMA weights when the checkpoint has them (else G's). A file
// that is not an SR checkpoint is an error naming it.
LoadedSR load_sr_generator(const std::string& path, bool use_ema = true);
// Whether `path` is an SR checkpoint (reads its metadata).
bool is_sr_checkpoint(const std::string& path);

}  // namespace gan
}  // namespace gantry
