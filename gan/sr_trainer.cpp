// gan/sr_trainer.cpp — the two-stage super-resolution trainer, its
// checkpoints, and load_sr_generator (see sr_trainer.h).
#include "gan/sr_trainer.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/parallel.h"
#include "core/rng.h"
#include "gan/checkpoint.h"
#include "gan/data/image.h"
#include "gan/health.h"
#include "gan/losses.h"
#include "gan/models/sr/sr.h"
#include "gan/run_log.h"
#include "gan/trainer.h"  // Trainer::stop_requested: one stop flag for every trainer
#include "nn/safetensors.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

using namespace ckpt;

namespace {
constexpr const char* kSRFormat = "gantry-sr-checkpoint";
constexpr int kSRFormatVersion = 1;
// D's weights come from their own seed, drawn when stage 2 starts: the same
// whether the run got there in one go or was resumed on the way.
constexpr uint64_t kDSeedOffset = 0x5eedd15c;

void check_sr_format(const std::map<std::string, std::string>& m, const std::string& path) {
  auto f = m.find("format");
  GANTRY_CHECK(f != m.end() && f->second == kSRFormat, "checkpoint ", path, ": not a Gantry super-resolution "
               "checkpoint (format '", f == m.end() ? std::string("none") : f->second, "'; `gantry train --model "
               "esrgan` writes them)");
  const int64_t v = meta_int(m, "format_version", path);
  GANTRY_CHECK(v >= 1 && v <= kSRFormatVersion, "checkpoint ", path, ": unknown SR format version ", v,
               " (this gantry reads 1 to ", kSRFormatVersion, ")");
}
// The generator's architecture as checkpoint metadata, and its check.
std::map<std::string, std::string> arch_meta(const TrainOptions& o) {
  return {{"model", o.model},
          {"sr_net", o.sr_net},
          {"channels", std::to_string(o.channels)},
          {"scale", std::to_string(o.scale)},
          {"sr_features", std::to_string(o.sr_features)},
          {"sr_blocks", std::to_string(o.sr_blocks)},
          {"sr_growth", std::to_string(o.sr_growth)},
          {"sr_skip", o.sr_skip ? "1" : "0"}};
}
void check_arch(const std::map<std::string, std::string>& m, const TrainOptions& o, const std::string& path,
                const char* what) {
  for (const auto& kv : arch_meta(o)) {
    if (kv.first == "model") continue;  // init_g may come from the other SR model
    // sr_skip came after the first SR checkpoints: without it, no skip.
    const std::string theirs = kv.first == "sr_skip" && !m.count("sr_skip") ? "0" : meta(m, kv.first, path);
    GANTRY_CHECK(theirs == kv.second, what, " ", path, " has ", kv.first, " = ", theirs, " but this run has ",
                 kv.first, " = ", kv.second);
  }
}
double mean_prob(const Tensor& logits) {
  NoGradGuard ng;
  return mean(sigmoid(logits)).item<double>();
}

}  // namespace

std::shared_ptr<nn::Module> make_sr_generator(const std::string& net, int64_t channels, int64_t scale,
                                              int64_t features, int64_t blocks, int64_t growth, bool skip) {
  if (net == "rrdb") return std::make_shared<RRDBNet>(channels, scale, features, blocks, growth, skip);
  GANTRY_CHECK(!skip, "make_sr_generator: the bilinear skip is for rrdb");
  GANTRY_CHECK(net == "compact", "make_sr_generator: unknown sr_net '", net, "' (rrdb or compact)");
  return std::make_shared<SRVGGCompact>(channels, scale, features, blocks);
}

PairConfig sr_pair_config(const TrainOptions& o) {
  PairConfig pc;
  pc.scale = o.scale;
  pc.patch = o.patch;
  pc.degradation = o.degradation == "real" ? Degradation::kReal : Degradation::kBicubic;
  return pc;
}

// ---------------------------------------------------------------- trainer
SRTrainer::SRTrainer(TrainOptions o) : opt_(std::move(o)) {
  GANTRY_CHECK(is_sr_model(opt_.model), "SRTrainer: '", opt_.model, "' is not a super-resolution model");
  opt_.validate();
  GANTRY_CHECK(opt_.device == "cpu", "train: the super-resolution trainer runs on the CPU for now, not '",
               opt_.device, "'");
  if (opt_.threads > 0) set_num_threads(opt_.threads);
  manual_seed(opt_.seed);
  // The data: Fashion-MNIST's train/test sets, or a folder split by file.
  if (opt_.data == "fashion-mnist") {
    train_ = pictures_from_dataset(load_fashion_mnist(opt_.data_dir, true, opt_.data_limit));
    test_ = pictures_from_dataset(load_fashion_mnist(opt_.data_dir, false, 64));
  } else {
    PictureSplit split = split_by_file(
        shrink_pictures(load_pictures(opt_.data, static_cast<int>(opt_.channels)), opt_.hr_shrink), opt_.test_every);
    train_ = std::move(split.train);
    test_ = std::move(split.test);
    if (opt_.data_limit > 0 && static_cast<int64_t>(train_.pictures.size()) > opt_.data_limit)
      train_.pictures.resize(static_cast<size_t>(opt_.data_limit));
  }
  GANTRY_CHECK(!train_.pictures.empty(), "train: no training pictures in '", opt_.data, "'");
  for (const PictureSet* set : {&train_, &test_})
    for (const Picture& p : set->pictures)
      GANTRY_CHECK(p.h >= opt_.patch && p.w >= opt_.patch, "train: picture '", p.name, "' (", p.w, "x", p.h,
                   ") is smaller than the ", opt_.patch, "x", opt_.patch, " training patch (training crops, and the "
                   "sample grid's crops of held-out pictures, are patch x patch; set patch lower)");
  loader_ = std::make_unique<PairedLoader>(train_, sr_pair_config(opt_), opt_.batch,
                                           static_cast<uint64_t>(opt_.seed));

  G_ = make_sr_generator(opt_.sr_net, opt_.channels, opt_.scale, opt_.sr_features, opt_.sr_blocks, opt_.sr_growth,
                         opt_.sr_skip);
  if (!opt_.init_g.empty()) {  // e.g. stage 2 alone, from a stage-1 run
    nn::SafetensorsFile f = nn::load_safetensors(opt_.init_g);
    check_sr_format(f.metadata, opt_.init_g);
    check_arch(f.metadata, opt_, opt_.init_g, "init_g:");
    const bool ema = meta(f.metadata, "ema", opt_.init_g) == "1";
    G_->load_state_dict(take_prefixed(f.tensors, ema ? "ema." : "G."));
  }
  opt_G_ = std::make_unique<optim::Adam>(G_->parameters(),
                                         optim::AdamOptions{opt_.stage1_lr, opt_.beta1, opt_.beta2});
  if (opt_.ema_decay > 0) {
    ema_ = std::make_unique<optim::EMA>(*G_, opt_.ema_decay);
    G_ema_ = make_sr_generator(opt_.sr_net, opt_.channels, opt_.scale, opt_.sr_features, opt_.sr_blocks,
                               opt_.sr_growth, opt_.sr_skip);
  }
  phi_ = std::make_unique<FeatureNet>(opt_.channels);
}

SRTrainer::~SRTrainer() = default;

nn::Module& SRTrainer::sampler() {
  if (!ema_) return *G_;
  ema_->copy_to(*G_ema_);
  return *G_ema_;
}

void SRTrainer::begin_stage2() {
  // Stage 2 starts from stage 1's result: the EMA weights when averaging.
  if (ema_) ema_->copy_to(*G_);
  manual_seed(static_cast<uint64_t>(opt_.seed) + kDSeedOffset);
  if (opt_.sr_d == "vgg")
    D_ = std::make_shared<VGGStyleD>(opt_.channels, opt_.d_width, opt_.patch);
  else
    D_ = std::make_shared<UNetDSN>(opt_.channels, opt_.d_width);
  opt_G_ = std::make_unique<optim::Adam>(G_->parameters(), optim::AdamOptions{opt_.lr_g, opt_.beta1, opt_.beta2});
  opt_D_ = std::make_unique<optim::Adam>(D_->parameters(), optim::AdamOptions{opt_.lr_d, opt_.beta1, opt_.beta2});
  if (ema_) ema_ = std::make_unique<optim::EMA>(*G_, opt_.ema_decay);
  stage2_ = true;
}

SRStepStats SRTrainer::train_step() {
  if (stage() == 2 && !stage2_) {
    begin_stage2();
    log(LogLevel::Info, format("stage 2 (adversarial) starts at step %lld", static_cast<long long>(step_)));
  }
  const PairedLoader::Batch b = loader_->at(step_);  // lr [B,C,P/s,P/s], hr [B,C,P,P]
  SRStepStats st;
  st.stage = stage();
  G_->train();
  if (st.stage == 1) {
    const Tensor sr = G_->forward(b.lr);  // [B, C, P, P]
    const Tensor loss = l1_loss(sr, b.hr);
    st.l1 = finite_or_throw(loss, step_ + 1, "G");
    opt_G_->zero_grad();
    loss.backward();
    check_gradients(*G_, step_ + 1, "G");
    opt_G_->step();
  } else {
    D_->train();
    const bool relativistic = opt_.loss == "relativistic";
    const LossKind kind = relativistic ? LossKind::NonSaturating : parse_loss(opt_.loss);
    Tensor sr;
    {  // G: L1 + perceptual + adversarial, D frozen
      nn::FreezeGuard frozen(*D_);
      sr = G_->forward(b.lr);
      const Tensor l1 = l1_loss(sr, b.hr);
      st.l1 = l1.detach().item<double>();
      Tensor loss = mul(l1, opt_.l1_weight);
      if (opt_.perceptual_weight > 0) {
        const Tensor p = perceptual_loss(*phi_, sr, b.hr);
        st.perceptual = p.detach().item<double>();
        loss = add(loss, mul(p, opt_.perceptual_weight));
      }
      if (opt_.gan_weight > 0) {
        const Tensor fake = D_->forward(sr);
        Tensor adv;
        if (relativistic) {
          Tensor real;
          {
            NoGradGuard ng;
            real = D_->forward(b.hr);
          }
          adv = relativistic_g_loss(real, fake);
        } else {
          adv = generator_loss(kind, fake);
        }
        st.g_adv = adv.detach().item<double>();
        loss = add(loss, mul(adv, opt_.gan_weight));
      }
      finite_or_throw(loss, step_ + 1, "G");
      opt_G_->zero_grad();
      loss.backward();
      check_gradients(*G_, step_ + 1, "G");
      opt_G_->step();
    }
    {  // D: real HR crops against the (detached) outputs
      const Tensor real = D_->forward(b.hr), fake = D_->forward(sr.detach());
      const Tensor d = relativistic ? relativistic_d_loss(real, fake) : discriminator_loss(kind, real, fake);
      st.d_loss = finite_or_throw(d, step_ + 1, "D");
      st.d_real = mean_prob(real);
      st.d_fake = mean_prob(fake);
      opt_D_->zero_grad();
      d.backward();
      check_gradients(*D_, step_ + 1, "D");
      opt_D_->step();
    }
  }
  if (ema_) ema_->update(*G_);
  st.step = ++step_;
  return st;
}

void SRTrainer::write_samples() const {
  // Four fixed held-out crops (training ones when nothing is held out).
  const PictureSet& set = test_.pictures.empty() ? train_ : test_;
  const PairedLoader::Batch b = PairedLoader(set, sr_pair_config(opt_), 4, static_cast<uint64_t>(opt_.seed) + 1).at(0);
  NoGradGuard ng;
  nn::Module& net = const_cast<SRTrainer*>(this)->sampler();
  Tensor sr;
  {
    nn::EvalGuard eg(net);
    sr = clamp(net.forward(b.lr), -1.0, 1.0);  // [4, C, P, P]
  }
  const Tensor up = upsample_nearest2d(b.lr, {opt_.patch, opt_.patch});
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < 4; ++i)
    for (const Tensor* t : std::initializer_list<const Tensor*>{&up, &sr, &b.hr}) rows.push_back(narrow(*t, 0, i, 1));
  save_png_grid(opt_.out + "/samples/step_" + std::to_string(step_) + ".png", cat(rows, 0), 3);
}

void SRTrainer::run() {
  prepare_run_directory(opt_.out, opt_.to_toml(), /*samples_dir=*/true);
  if (opt_.resume && fs::exists(checkpoint_path())) {
    load_checkpoint(checkpoint_path());
    log(LogLevel::Info, format("resumed from %s at step %lld (stage %d)", checkpoint_path().c_str(),
                               static_cast<long long>(step_), stage()));
  }
  const std::string csv = opt_.out + "/metrics.csv";
  truncate_metrics_csv(csv, step_);
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto tw = t0;
  int64_t window_images = 0;
  const int64_t first = step_;
  while (step_ < opt_.steps) {
    if (Trainer::stop_requested()) {
      save_checkpoint(checkpoint_path());
      log(LogLevel::Info, format("stopped on request at step %lld; checkpoint written to %s",
                                 static_cast<long long>(step_), checkpoint_path().c_str()));
      return;
    }
    const SRStepStats st = train_step();
    window_images += opt_.batch;
    const bool time_up = opt_.max_minutes > 0 &&
                         std::chrono::duration<double>(clock::now() - t0).count() >= opt_.max_minutes * 60.0;
    const bool last = step_ == opt_.steps || time_up;
    const bool stage_end = step_ == opt_.stage1_steps;
    if (step_ % opt_.log_every == 0 || last || stage_end) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - tw).count();
      const double ips = dt > 0 ? window_images / dt : 0;
      tw = now;
      window_images = 0;
      const bool fresh = !fs::exists(csv);
      std::ofstream f(csv, std::ios::app);
      if (fresh) f << "step,stage,l1,perceptual,g_adv,d_loss,d_real,d_fake,images_per_s\n";
      f << format("%lld,%d,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.2f\n", static_cast<long long>(st.step), st.stage, st.l1,
                  st.perceptual, st.g_adv, st.d_loss, st.d_real, st.d_fake, ips);
      const double per = std::chrono::duration<double>(now - t0).count() / static_cast<double>(step_ - first);
      const long long eta = static_cast<long long>(per * static_cast<double>(opt_.steps - step_));
      log(LogLevel::Progress,
          st.stage == 1
              ? format("[step %lld/%lld  stage 1]  L1 %.4f  %.1f img/s  %.0f ms/step  ETA %lldm%02llds",
                       static_cast<long long>(step_), static_cast<long long>(opt_.steps), st.l1, ips, per * 1e3,
                       eta / 60, eta % 60)
              : format("[step %lld/%lld  stage 2]  L1 %.4f  perc %.4f  G_adv %.4f  D %.4f  D(x) %.3f  D(G) %.3f  "
                       "%.1f img/s  %.0f ms/step  ETA %lldm%02llds",
                       static_cast<long long>(step_), static_cast<long long>(opt_.steps), st.l1, st.perceptual,
                       st.g_adv, st.d_loss, st.d_real, st.d_fake, ips, per * 1e3, eta / 60, eta % 60));
    }
    if (opt_.sample_every > 0 && (step_ % opt_.sample_every == 0 || last || stage_end)) write_samples();
    if (stage_end && opt_.stage1_steps < opt_.steps) {  // stage 1's model, kept apart (eval, init_g)
      save_checkpoint(opt_.out + "/stage1.safetensors");
      log(LogLevel::Info, format("stage 1 done at step %lld: %s/stage1.safetensors",
                                 static_cast<long long>(step_), opt_.out.c_str()));
    }
    if (opt_.checkpoint_every > 0 && (step_ % opt_.checkpoint_every == 0 || last || stage_end))
      save_checkpoint(checkpoint_path());
    if (time_up && step_ < opt_.steps) {
      log(LogLevel::Info, format("stopped at step %lld of %lld: the %g-minute budget (max_minutes) is spent",
                                 static_cast<long long>(step_), static_cast<long long>(opt_.steps), opt_.max_minutes));
      return;
    }
  }
}

// ------------------------------------------------------------ checkpoints
void SRTrainer::save_checkpoint(const std::string& path) const {
  std::vector<const nn::Module*> nets = {G_.get()};
  if (D_) nets.push_back(D_.get());
  {
    NoGradGuard ng;
    for (const nn::Module* m : nets)
      for (const auto& kv : m->state_dict()) {
        if (!is_floating(kv.second.dtype())) continue;
        GANTRY_CHECK(std::isfinite(sum(kv.second).item<double>()), "checkpoint ", path, ": refusing to save: '",
                     kv.first, "' holds non-finite values (step ", step_, "); the previous checkpoint is kept");
      }
  }
  nn::NamedTensors all;
  add_prefixed(all, "G.", G_->state_dict());
  add_prefixed(all, "opt_G.", opt_G_->state_dict());
  if (ema_) add_prefixed(all, "ema.", ema_->state_dict());
  if (stage2_) {
    add_prefixed(all, "D.", D_->state_dict());
    add_prefixed(all, "opt_D.", opt_D_->state_dict());
  }
  std::map<std::string, std::string> m = arch_meta(opt_);
  m["format"] = kSRFormat;
  m["format_version"] = std::to_string(kSRFormatVersion);
  m["step"] = std::to_string(step_);
  m["stage1_steps"] = std::to_string(opt_.stage1_steps);
  m["stage2"] = stage2_ ? "1" : "0";
  m["ema"] = ema_ ? "1" : "0";
  m["sr_d"] = opt_.sr_d;
  m["d_width"] = std::to_string(opt_.d_width);
  m["patch"] = std::to_string(opt_.patch);
  m["config"] = opt_.to_toml();
  nn::save_safetensors(path, all, m);
}

void SRTrainer::load_checkpoint(const std::string& path) {
  nn::SafetensorsFile f = nn::load_safetensors(path);
  const auto& m = f.metadata;
  check_sr_format(m, path);
  GANTRY_CHECK(meta(m, "model", path) == opt_.model, "checkpoint ", path, " holds model '", meta(m, "model", path),
               "' but the run is for '", opt_.model, "'");
  check_arch(m, opt_, path, "checkpoint");
  GANTRY_CHECK((meta(m, "ema", path) == "1") == (ema_ != nullptr), "checkpoint ", path, ": EMA ",
               ema_ ? "enabled" : "disabled", " in this run but not in the checkpoint");
  const int64_t step = meta_int(m, "step", path);
  const bool in_stage2 = meta(m, "stage2", path) == "1";
  GANTRY_CHECK(in_stage2 ? step >= opt_.stage1_steps : step <= opt_.stage1_steps, "checkpoint ", path,
               " stands at step ", step, " in stage ", in_stage2 ? 2 : 1, ", but this run's stage 1 ends at step ",
               opt_.stage1_steps, " (stage1_steps)");
  if (in_stage2) {
    GANTRY_CHECK(meta_int(m, "stage1_steps", path) == opt_.stage1_steps, "checkpoint ", path,
                 " is in stage 2 of a run whose stage 1 ended at step ", meta(m, "stage1_steps", path),
                 ", but this run's ends at ", opt_.stage1_steps, " (stage1_steps)");
    GANTRY_CHECK(meta(m, "sr_d", path) == opt_.sr_d && meta_int(m, "d_width", path) == opt_.d_width &&
                     meta_int(m, "patch", path) == opt_.patch,
                 "checkpoint ", path, ": its discriminator (sr_d ", meta(m, "sr_d", path), ", d_width ",
                 meta(m, "d_width", path), ", patch ", meta(m, "patch", path), ") is not this run's (sr_d ",
                 opt_.sr_d, ", d_width ", opt_.d_width, ", patch ", opt_.patch, ")");
    if (!stage2_) begin_stage2();
    D_->load_state_dict(take_prefixed(f.tensors, "D."));
    opt_D_->load_state_dict(take_prefixed(f.tensors, "opt_D."));
  } else if (stage2_) {  // back to stage 1's state: no D, G's stage-1 optimizer
    D_.reset();
    opt_D_.reset();
    opt_G_ = std::make_unique<optim::Adam>(G_->parameters(),
                                           optim::AdamOptions{opt_.stage1_lr, opt_.beta1, opt_.beta2});
    stage2_ = false;
  }
  G_->load_state_dict(take_prefixed(f.tensors, "G."));
  opt_G_->load_state_dict(take_prefixed(f.tensors, "opt_G."));
  if (ema_) ema_->load_state_dict(take_prefixed(f.tensors, "ema."));
  step_ = step;
}

// ---------------------------------------------------------- for inference
bool is_sr_checkpoint(const std::string& path) {
  const nn::SafetensorsFile f = nn::load_safetensors(path);
  auto it = f.metadata.find("format");
  return it != f.metadata.end() && it->second == kSRFormat;
}

LoadedSR load_sr_generator(const std::string& path, bool use_ema) {
  nn::SafetensorsFile f = nn::load_safetensors(path);
  const auto& m = f.metadata;
  check_sr_format(m, path);
  LoadedSR out;
  out.model = meta(m, "model", path);
  out.scale = meta_int(m, "scale", path);
  out.channels = meta_int(m, "channels", path);
  out.step = meta_int(m, "step", path);
  out.stage1_steps = meta_int(m, "stage1_steps", path);
  out.net = make_sr_generator(meta(m, "sr_net", path), out.channels, out.scale, meta_int(m, "sr_features", path),
                              meta_int(m, "sr_blocks", path), meta_int(m, "sr_growth", path),
                              m.count("sr_skip") && m.at("sr_skip") == "1");
  out.multiple = meta(m, "sr_net", path) == "rrdb" ? 4 / out.scale : 1;
  out.ema = use_ema && meta(m, "ema", path) == "1";
  out.net->load_state_dict(take_prefixed(f.tensors, out.ema ? "ema." : "G."));
  out.net->eval();
  return out;
}

}  // namespace gan
}  // namespace gantry
