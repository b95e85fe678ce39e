// gan/options.h — the option table: every training option declared once.
//
// GANTRY_TRAIN_OPTIONS below is the only place an option is written. Each row
//   X(TYPE, name, default, "flag", "check", "group", "help")
// gives the TrainOptions field (`name`, of TYPE with its default), the config
// key (`name`), the command-line flag (--flag), the check (an interval such as
// "[2, inf)" or "(0, 1]", or choices "a|b|c", or "" for none), the --help
// section and the help line. From it come: the TrainOptions struct, config
// parsing and its type/range/choice checks (TrainOptions::apply), the CLI11
// flags and `gantry train --help` (apps/train.cpp), the saved config.toml and
// the "config" metadata of checkpoints (to_toml). Checks that relate options
// to each other (steps or epochs, the model's name, ...) are in validate().
//
// A model family adds its options as rows here, under its own group (the
// "dcgan family" rows below), and reads them from TrainOptions.
//
//   TYPE    C++ type              TOML
//   STR     std::string           "text"
//   INT     int64_t               123
//   FLOAT   double                2.0e-4 (an integer is accepted)
//   BOOL    bool                  true / false (a flag without value on the CLI)
//   FLOATS  std::vector<double>   [0.5, 0.999]
//   INT_MAP, FLOAT_MAP, STR_MAP   OptionMap<int64_t | double | std::string>
//           a table of settings by name: per phase, per resolution, per
//           column. In TOML an inline table or a section,
//             lr_milestones = { 5000 = 0.5, 8000 = 0.1 }
//             [lr_milestones]
//             5000 = 0.5
//           and on the command line --lr-milestones 5000=0.5,8000=0.1. The
//           check applies to every value; the keys are checked in validate()
//           by what reads them. A table's default is empty ({}); keys from
//           the config and the flags are merged, a later one replacing an
//           earlier one with the same key.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "gan/config.h"

namespace gantry {
namespace gan {

// clang-format off
#define GANTRY_TRAIN_OPTIONS(X) \
  X(STR,   model, "dcgan", "model", "", "run", \
    "the GAN: dcgan, wgan-gp, r1, sngan, cdcgan, progan, stylegan2, sagan; super-resolution: esrgan or realesrgan " \
    "(sets that model's published objective first)") \
  X(INT,   seed, 0, "seed", "[0, inf)", "run", "seed of every random stream (data order, noise, init)") \
  X(STR,   device, "cpu", "device", "", "run", "cpu or cuda[:N]") \
  X(INT,   threads, 0, "threads", "[0, 4096]", "run", "CPU threads (0: all cores)") \
  X(STR,   out, "runs/dcgan", "out", "", "run", \
    "run directory: checkpoint, samples/, metrics.csv, config.toml, train.log (default runs/MODEL)") \
  X(BOOL,  resume, false, "resume", "", "run", "continue from OUT/checkpoint.safetensors when it exists") \
  X(BOOL,  quiet, false, "quiet", "", "run", "no progress lines on the console (warnings still show)") \
  X(STR,   data, "fashion-mnist", "data", "", "data", "fashion-mnist, or a directory of PNG/JPEG images") \
  X(STR,   data_dir, "/usr/share/datasets/fashion-mnist", "data-dir", "", "data", \
    "where the Fashion-MNIST IDX files are") \
  X(INT,   data_limit, -1, "data-limit", "[-1, inf)", "data", "use only the first N images (-1: all)") \
  X(INT,   resolution, 0, "resolution", "[0, 4096]", "data", \
    "image side the model works at (0: the model's own, 28 for the DCGAN family, 32 for progan and stylegan2); " \
    "Fashion-MNIST is padded to 32 (and area-shrunk below), folders are resized") \
  X(INT,   channels, 1, "channels", "[1, 3]", "data", \
    "channels of a folder's images: 1 (luminance) or 3 (RGB); Fashion-MNIST has 1") \
  X(INT,   steps, 1000, "steps", "[0, inf)", "length", \
    "generator steps (0: train by epochs; progan: the growth schedule's length)") \
  X(INT,   epochs, 0, "epochs", "[0, inf)", "length", "epochs, when steps = 0") \
  X(FLOAT, max_minutes, 0.0, "max-minutes", "[0, 1e6]", "length", \
    "also stop (samples and checkpoint as at the end) after the step during which this run has trained " \
    "that many minutes of wall time (0: no limit); learning-rate schedules still plan for steps/epochs") \
  X(INT,   batch, 64, "batch", "[2, 65536]", "length", "images per batch") \
  X(STR,   loss, "nonsaturating", "loss", "", "objective", \
    "nonsaturating, minimax, lsgan, hinge or wasserstein; SR models also relativistic (ESRGAN's RaGAN)") \
  X(INT,   latent, 100, "latent", "[1, 65536]", "objective", "latent code size") \
  X(INT,   n_critic, 1, "n-critic", "[1, 1000]", "objective", "D steps per G step") \
  X(FLOAT, drift, 0.0, "drift", "[0, 1000]", "objective", \
    "+ drift * mean D(x)^2 in D's loss: keeps critic values near 0 (ProGAN's epsilon_drift)") \
  X(FLOAT, real_label_min, 0.8, "real-label-min", "[0, 1]", "objective", \
    "real targets ~ U(real_label_min, real_label_max) for BCE losses") \
  X(FLOAT, real_label_max, 1.0, "real-label-max", "[0, 1]", "objective", "see real_label_min") \
  X(STR,   init, "dcgan", "init", "dcgan|default", "objective", \
    "dcgan: N(0, 0.02) conv and N(1, 0.02) norm weights; default: the layers' own") \
  X(FLOAT, lr_g, 2e-4, "lr-g", "(0, 1]", "optimizer", "G's Adam learning rate") \
  X(FLOAT, lr_d, 2e-4, "lr-d", "(0, 1]", "optimizer", "D's Adam learning rate (TTUR: set apart)") \
  X(FLOAT, beta1, 0.5, "beta1", "[0, 1)", "optimizer", "Adam's beta1") \
  X(FLOAT, beta2, 0.999, "beta2", "[0, 1)", "optimizer", "Adam's beta2") \
  X(STR,   schedule, "constant", "schedule", "constant|linear|cosine|milestones", "optimizer", \
    "learning-rate schedule over the run (milestones: see lr_milestones)") \
  X(FLOAT_MAP, lr_milestones, {}, "lr-milestones", "[0, 1e6]", "optimizer", \
    "schedule = milestones: from step S the rates are F x lr_g and F x lr_d (STEP=F,...)") \
  X(INT,   decay_start, 0, "decay-start", "[0, inf)", "optimizer", \
    "schedule = linear: the rates hold until this step, then fall linearly to 0 at the last step " \
    "(pix2pix and CycleGAN: half the run; 0: from the start)") \
  X(FLOAT, ema_decay, 0.0, "ema", "[0, 1)", "optimizer", \
    "EMA generator for sampling (0: none); its BatchNorm statistics are re-estimated when it samples") \
  X(FLOAT, ema_rampup, 0.0, "ema-rampup", "[0, 1]", "optimizer", \
    "EMA ramp-up: the average's half-life is at most this fraction of the images seen so far (0: off)") \
  X(BOOL,  lazy_adam, false, "lazy-adam", "", "optimizer", \
    "lazy regularizers take their own Adam step every k steps, lr and betas raised to the power k/(k+1) (StyleGAN2)") \
  X(FLOAT, clip_grad_norm, 0.0, "clip-grad-norm", "[0, 1e6]", "optimizer", \
    "clip each network's gradient to this global L2 norm before its step (0: off)") \
  X(INT,   g_width, 64, "g-width", "[1, 1024]", "dcgan family", "G's last hidden width (x2, x4 going up)") \
  X(INT,   d_width, 64, "d-width", "[1, 1024]", "dcgan family", "D's first width (x2, x4 going down)") \
  X(STR,   d_layout, "dcgan", "d-layout", "dcgan|deep", "dcgan family", \
    "the BatchNorm-free critic (wgan-gp, r1, sngan, sagan): dcgan (4 convs) or deep (the SNGAN paper's " \
    "standard CNN: a 3x3 conv before each downsampling and at the bottom, LeakyReLU 0.1)") \
  X(INT,   attention_at, 0, "attention-at", "[0, 4096]", "dcgan family", \
    "a self-attention block after G's and D's feature maps of this side (14 or 16: the middle ones; " \
    "0: none, sagan: resolution / 2)") \
  X(STR,   penalty, "none", "penalty", "none|gp|r1", "dcgan family", \
    "gp: WGAN-GP on interpolates; r1: R1 on real images") \
  X(FLOAT, gp_weight, 10.0, "gp-weight", "[0, 1e6]", "dcgan family", "WGAN-GP's lambda") \
  X(FLOAT, r1_gamma, 1.0, "r1-gamma", "[0, 1e6]", "dcgan family", "R1: + gamma / 2 * mean ||grad D(x)||^2") \
  X(INT,   r1_every, 1, "r1-every", "[1, 1000]", "dcgan family", "lazy R1: every k-th D step, scaled by k") \
  X(STR,   augment, "none", "augment", "", "dcgan family", \
    "none; DiffAugment: translation, cutout or translation,cutout; or ada (adaptive augmentation)") \
  X(FLOAT, ada_target, 0.6, "ada-target", "(0, 1)", "dcgan family", \
    "ADA: the target of r_t = E[sign D(real)]; p rises while r_t is above it") \
  X(INT,   ada_interval, 4, "ada-interval", "[1, 1000]", "dcgan family", "ADA: D steps between updates of p") \
  X(FLOAT, ada_kimg, 500.0, "ada-kimg", "(0, 1e6]", "dcgan family", \
    "ADA: thousands of real images for p to go from 0 to 1 at the fastest (the paper: 500)") \
  X(FLOAT, ada_p, 0.0, "ada-p", "[0, 1]", "dcgan family", "ADA: p at the start (a resumed run takes the checkpoint's)") \
  X(INT,   start_resolution, 4, "start-resolution", "[4, 4096]", "progan", \
    "the first resolution; each later phase doubles it up to resolution") \
  X(INT,   phase_images, 40000, "phase-images", "[1, inf)", "progan", \
    "real images per fade-in and per stable stretch (the paper: 800000)") \
  X(INT_MAP, phase_batch, {}, "phase-batch", "[2, 65536]", "progan", \
    "batch size by resolution, e.g. 32=32 (RES=BATCH,...; others use batch)") \
  X(INT,   fmap_base, 512, "fmap-base", "[1, 1048576]", "progan", \
    "feature maps at resolution r: min(fmap_base / r, fmap_max) (the paper: 8192)") \
  X(INT,   fmap_max, 64, "fmap-max", "[1, 4096]", "progan", "see fmap_base (the paper: 512)") \
  X(INT,   mbstd_group, 4, "mbstd-group", "[1, 1024]", "progan", "D's minibatch-stddev group size (progan, stylegan2)") \
  X(INT,   w_dim, 512, "w-dim", "[1, 4096]", "stylegan2", "the width of W (the mapping network's output)") \
  X(INT,   mapping_layers, 8, "mapping-layers", "[1, 64]", "stylegan2", "fully connected layers of the mapping network") \
  X(FLOAT, mapping_lr_mul, 0.01, "mapping-lr-mul", "(0, 1]", "stylegan2", \
    "the mapping network's learning-rate multiplier (equalized: its weights are stored / this)") \
  X(FLOAT, style_mixing, 0.9, "style-mixing", "[0, 1]", "stylegan2", \
    "probability that a batch takes its fine styles from a second latent") \
  X(FLOAT, pl_weight, 2.0, "pl-weight", "[0, 1e6]", "stylegan2", "path-length regularization weight (0: off)") \
  X(INT,   pl_every, 4, "pl-every", "[1, 1000]", "stylegan2", \
    "lazy path-length regularization: every k-th G step, scaled by k") \
  X(FLOAT, pl_decay, 0.01, "pl-decay", "(0, 1]", "stylegan2", "decay of the path lengths' running mean") \
  X(INT,   pl_batch_shrink, 2, "pl-batch-shrink", "[1, 1024]", "stylegan2", \
    "the path-length batch is batch / pl_batch_shrink") \
  X(INT,   scale, 4, "scale", "[1, 8]", "super-resolution", \
    "esrgan, realesrgan: the upscaling factor (sr_net rrdb: 1, 2 or 4)") \
  X(STR,   sr_net, "rrdb", "sr-net", "rrdb|compact", "super-resolution", \
    "the SR generator: rrdb (ESRGAN's RRDBNet) or compact (Real-ESRGAN's SRVGGNetCompact)") \
  X(INT,   sr_features, 32, "sr-features", "[1, 1024]", "super-resolution", "G's feature maps (the papers: 64)") \
  X(INT,   sr_blocks, 4, "sr-blocks", "[1, 1000]", "super-resolution", \
    "rrdb: residual-in-residual dense blocks (ESRGAN: 23); compact: its 3x3 convs (Real-ESRGAN: 16 or 32)") \
  X(BOOL,  sr_skip, false, "sr-skip", "", "super-resolution", \
    "rrdb: add the bilinearly enlarged input to the output (global residual, as VDSR): trains far faster " \
    "than the paper's plain RRDBNet (configs/esrgan.toml sets it)") \
  X(INT,   sr_growth, 16, "sr-growth", "[1, 1024]", "super-resolution", "rrdb: the dense blocks' growth channels (ESRGAN: 32)") \
  X(STR,   sr_d, "vgg", "sr-d", "vgg|unet", "super-resolution", \
    "the SR discriminator (width d_width): vgg (ESRGAN's, a logit per image) or unet (Real-ESRGAN's, spectral " \
    "norm, a logit per pixel)") \
  X(STR,   degradation, "bicubic", "degradation", "bicubic|real", "super-resolution", \
    "how LR inputs are made from HR crops: bicubic (MATLAB's imresize) or real (Real-ESRGAN's second-order pipeline)") \
  X(INT,   patch, 64, "patch", "[4, 4096]", "super-resolution", \
    "side of the HR training crops, a multiple of scale (the papers: 128 or 256)") \
  X(INT,   hr_shrink, 1, "hr-shrink", "[1, 64]", "super-resolution", \
    "photo folders: shrink each photo by this factor (area) to make the HR set; the mate photos are soft at " \
    "full size (bicubic x4 reaches 46 dB PSNR-Y on them) and have detail at 1/4 (configs/esrgan.toml: 4)") \
  X(INT,   test_every, 4, "test-every", "[2, 1000]", "super-resolution", \
    "photo folders: every k-th file in name order is held out for gantry eval and never trained on") \
  X(INT,   stage1_steps, 1000, "stage1-steps", "[0, inf)", "super-resolution", \
    "steps of stage 1 (L1 only, PSNR-oriented) before the adversarial stage 2; steps counts both stages") \
  X(FLOAT, stage1_lr, 2e-4, "stage1-lr", "(0, 1]", "super-resolution", "G's Adam rate in stage 1 (stage 2: lr_g, lr_d)") \
  X(FLOAT, l1_weight, 1.0, "l1-weight", "[0, 1e6]", "super-resolution", \
    "SR stage 2: weight of the L1 loss to HR; pix2pix: its lambda, the L1 loss to the target (the paper: 100)") \
  X(FLOAT, perceptual_weight, 1.0, "perceptual-weight", "[0, 1e6]", "super-resolution", \
    "stage 2: weight of the perceptual loss (gan/models/sr/features.h)") \
  X(FLOAT, gan_weight, 0.1, "gan-weight", "[0, 1e6]", "super-resolution", "stage 2: weight of G's adversarial loss") \
  X(STR,   init_g, "", "init-g", "", "super-resolution", \
    "start G from this SR checkpoint (its EMA weights when it has them), e.g. a stage-1 run's") \
  X(STR,   task, "edges", "task", "edges|inpaint", "translation", \
    "pix2pix on Fashion-MNIST: edges (a Sobel edge map -> the garment) or inpaint (the image with a masked " \
    "square -> the whole image)") \
  X(INT,   hole, 12, "hole", "[1, 4096]", "translation", "task inpaint: side of the masked square") \
  X(STR,   domain_a, "sneaker", "domain-a", "", "translation", \
    "cyclegan on Fashion-MNIST: domain A's class (a name such as sneaker, or 0-9)") \
  X(STR,   domain_b, "ankle-boot", "domain-b", "", "translation", "cyclegan on Fashion-MNIST: domain B's class") \
  X(STR,   g_net, "unet", "g-net", "unet|resnet", "translation", \
    "the translation generator: unet (pix2pix's, skip concatenation) or resnet (CycleGAN's residual blocks); " \
    "g_width is its first width") \
  X(INT,   g_depth, 5, "g-depth", "[2, 12]", "translation", \
    "unet: levels, each halving the side (the paper's 256x256 net: 8; images are padded to a multiple of 2^depth)") \
  X(INT,   g_blocks, 6, "g-blocks", "[0, 64]", "translation", "resnet: residual blocks (the paper: 6 at 128x128, 9 at 256)") \
  X(INT,   d_layers, 2, "d-layers", "[1, 8]", "translation", \
    "PatchGAN stride-2 layers: each logit sees 16, 34, 70 pixels square for 1, 2, 3 (the paper: 3); d_width is its first width") \
  X(STR,   norm, "batch", "norm", "batch|instance|none", "translation", \
    "normalization in the translation nets (pix2pix: batch; cyclegan: instance)") \
  X(BOOL,  dropout, true, "dropout", "", "translation", \
    "dropout 0.5 in the U-Net's inner decoder levels (pix2pix's only noise source), in resnet blocks when set") \
  X(FLOAT, cycle_weight, 10.0, "cycle-weight", "[0, 1e6]", "translation", \
    "cyclegan: lambda, the weight of each direction's cycle-consistency L1") \
  X(FLOAT, identity_weight, 0.5, "identity-weight", "[0, 1e6]", "translation", \
    "cyclegan: the identity L1's weight, as a multiple of cycle_weight (the paper: 0.5)") \
  X(INT,   pool_size, 50, "pool-size", "[0, 100000]", "translation", \
    "cyclegan: generated images each D's history pool keeps (0: D sees only the newest batch)") \
  X(INT,   eval_every, 0, "eval-every", "[0, inf)", "evaluation", \
    "score the sampler every K steps (FID-FMNIST, KID, precision, recall, coverage; 0: off)") \
  X(INT,   eval_n, 2000, "eval-n", "[10, 1000000]", "evaluation", "samples (and test images) per evaluation") \
  X(BOOL,  eval_phases, false, "eval-phases", "", "evaluation", \
    "growing models: score the sampler at the end of every growth phase (progan sets it)") \
  X(STR,   classifier, "assets/fmnist_classifier.safetensors", "classifier", "", "evaluation", \
    "the metrics' Fashion-MNIST classifier (trained and saved when missing)") \
  X(STR,   on_divergence, "stop", "on-divergence", "stop|rollback", "health", \
    "a non-finite loss or gradient stops the run, or reloads the last checkpoint") \
  X(FLOAT, rollback_lr_factor, 0.5, "rollback-lr-factor", "(0, 1]", "health", \
    "learning rates are multiplied by this at each rollback") \
  X(INT,   max_rollbacks, 3, "max-rollbacks", "[0, 1000]", "health", "rollbacks before giving up") \
  X(INT,   sample_every, 200, "sample-every", "[0, inf)", "output", "PNG grid of fixed-noise samples every K steps (0: off)") \
  X(INT,   checkpoint_every, 500, "checkpoint-every", "[0, inf)", "output", "checkpoint every K steps and at the end (0: none)") \
  X(INT,   log_every, 10, "log-every", "[1, inf)", "output", "metrics.csv row and progress line every K steps") \
  X(INT,   grid_size, 64, "grid-size", "[1, 1024]", "output", "samples in each PNG grid") \
  X(BOOL,  tensorboard, false, "tensorboard", "", "output", \
    "also write TensorBoard event files (scalars, sample grids) to OUT/tb")
// clang-format on

// A table option's value: entries in the order they were set (file order,
// then flags); setting a key again replaces its value in place.
template <class T>
struct OptionMap {
  std::vector<std::pair<std::string, T>> entries;

  bool empty() const { return entries.empty(); }
  size_t size() const { return entries.size(); }
  // nullptr when `key` is not set.
  const T* find(const std::string& key) const {
    for (const auto& e : entries)
      if (e.first == key) return &e.second;
    return nullptr;
  }
  T get(const std::string& key, const T& def) const {
    const T* v = find(key);
    return v ? *v : def;
  }
  void set(const std::string& key, T value) {
    for (auto& e : entries)
      if (e.first == key) {
        e.second = std::move(value);
        return;
      }
    entries.emplace_back(key, std::move(value));
  }
  bool operator==(const OptionMap& o) const { return entries == o.entries; }
};

#define GANTRY_OPT_CTYPE_STR std::string
#define GANTRY_OPT_CTYPE_INT int64_t
#define GANTRY_OPT_CTYPE_FLOAT double
#define GANTRY_OPT_CTYPE_BOOL bool
#define GANTRY_OPT_CTYPE_FLOATS std::vector<double>
#define GANTRY_OPT_CTYPE_INT_MAP OptionMap<int64_t>
#define GANTRY_OPT_CTYPE_FLOAT_MAP OptionMap<double>
#define GANTRY_OPT_CTYPE_STR_MAP OptionMap<std::string>

struct TrainOptions {
#define GANTRY_OPT_FIELD(TYPE, name, def, flag, check, group, help) GANTRY_OPT_CTYPE_##TYPE name = def;
  GANTRY_TRAIN_OPTIONS(GANTRY_OPT_FIELD)
#undef GANTRY_OPT_FIELD

  // Applies every key of a config through the option table: unknown keys
  // (naming the nearest valid key), wrong types and values out of range or
  // not among the choices are errors naming the file:line:column (or the
  // flag) and the key. A `model` key first resets the objective to that
  // model's defaults (set_model_defaults), so the other keys override them.
  // Ends with validate().
  void apply(const Config& c);
  // The checks between options (steps or epochs, known model and loss, ...)
  // and the keys of table options.
  void validate() const;
  // The super-resolution models' part of validate().
  void validate_sr() const;
  // The translation models' part (pix2pix, cyclegan).
  void validate_translation() const;
  // lr_milestones as (step, factor) pairs, for optim::make_schedule.
  std::vector<std::pair<int64_t, double>> milestones() const;
  // The objective each model was published with: loss, n_critic, Adam's
  // betas and rates, penalty, label smoothing (none outside dcgan).
  void set_model_defaults(const std::string& model_name);
  int64_t num_classes() const { return model == "cdcgan" ? 10 : 0; }
  // The image side the model works at: resolution, or the model's own (28;
  // 32 for progan) when it is 0.
  int64_t image_resolution() const;
  // phase_batch as resolution -> batch.
  std::map<int64_t, int64_t> phase_batches() const;
  // Every option as TOML (config.toml in the run directory, checkpoint
  // metadata); Config::parse + apply reads it back to equal options.
  std::string to_toml() const;
};

// One row of the table, for programs (the CLI) that walk it.
struct OptionSpec {
  enum class Type { String, Int, Float, Bool, Floats, IntMap, FloatMap, StringMap };
  const char* key;
  const char* flag;
  Type type;
  const char* default_text;  // as written in the table
  const char* check;         // "[lo, hi]" / "(lo, hi)" interval, "a|b|c" choices, or ""
  const char* group;
  const char* help;
  // Scalar and array options: the field as a value, and setting it.
  Config::Value (*get)(const TrainOptions&);
  void (*set)(TrainOptions&, const Config::Value&);
  // Table options: the entries, and setting one entry (key, checked value).
  std::vector<std::pair<std::string, Config::Value>> (*entries)(const TrainOptions&);
  void (*set_entry)(TrainOptions&, const std::string&, const Config::Value&);

  bool is_table() const {
    return type == Type::IntMap || type == Type::FloatMap || type == Type::StringMap;
  }
  // The type of each value: the option's own, or a table's values'.
  Type value_type() const;
};

const std::vector<OptionSpec>& option_table();
// nullptr when there is no such key.
const OptionSpec* find_option(const std::string& key);
// The option a config key sets: `key` itself, or for "TABLE.SUB" the table
// option TABLE (*sub = "SUB"). nullptr when neither.
const OptionSpec* find_option_for_key(const std::string& key, std::string* sub);
// The valid key nearest to `key` (edit distance), for "did you mean".
std::string nearest_option(const std::string& key);
const char* option_type_name(OptionSpec::Type t);

// Converts `v` to the option's type (for a table, its values' type; an
// integer is accepted for a float) and checks its range or choices. Errors read "WHERE: problem", where `where` is
// e.g. "cfg.toml:3:1: key 'batch'" or "--batch".
Config::Value check_option(const OptionSpec& o, Config::Value v, const std::string& where);
// Reads command-line text as the option's type ("2e-4", "true", "[0.5, 0.9]",
// a bare string) and checks it; errors begin with `where`. For a table
// option, one value.
Config::Value parse_option_text(const OptionSpec& o, const std::string& text,
                                const std::string& where);
// A table option's flag text "KEY=VALUE,KEY=VALUE" as checked entries.
std::vector<std::pair<std::string, Config::Value>> parse_option_entries(const OptionSpec& o,
                                                                        const std::string& text,
                                                                        const std::string& where);

}  // namespace gan
}  // namespace gantry
