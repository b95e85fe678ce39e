// gan/trainer.cpp — the adversarial training loop (see trainer.h).
#include "gan/trainer.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/parallel.h"
#include "gan/augment.h"
#include "gan/data/image.h"
#include "gan/metrics/evaluator.h"
#include "gan/penalties.h"
#include "nn/init.h"
#include "nn/safetensors.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

// ------------------------------------------------------------------ trainer
Trainer::Trainer(TrainOptions o) : opt_(std::move(o)), loss_(parse_loss(opt_.loss)), rng_(opt_.seed) {
  check_augment_policy(opt_.augment);
  GANTRY_CHECK(opt_.batch >= 2, "train: batch must be at least 2 (batch norm), got ", opt_.batch);
  GANTRY_CHECK(opt_.steps > 0 || opt_.epochs > 0, "train: set steps or epochs to a positive number");
  GANTRY_CHECK(opt_.n_critic >= 1, "train: n_critic must be >= 1, got ", opt_.n_critic);
  opt_.validate();
  device_ = Device(opt_.device);
  if (device_.is_cuda()) {
    // Allocating there fails with the reason when the device is unusable
    // ("no usable CUDA device (...)", "cuda:3 does not exist").
    try {
      (void)empty({1}, Options().device(device_));
    } catch (const Error& e) {
      throw Error(str("train: --device ", opt_.device, " cannot be used: ", e.what()));
    }
  }
  if (opt_.threads > 0) set_num_threads(opt_.threads);
  manual_seed(opt_.seed);

  // Data.
  if (opt_.data == "fashion-mnist") {
    data_ = load_fashion_mnist(opt_.data_dir, /*train=*/true, opt_.data_limit);
  } else {
    data_ = load_image_folder(opt_.data, 1);
    if (opt_.data_limit > 0 && data_.images.size(0) > opt_.data_limit)
      data_.images = core::contiguous(core::slice(data_.images, 0, 0, opt_.data_limit, 1));
  }
  GANTRY_CHECK(data_.images.size(0) >= opt_.batch, "train: the data set has ",
               data_.images.size(0), " images, fewer than one batch of ", opt_.batch);
  GANTRY_CHECK(opt_.num_classes() == 0 || data_.labels.defined(), "train: model '", opt_.model,
               "' is class-conditional and needs labelled data (fashion-mnist)");
  loader_ = std::make_unique<DataLoader>(data_, opt_.batch, opt_.seed, true, true);

  // Models (initialized from their own generator, so the data/noise stream
  // does not depend on the model's size).
  ModelConfig mc;
  mc.latent = opt_.latent;
  mc.channels = data_.images.size(1);
  mc.num_classes = opt_.num_classes();
  G_ = make_generator(opt_.model, mc);
  D_ = make_discriminator(opt_.model, mc);
  if (opt_.init == "dcgan") {
    RandomState init_gen(opt_.seed ^ 0x1A2B3C4D5E6F7788ull);
    nn::init::dcgan_(*G_, &init_gen);
    nn::init::dcgan_(*D_, &init_gen);
  }
  // Initialized on the CPU (the same weights on every device), then moved;
  // the optimizers below take the moved parameters.
  G_->to(device_);
  D_->to(device_);
  optim::AdamOptions ag;
  ag.lr = opt_.lr_g;
  ag.beta1 = opt_.beta1;
  ag.beta2 = opt_.beta2;
  optim::AdamOptions ad = ag;
  ad.lr = opt_.lr_d;
  opt_G_ = std::make_unique<optim::Adam>(G_->parameters(), ag);
  opt_D_ = std::make_unique<optim::Adam>(D_->parameters(), ad);
  if (opt_.ema_decay > 0) {
    G_ema_ = make_generator(opt_.model, mc);
    G_ema_->to(device_);
    ema_ = std::make_unique<optim::EMA>(*G_, opt_.ema_decay);
    G_ema_->requires_grad_(false);
  }
  total_steps_ = opt_.steps > 0
                     ? opt_.steps
                     : std::max<int64_t>(1, opt_.epochs * loader_->batches_per_epoch() / opt_.n_critic);
  rebuild_schedules();

  RandomState noise_gen(opt_.seed ^ 0x0F1E2D3C4B5A6978ull);  // fixed noise: its own stream
  fixed_noise_ = to_dev(randn({opt_.grid_size, opt_.latent}, {}, &noise_gen));
  if (mc.num_classes > 0) {  // grid rows cycle through the classes: image i shows class i % K
    std::vector<int64_t> lab(opt_.grid_size);
    for (int64_t i = 0; i < opt_.grid_size; ++i) lab[i] = i % mc.num_classes;
    fixed_labels_ = to_dev(from_vector<int64_t>(lab, {opt_.grid_size}));
  }
}

Trainer::~Trainer() {
  if (metrics_) std::fclose(metrics_);
}

std::string Trainer::checkpoint_path() const { return opt_.out + "/checkpoint.safetensors"; }

void Trainer::log(LogLevel level, const std::string& msg) const {
  if (log_sink_) log_sink_(level, msg);
}

namespace {
// printf-style formatting into a string, for log messages.
std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string format(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_stop must be signal-safe");
}  // namespace

void Trainer::request_stop() { g_stop.store(true); }
bool Trainer::stop_requested() { return g_stop.load(); }

void Trainer::rebuild_schedules() {
  sched_G_ = optim::make_schedule(opt_.schedule, opt_.lr_g * lr_scale_, total_steps_);
  sched_D_ = optim::make_schedule(opt_.schedule, opt_.lr_d * lr_scale_, total_steps_);
}

void Trainer::check_gradients(const nn::Module& m, int64_t step, const char* net) const {
  NoGradGuard ng;
  // One read-back for the whole network (a device synchronization on cuda):
  // NaN and +-inf survive the sums. Only when it is not finite, find the culprit.
  std::vector<Tensor> sums;
  for (const auto& kv : m.named_parameters())
    if (kv.second.grad().defined()) sums.push_back(sum(kv.second.grad()).reshape({1}));
  if (sums.empty() || std::isfinite(sum(cat(sums, 0)).item<double>())) return;
  for (const auto& kv : m.named_parameters()) {
    const Tensor g = kv.second.grad();
    if (g.defined() && !std::isfinite(sum(g).item<double>()))
      throw DivergenceError(str("train: step ", step, ": the ", net, " gradient of '", kv.first,
                                "' is not finite; stopping before the update"));
  }
  // Finite one by one, but their total overflowed: not a divergence.
}

GeneratorNet& Trainer::sampler() {
  if (ema_) {
    ema_->copy_to(*G_ema_);
    return *G_ema_;
  }
  return *G_;
}

namespace {
double finite_or_throw(const Tensor& loss, int64_t step, const char* net) {
  const double v = loss.item<double>();
  if (!std::isfinite(v))
    throw DivergenceError(str("train: step ", step, ": the ", net, " loss is ",
                              std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"),
                              "; stopping (the last checkpoint, if any, is intact)"));
  return v;
}
double mean_prob(const Tensor& logits) {
  NoGradGuard ng;
  return mean(sigmoid(logits)).item<double>();
}
}  // namespace

Tensor Trainer::draw_labels(int64_t n) {
  if (opt_.num_classes() == 0) return Tensor();
  return to_dev(randint(0, opt_.num_classes(), {n}, kInt64, &rng_));
}

StepStats Trainer::train_step() {
  const int64_t s = step_ + 1;
  opt_G_->set_lr(sched_G_->lr_at(step_));
  opt_D_->set_lr(sched_D_->lr_at(step_));
  G_->train();
  D_->train();
  StepStats st;
  st.step = s;
  Tensor fake, fake_y;
  for (int64_t k = 0; k < opt_.n_critic; ++k) {
    auto batch = loader_->next();
    st.epoch = batch.epoch;
    const Tensor real = to_dev(batch.images);  // [B, C, 28, 28] in [-1, 1]
    const int64_t B = real.size(0);
    const Tensor real_y = opt_.num_classes() > 0 ? to_dev(batch.labels) : Tensor();  // [B] or undefined
    // Noise and labels are drawn on the CPU and copied: the same run on every device.
    Tensor z = to_dev(randn({B, opt_.latent}, {}, &rng_));
    fake_y = draw_labels(B);
    // Real targets ~ U(lo, hi) (label smoothing).
    Tensor t = to_dev(add(mul(rand({B}, {}, &rng_), opt_.real_label_max - opt_.real_label_min),
                          opt_.real_label_min));
    fake = G_->generate(z, fake_y);  // kept with its graph for the G step when n_critic == 1
    Tensor d_real = D_->score(diff_augment(real, opt_.augment, &rng_), real_y);
    Tensor d_fake = D_->score(diff_augment(fake.detach(), opt_.augment, &rng_), fake_y);
    Tensor d_loss = discriminator_loss(loss_, d_real, d_fake, t);
    st.d_loss = finite_or_throw(d_loss, s, "discriminator");
    // Penalties on the un-augmented images; they are part of D's objective.
    st.penalty = 0;
    if (opt_.penalty == "gp" && opt_.gp_weight > 0) {
      Tensor gp = mul(gradient_penalty(*D_, real, fake.detach(), fake_y, &rng_), opt_.gp_weight);
      st.penalty = finite_or_throw(gp, s, "gradient-penalty");
      d_loss = add(d_loss, gp);
    } else if (opt_.penalty == "r1" && opt_.r1_gamma > 0 &&
               (step_ * opt_.n_critic + k) % opt_.r1_every == 0) {
      // Lazy R1: applied every r1_every-th D step, scaled up by r1_every.
      Tensor r1 = mul(r1_penalty(*D_, real, real_y), 0.5 * opt_.r1_gamma * opt_.r1_every);
      st.penalty = finite_or_throw(r1, s, "R1");
      d_loss = add(d_loss, r1);
    }
    st.d_real = mean_prob(d_real);
    st.d_fake = mean_prob(d_fake);
    opt_D_->zero_grad();
    d_loss.backward();
    check_gradients(*D_, s, "discriminator");
    opt_D_->step();
  }
  // G step: D frozen, so backward computes no weight gradients for it.
  D_->requires_grad_(false);
  if (opt_.n_critic > 1) {
    Tensor z = to_dev(randn({opt_.batch, opt_.latent}, {}, &rng_));
    fake_y = draw_labels(opt_.batch);
    fake = G_->generate(z, fake_y);
  }
  Tensor g_loss = generator_loss(loss_, D_->score(diff_augment(fake, opt_.augment, &rng_), fake_y));
  try {
    st.g_loss = finite_or_throw(g_loss, s, "generator");
    opt_G_->zero_grad();
    g_loss.backward();
    check_gradients(*G_, s, "generator");
  } catch (...) {
    D_->requires_grad_(true);
    throw;
  }
  opt_G_->step();
  D_->requires_grad_(true);
  if (ema_) ema_->update(*G_);
  step_ = s;
  return st;
}

void Trainer::write_samples() const {
  NoGradGuard ng;
  GeneratorNet& g = const_cast<Trainer*>(this)->sampler();
  const bool was_training = g.is_training();
  g.eval();
  Tensor imgs = g.generate(fixed_noise_, fixed_labels_).to(kCPU);
  if (was_training) g.train();
  fs::create_directories(opt_.out + "/samples");
  char name[64];
  std::snprintf(name, sizeof name, "/samples/step_%06lld.png", static_cast<long long>(step_));
  save_png_grid(opt_.out + name, imgs, 8, 2);
}

void Trainer::log_metrics(const StepStats& s, double ips, const metrics::Report* ev) {
  if (!metrics_) {
    const std::string path = opt_.out + "/metrics.csv";
    const bool fresh = !fs::exists(path);
    metrics_ = std::fopen(path.c_str(), "a");
    GANTRY_CHECK(metrics_ != nullptr, "train: cannot open ", path, " for writing");
    if (fresh) {
      std::fprintf(metrics_, "step,epoch,d_loss,g_loss,d_real,d_fake,lr_g,lr_d,images_per_s,penalty");
      if (opt_.eval_every > 0) std::fprintf(metrics_, ",fid_fmnist,kid,precision,recall,class_coverage");
      std::fprintf(metrics_, "\n");
    }
  }
  std::fprintf(metrics_, "%lld,%lld,%.6f,%.6f,%.5f,%.5f,%.6g,%.6g,%.1f,%.6f",
               static_cast<long long>(s.step), static_cast<long long>(s.epoch), s.d_loss,
               s.g_loss, s.d_real, s.d_fake, opt_G_->lr(), opt_D_->lr(), ips, s.penalty);
  if (opt_.eval_every > 0) {
    if (ev)
      std::fprintf(metrics_, ",%.4f,%.6f,%.4f,%.4f,%.4f", ev->fid, ev->kid, ev->precision,
                   ev->recall, ev->coverage);
    else
      std::fprintf(metrics_, ",,,,,");
  }
  std::fprintf(metrics_, "\n");
  std::fflush(metrics_);
}

metrics::Report Trainer::evaluate() {
  if (!evaluator_) {
    auto clf = metrics::load_or_train_classifier(opt_.classifier, opt_.data_dir);
    ImageDataset ref = load_fashion_mnist(opt_.data_dir, /*train=*/false, opt_.eval_n);
    evaluator_ = std::make_unique<metrics::Evaluator>(clf, ref.images, opt_.seed);
  }
  NoGradGuard ng;
  GeneratorNet& g = sampler();
  const bool was_training = g.is_training();
  g.eval();
  RandomState gen(opt_.seed ^ 0x5A5A5A5A12345678ull);  // the same latents at every evaluation
  std::vector<Tensor> parts;
  const int64_t n = opt_.eval_n, chunk = 500;
  for (int64_t s = 0; s < n; s += chunk) {
    const int64_t b = std::min(chunk, n - s);
    Tensor z = to_dev(randn({b, opt_.latent}, {}, &gen));
    Tensor y;
    if (g.conditional()) {  // classes in equal shares, as in the test set
      std::vector<int64_t> lab(b);
      for (int64_t i = 0; i < b; ++i) lab[i] = (s + i) % g.config.num_classes;
      y = to_dev(from_vector<int64_t>(lab, {b}));
    }
    parts.push_back(g.generate(z, y).to(kCPU));  // the evaluator runs on the CPU
  }
  if (was_training) g.train();
  return evaluator_->evaluate(parts.size() == 1 ? parts[0] : cat(parts, 0));
}

void Trainer::check_loss_trend(const StepStats& st) {
  // Exponential mean and variance (time constant ~50 steps); after 100 steps
  // a loss more than 8 standard deviations off its mean is reported (at most
  // once per 200 steps: GAN losses are noisy, this flags jumps, not drift).
  const double x[2] = {st.d_loss, st.g_loss};
  const char* name[2] = {"D", "G"};
  const double a = 0.02;
  for (int i = 0; i < 2; ++i) {
    if (loss_seen_ == 0) {
      loss_mean_[i] = x[i];
      continue;
    }
    const double d = x[i] - loss_mean_[i];
    if (loss_seen_ >= 100 && step_ - last_trend_report_ >= 200 &&
        std::abs(d) > 8 * std::sqrt(loss_var_[i]) + 1e-6) {
      log(LogLevel::Warn, format("train: step %lld: %s loss %.4f is far off its trend (%.4f +- %.4f): "
                                 "divergence suspected", static_cast<long long>(step_), name[i], x[i],
                                 loss_mean_[i], std::sqrt(loss_var_[i])));
      last_trend_report_ = step_;
    }
    loss_mean_[i] += a * d;
    loss_var_[i] = (1 - a) * (loss_var_[i] + a * d * d);
  }
  ++loss_seen_;
}

void Trainer::check_trend(const metrics::Report& r) {
  const bool finite = std::isfinite(r.fid) && std::isfinite(r.kid) && std::isfinite(r.precision) &&
                      std::isfinite(r.recall) && std::isfinite(r.coverage);
  if (!finite) {
    log(LogLevel::Warn, format("train: step %lld: a metric is not finite (FID %g, KID %g): divergence",
                               static_cast<long long>(step_), r.fid, r.kid));
    return;
  }
  if (have_best_) {
    // Far off the trend: FID more than doubled over the best so far, or class
    // coverage fell by more than a quarter (a few classes take over: collapse).
    if (r.fid > 2 * best_fid_ + 1.0)
      log(LogLevel::Warn, format("train: step %lld: FID-FMNIST %.3f is more than twice the best so far "
                                 "(%.3f): divergence suspected", static_cast<long long>(step_), r.fid, best_fid_));
    if (r.coverage < 0.75 * best_coverage_)
      log(LogLevel::Warn, format("train: step %lld: class coverage %.3f fell from %.3f: mode collapse "
                                 "suspected", static_cast<long long>(step_), r.coverage, best_coverage_));
  }
  best_fid_ = have_best_ ? std::min(best_fid_, r.fid) : r.fid;
  best_coverage_ = have_best_ ? std::max(best_coverage_, r.coverage) : r.coverage;
  have_best_ = true;
}

void Trainer::run() {
  std::error_code ec;
  fs::create_directories(opt_.out, ec);
  GANTRY_CHECK(!ec && fs::is_directory(opt_.out), "train: cannot create the output directory '",
               opt_.out, "': ", ec ? ec.message() : std::string("a file stands in its place"));
  {  // Every option of this run, as TOML that `--config` reads back.
    const std::string toml = opt_.to_toml();
    nn::write_file_atomic(opt_.out + "/config.toml", {{toml.data(), toml.size()}}, "config");
  }
  if (opt_.resume && fs::exists(checkpoint_path())) {
    load_checkpoint(checkpoint_path());
    log(LogLevel::Info, format("resumed from %s at step %lld", checkpoint_path().c_str(),
                               static_cast<long long>(step_)));
  }
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto tw = t0;
  const int64_t first = step_;
  int64_t window_images = 0;
  double ips = 0;
  while (step_ < total_steps_) {
    if (stop_requested()) {
      save_checkpoint(checkpoint_path());
      log(LogLevel::Info, format("stopped on request at step %lld; checkpoint written to %s",
                                 static_cast<long long>(step_), checkpoint_path().c_str()));
      return;
    }
    StepStats st;
    try {
      st = train_step();
    } catch (const DivergenceError& e) {
      if (opt_.on_divergence != "rollback" || rollbacks_ >= opt_.max_rollbacks ||
          !fs::exists(checkpoint_path()))
        throw;
      const int64_t failed = step_ + 1;
      const double scale = lr_scale_ * opt_.rollback_lr_factor;
      load_checkpoint(checkpoint_path());
      lr_scale_ = scale;
      ++rollbacks_;
      rebuild_schedules();
      log(LogLevel::Warn, format("%s; rolled back to step %lld (rollback %lld of %lld), learning rates x%g",
                   e.what(), static_cast<long long>(step_),
                   static_cast<long long>(rollbacks_), static_cast<long long>(opt_.max_rollbacks),
                   lr_scale_));
      (void)failed;
      continue;
    }
    window_images += opt_.batch * (opt_.n_critic + 1);
    check_loss_trend(st);
    const bool eval_now = opt_.eval_every > 0 && (step_ % opt_.eval_every == 0 || step_ == total_steps_);
    metrics::Report ev;
    if (eval_now) {
      const auto e0 = clock::now();
      ev = evaluate();
      tw += clock::now() - e0;  // images/s counts training only
      check_trend(ev);
      log(LogLevel::Info, format("[step %lld] FID-FMNIST %.3f  KID %.5f  precision %.3f  recall %.3f  "
                                 "coverage %.3f", static_cast<long long>(step_), ev.fid,
                                 ev.kid, ev.precision, ev.recall, ev.coverage));
    }
    const bool log_now = st.step % opt_.log_every == 0 || step_ == total_steps_ || eval_now;
    if (log_now) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - tw).count();
      ips = dt > 0 ? window_images / dt : 0;
      tw = now;
      window_images = 0;
      log_metrics(st, ips, eval_now ? &ev : nullptr);
      {
        const double el = std::chrono::duration<double>(now - t0).count();
        const double per = el / static_cast<double>(step_ - first);
        const long long eta = static_cast<long long>(per * (total_steps_ - step_));
        log(LogLevel::Progress, format(
                     "[step %lld/%lld  epoch %lld  %5.1f%%]  D %.4f  G %.4f  D(x) %.3f  "
                     "D(G(z)) %.3f  %.0f img/s  %.1f ms/step  ETA %lldm%02llds",
                     static_cast<long long>(step_),
                     static_cast<long long>(total_steps_), static_cast<long long>(st.epoch),
                     100.0 * step_ / total_steps_, st.d_loss, st.g_loss, st.d_real, st.d_fake,
                     ips, per * 1e3, eta / 60, eta % 60));
      }
    }
    if (opt_.sample_every > 0 && (step_ % opt_.sample_every == 0 || step_ == total_steps_))
      write_samples();
    if (opt_.checkpoint_every > 0 &&
        (step_ % opt_.checkpoint_every == 0 || step_ == total_steps_))
      save_checkpoint(checkpoint_path());
  }
}

// --------------------------------------------------------------- checkpoint
namespace {
void add_prefixed(nn::NamedTensors& out, const std::string& prefix, const nn::NamedTensors& in) {
  for (const auto& kv : in) out.push_back({prefix + kv.first, kv.second});
}
nn::NamedTensors take_prefixed(const nn::NamedTensors& all, const std::string& prefix) {
  nn::NamedTensors r;
  for (const auto& kv : all)
    if (kv.first.rfind(prefix, 0) == 0) r.push_back({kv.first.substr(prefix.size()), kv.second});
  return r;
}
std::string meta(const std::map<std::string, std::string>& m, const std::string& k,
                 const std::string& path) {
  auto it = m.find(k);
  GANTRY_CHECK(it != m.end(), "checkpoint ", path, ": metadata has no '", k, "'");
  return it->second;
}
}  // namespace

void Trainer::save_checkpoint(const std::string& path) const {
  {
    NoGradGuard ng;
    for (const nn::Module* m : {static_cast<const nn::Module*>(G_.get()),
                                static_cast<const nn::Module*>(D_.get())})
      for (const auto& kv : m->state_dict()) {
        if (!is_floating(kv.second.dtype())) continue;
        GANTRY_CHECK(std::isfinite(sum(kv.second).item<double>()), "checkpoint ", path,
                     ": refusing to save: '", kv.first, "' holds non-finite values (step ",
                     step_, "); the previous checkpoint is kept");
      }
  }
  nn::NamedTensors all;
  add_prefixed(all, "G.", G_->state_dict());
  add_prefixed(all, "D.", D_->state_dict());
  add_prefixed(all, "opt_G.", opt_G_->state_dict());
  add_prefixed(all, "opt_D.", opt_D_->state_dict());
  if (ema_) add_prefixed(all, "ema.", ema_->state_dict());
  std::map<std::string, std::string> m;
  m["format"] = "gantry-checkpoint-1";
  m["model"] = opt_.model;
  m["step"] = std::to_string(step_);
  m["config"] = opt_.to_toml();
  m["rng_seed"] = std::to_string(rng_.seed());
  m["rng_offset"] = std::to_string(rng_.offset());
  m["default_rng_seed"] = std::to_string(default_random_state().seed());
  m["default_rng_offset"] = std::to_string(default_random_state().offset());
  m["loader_epoch"] = std::to_string(loader_->epoch());
  m["loader_position"] = std::to_string(loader_->position());
  m["latent"] = std::to_string(opt_.latent);
  m["channels"] = std::to_string(G_->config.channels);
  m["num_classes"] = std::to_string(G_->config.num_classes);
  m["ema"] = ema_ ? "1" : "0";
  char scale[40];
  std::snprintf(scale, sizeof scale, "%.17g", lr_scale_);  // exact round trip
  m["lr_scale"] = scale;
  nn::save_safetensors(path, all, m);
}

void Trainer::load_checkpoint(const std::string& path) {
  nn::SafetensorsFile f = nn::load_safetensors(path);
  const auto& m = f.metadata;
  GANTRY_CHECK(meta(m, "format", path) == "gantry-checkpoint-1", "checkpoint ", path,
               ": unknown format '", meta(m, "format", path), "'");
  GANTRY_CHECK(meta(m, "model", path) == opt_.model, "checkpoint ", path, " holds model '",
               meta(m, "model", path), "' but the run is for '", opt_.model, "'");
  GANTRY_CHECK((meta(m, "ema", path) == "1") == (ema_ != nullptr), "checkpoint ", path,
               ": EMA ", (ema_ ? "enabled" : "disabled"), " in this run but not in the checkpoint");
  G_->load_state_dict(take_prefixed(f.tensors, "G."));
  D_->load_state_dict(take_prefixed(f.tensors, "D."));
  opt_G_->load_state_dict(take_prefixed(f.tensors, "opt_G."));
  opt_D_->load_state_dict(take_prefixed(f.tensors, "opt_D."));
  if (ema_) ema_->load_state_dict(take_prefixed(f.tensors, "ema."));
  step_ = std::stoll(meta(m, "step", path));
  if (m.count("lr_scale")) {
    lr_scale_ = std::stod(m.at("lr_scale"));
    rebuild_schedules();
  }
  rng_.manual_seed(std::stoull(meta(m, "rng_seed", path)));
  rng_.set_offset(std::stoull(meta(m, "rng_offset", path)));
  default_random_state().manual_seed(std::stoull(meta(m, "default_rng_seed", path)));
  default_random_state().set_offset(std::stoull(meta(m, "default_rng_offset", path)));
  loader_->seek(std::stoll(meta(m, "loader_epoch", path)),
                std::stoll(meta(m, "loader_position", path)));
}

}  // namespace gan
}  // namespace gantry
