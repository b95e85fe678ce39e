// gan/translation_trainer.h — training image-to-image translation GANs
// (pix2pix, CycleGAN), and reading a trained translator back for
// `gantry translate` and `gantry eval`.
//
// pix2pix (Isola et al. 2017): a conditional GAN on aligned pairs (a, b).
//   D step: L_D(D([a, b]), D([a, G(a).detach()])) / 2    ([.,.]: channels)
//   G step (D frozen): L_G(D([a, G(a)])) + l1_weight |G(a) - b|_1
//   Defaults: U-Net G, 70x70-style PatchGAN D (2 layers at 28x28), batch
//   norm, the vanilla (nonsaturating) loss, lambda 100, Adam(2e-4, 0.5).
// CycleGAN (Zhu et al. 2017): two unpaired domains A and B, G: A -> B and
// F: B -> A, D_A judges A images, D_B judges B images.
//   G step (both Ds frozen, one Adam over G and F):
//       L_G(D_B(G(a))) + L_G(D_A(F(b)))
//     + cycle_weight (|F(G(a)) - a|_1 + |G(F(b)) - b|_1)
//     + identity_weight cycle_weight (|G(b) - b|_1 + |F(a) - a|_1)
//   D steps: L_D(D_A(a), D_A(pool_A(F(b)))), L_D(D_B(b), D_B(pool_B(G(a)))),
//     each D's fakes drawn through its 50-image history (gan/image_pool.h).
//   Defaults: ResNet G, PatchGAN D, instance norm, LSGAN, lambda 10,
//   identity 0.5, Adam(2e-4, 0.5). The LSGAN G term is the paper's
//   mean (D(G(a)) - 1)^2, twice gan/losses.h's 0.5 mean(...)^2.
// Both: the rates fall linearly to 0 from step decay_start (schedule
// linear; the papers hold them for the first half).
//
// Data (gan/data/translation_data.h): on Fashion-MNIST, pix2pix's task is
// edges (Sobel edge map -> garment) or inpaint (a masked square -> the whole
// image); CycleGAN's domains are two classes (domain_a, domain_b). From a
// folder DIR: DIR/A and DIR/B, paired by file name for pix2pix (sizes must
// match), unpaired for CycleGAN (every image resized to `resolution`); every
// test_every-th file (name order) is held out.
//
// Determinism: step k's randomness (dropout) comes from the default
// generator seeded by (seed, k); the loaders' order is Philox's; the pools
// draw from their own counters. The checkpoint holds the nets, the Adam
// states, the loaders' positions and the pools, so a resumed run is
// bit-identical to an uninterrupted one on the CPU.
//
// Output: OUT/checkpoint.safetensors, OUT/metrics.csv, OUT/samples/step_N.png
// (pix2pix: rows of input | output | target; CycleGAN: rows of a | G(a) |
// F(G(a)) then b | F(b) | G(F(b))), OUT/config.toml, OUT/train.log.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "gan/data/idx.h"
#include "gan/data/loader.h"
#include "gan/image_pool.h"
#include "gan/log.h"
#include "gan/options.h"
#include "optim/adam.h"
#include "optim/schedule.h"

namespace gantry {
namespace gan {

struct TranslationStepStats {
  int64_t step = 0;      // the step count after this step
  double g_adv = 0;      // G's adversarial terms (CycleGAN: both directions)
  double l1 = 0;         // pix2pix: |G(a) - b|_1
  double cycle = 0;      // CycleGAN: |F(G(a)) - a|_1 + |G(F(b)) - b|_1
  double identity = 0;   // CycleGAN: |G(b) - b|_1 + |F(a) - a|_1
  double d_loss = 0;     // D's loss (CycleGAN: D_A's + D_B's)
  double d_real = 0, d_fake = 0;  // mean sigmoid(logit) (LSGAN: mean output) on real / fake; CycleGAN: both Ds
};

// The two sides' data: pix2pix pairs (a[i] goes with b[i]), CycleGAN two
// independent sets. Images [N, C, H, W] in [-1, 1].
struct TranslationData {
  ImageDataset train_a, train_b, test_a, test_b;
  std::string describe;  // for logs and reports
};
// What the options describe (model, data, task, hole, domain_a/b, channels,
// resolution, test_every, data_limit). Errors name the problem: an unknown
// class, an empty domain, a pair whose sizes differ, a missing A/B folder.
TranslationData load_translation_data(const TrainOptions& o);

// G (and F) and D as the options describe them: in_a/in_b are the two
// sides' channels.
std::shared_ptr<nn::Module> make_translation_generator(const TrainOptions& o, int64_t in, int64_t out);
std::shared_ptr<nn::Module> make_translation_discriminator(const TrainOptions& o, int64_t in);

class TranslationTrainer {
 public:
  explicit TranslationTrainer(TrainOptions o);
  // With data in memory instead of what the options name (benchmarks, tests).
  TranslationTrainer(TrainOptions o, TranslationData data);
  ~TranslationTrainer();

  void run();  // to options().steps (resuming first with options().resume)
  TranslationStepStats train_step();

  // Refuses (throws) to save non-finite weights; written atomically.
  void save_checkpoint(const std::string& path) const;
  void load_checkpoint(const std::string& path);
  std::string checkpoint_path() const { return opt_.out + "/checkpoint.safetensors"; }

  const TrainOptions& options() const { return opt_; }
  int64_t step() const { return step_; }
  bool cyclegan() const { return opt_.model == "cyclegan"; }
  nn::Module& generator() { return *G_; }              // A -> B
  nn::Module* generator_b2a() { return F_.get(); }     // CycleGAN: B -> A
  nn::Module& discriminator() { return *D_; }          // pix2pix: D; CycleGAN: D_B
  nn::Module* discriminator_a() { return D_A_.get(); }  // CycleGAN
  const TranslationData& data() const { return data_; }

  void set_log_sink(LogSink sink) { log_sink_ = std::move(sink); }

 private:
  void write_samples() const;
  void log(LogLevel level, const std::string& msg) const {
    if (log_sink_) log_sink_(level, msg);
  }

  TrainOptions opt_;
  TranslationData data_;
  int64_t ca_ = 1, cb_ = 1;  // channels of A and B
  std::unique_ptr<DataLoader> loader_a_, loader_b_;  // pix2pix: one loader over [a, b] pairs
  std::shared_ptr<nn::Module> G_, F_, D_, D_A_;      // pix2pix: G, D; CycleGAN: G, F, D_B (D_), D_A
  std::unique_ptr<optim::Adam> opt_G_, opt_D_;
  std::unique_ptr<optim::LRSchedule> sched_G_, sched_D_;
  std::unique_ptr<ImagePool> pool_a_, pool_b_;
  int64_t step_ = 0;
  LogSink log_sink_;
};

// A trained translator read back from a checkpoint (in eval mode).
struct LoadedTranslator {
  std::shared_ptr<nn::Module> net;          // the direction asked for
  std::shared_ptr<nn::Module> inverse;      // CycleGAN: the other direction
  std::string model;                        // pix2pix, cyclegan
  std::string task, domain_a, domain_b;     // as trained (Fashion-MNIST tasks)
  std::string data;                         // the run's data option
  int64_t in_channels = 0, out_channels = 0, step = 0, resolution = 0;
  bool b2a = false;
  TrainOptions options;                     // the run's options (its config)
};
// direction "a2b" or "b2a" (CycleGAN only). A file that is not a translation
// checkpoint is an error naming it.
LoadedTranslator load_translator(const std::string& path, const std::string& direction = "a2b");
bool is_translation_checkpoint(const std::string& path);

}  // namespace gan
}  // namespace gantry
