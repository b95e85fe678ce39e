// gan/trainer.cpp — the Trainer's construction and its step loop: one
// adversarial step (train_step) and the run around it (run: resume, steps,
// logging, samples, evaluation, checkpoints, rollback). The other parts of
// the Trainer are in the files gan/trainer.h lists.
#include "gan/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/parallel.h"
#include "gan/augment.h"
#include "gan/checkpoint.h"
#include "gan/data/image.h"
#include "gan/latent.h"
#include "gan/metrics/evaluator.h"
#include "gan/penalties.h"
#include "nn/init.h"
#include "nn/safetensors.h"
#include "optim/clip.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

Trainer::Trainer(TrainOptions o) : opt_(std::move(o)), loss_(parse_loss(opt_.loss)), rng_(opt_.seed) {
  check_augment_policy(opt_.augment);
  GANTRY_CHECK(opt_.batch >= 2, "train: batch must be at least 2 (batch norm), got ", opt_.batch);
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

  // Data, at the model's (final) resolution.
  const int64_t R = opt_.image_resolution();
  if (opt_.data == "fashion-mnist") {
    data_ = load_fashion_mnist(opt_.data_dir, /*train=*/true, opt_.data_limit > 0 ? opt_.data_limit : -1);
    try {
      data_.images = fit_fashion_mnist(data_.images, R);
    } catch (const Error& e) {
      throw Error(str("train: ", e.what()));
    }
  } else {
    data_ = load_image_folder(opt_.data, static_cast<int>(opt_.channels), R, /*resize=*/true);
  }
  // data_limit: the first N images (a limited-data run), no more than there
  // are (Fashion-MNIST was read only that far: fewer means it has fewer).
  if (opt_.data_limit > 0) {
    GANTRY_CHECK(opt_.data_limit <= data_.images.size(0), "train: data_limit ", opt_.data_limit,
                 " is more than the ", data_.images.size(0), " images of ", opt_.data);
    data_.images = core::contiguous(core::slice(data_.images, 0, 0, opt_.data_limit, 1));
    if (data_.labels.defined())
      data_.labels = core::contiguous(core::slice(data_.labels, 0, 0, opt_.data_limit, 1));
  }
  GANTRY_CHECK(opt_.num_classes() == 0 || data_.labels.defined(), "train: model '", opt_.model,
               "' is class-conditional and needs labelled data (fashion-mnist)");
  if (is_growing_model(opt_.model)) {
    growth_ = std::make_unique<GrowthSchedule>(opt_.start_resolution, R, opt_.phase_images, opt_.batch,
                                               opt_.phase_batches());
    growth_state_ = growth_->at(0);
    for (int64_t r = opt_.start_resolution; r <= R; r *= 2)
      GANTRY_CHECK(data_.images.size(0) >= growth_->batch_at(r), "train: the data set has ", data_.images.size(0),
                   " images, fewer than one batch of ", growth_->batch_at(r), " (at ", r, "x", r, ")");
    enter_phase();
  } else {
    GANTRY_CHECK(data_.images.size(0) >= opt_.batch, "train: the data set has ",
                 data_.images.size(0), " images, fewer than one batch of ", opt_.batch);
    loader_ = std::make_unique<DataLoader>(data_, opt_.batch, opt_.seed, true, true);
  }

  // Models (initialized from their own generator, so the data/noise stream
  // does not depend on the model's size).
  ModelConfig mc;
  mc.latent = opt_.latent;
  mc.channels = data_.images.size(1);
  mc.num_classes = opt_.num_classes();
  mc.g_width = opt_.g_width;
  mc.d_width = opt_.d_width;
  mc.d_deep = opt_.d_layout == "deep";
  mc.attention_at = opt_.attention_at;
  mc.resolution = R;
  mc.start_resolution = opt_.start_resolution;
  mc.fmap_base = opt_.fmap_base;
  mc.fmap_max = opt_.fmap_max;
  mc.mbstd_group = opt_.mbstd_group;
  mc.w_dim = opt_.w_dim;
  mc.mapping_layers = opt_.mapping_layers;
  mc.mapping_lr_mul = opt_.mapping_lr_mul;
  G_ = make_generator(opt_.model, mc);
  D_ = make_discriminator(opt_.model, mc);
  style_ = as_style(*G_);
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
  if (opt_.lazy_adam) {
    // A regularizer that takes its own Adam step every k-th step makes k + 1
    // updates per k batches: lr and betas raised to the power k/(k+1) keep
    // the per-batch step size and moment decay the option table gives.
    if (style_ && opt_.pl_weight > 0) g_lazy_ = opt_.pl_every / (opt_.pl_every + 1.0);
    if (opt_.penalty == "r1" && opt_.r1_gamma > 0) d_lazy_ = opt_.r1_every / (opt_.r1_every + 1.0);
    ag.beta1 = std::pow(ag.beta1, g_lazy_);
    ag.beta2 = std::pow(ag.beta2, g_lazy_);
    ad.beta1 = std::pow(ad.beta1, d_lazy_);
    ad.beta2 = std::pow(ad.beta2, d_lazy_);
    ag.lr *= g_lazy_;
    ad.lr *= d_lazy_;
  }
  opt_G_ = std::make_unique<optim::Adam>(G_->parameters(), ag);
  opt_D_ = std::make_unique<optim::Adam>(D_->parameters(), ad);
  if (opt_.augment == "ada")
    ada_ = std::make_unique<AdaptiveAugment>(opt_.ada_target, opt_.ada_interval, opt_.ada_kimg * 1000.0, opt_.ada_p);
  if (opt_.ema_decay > 0) {
    G_ema_ = make_generator(opt_.model, mc);
    G_ema_->to(device_);
    ema_ = std::make_unique<optim::EMA>(*G_, opt_.ema_decay);
    G_ema_->requires_grad_(false);
  }
  if (growth_) {
    set_net_growth();
    total_steps_ = opt_.steps > 0 ? opt_.steps : growth_->total_steps();
  } else {
    total_steps_ = opt_.steps > 0
                       ? opt_.steps
                       : std::max<int64_t>(1, opt_.epochs * loader_->batches_per_epoch() / opt_.n_critic);
  }
  rebuild_schedules();

  RandomState noise_gen(opt_.seed ^ 0x0F1E2D3C4B5A6978ull);  // fixed noise: its own stream
  fixed_noise_ = to_dev(randn({opt_.grid_size, opt_.latent}, {}, &noise_gen));
  if (mc.num_classes > 0) {  // grid rows cycle through the classes: image i shows class i % K
    std::vector<int64_t> lab(opt_.grid_size);
    for (int64_t i = 0; i < opt_.grid_size; ++i) lab[i] = i % mc.num_classes;
    fixed_labels_ = to_dev(from_vector<int64_t>(lab, {opt_.grid_size}));
  }
}

Trainer::~Trainer() = default;

std::string Trainer::checkpoint_path() const { return opt_.out + "/checkpoint.safetensors"; }

void Trainer::log(LogLevel level, const std::string& msg) const {
  if (log_sink_) log_sink_(level, msg);
}

void Trainer::warn_lines(const std::string& lines) const {
  size_t b = 0;
  while (b < lines.size()) {
    size_t e = lines.find('\n', b);
    if (e == std::string::npos) e = lines.size();
    if (e > b) log(LogLevel::Warn, lines.substr(b, e - b));
    b = e + 1;
  }
}

namespace {
std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "request_stop must be signal-safe");
}  // namespace

void Trainer::request_stop() { g_stop.store(true); }
bool Trainer::stop_requested() { return g_stop.load(); }

void Trainer::rebuild_schedules() {
  sched_G_ = optim::make_schedule(opt_.schedule, opt_.lr_g * g_lazy_ * lr_scale_, total_steps_, opt_.milestones(),
                                    opt_.decay_start);
  sched_D_ = optim::make_schedule(opt_.schedule, opt_.lr_d * d_lazy_ * lr_scale_, total_steps_, opt_.milestones(),
                                    opt_.decay_start);
}

// ------------------------------------------------------------------ growing
void Trainer::enter_phase() {
  // Each phase's loader has its own shuffle seed, so its order depends only
  // on (seed, phase): a resumed run rebuilds it and seeks.
  const uint64_t phase_seed = opt_.seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(growth_state_.phase + 1));
  loader_ = std::make_unique<DataLoader>(data_, growth_state_.batch, phase_seed, true, true);
}

void Trainer::set_net_growth() {
  const int64_t level = growth_state_.phase;
  for (nn::Module* m : {static_cast<nn::Module*>(G_.get()), static_cast<nn::Module*>(D_.get()),
                        static_cast<nn::Module*>(G_ema_.get())})
    if (m) as_growing(*m)->set_growth(level, growth_state_.alpha);
}

GrowthState Trainer::advance_growth() {
  const GrowthState ran = growth_state_;
  growth_state_ = growth_->at(images_seen_);
  if (GrowthSchedule::reset_between(ran, growth_state_)) {
    opt_G_->reset_state();  // new layers come in, or the fade-in ends: fresh moments
    opt_D_->reset_state();
  }
  if (growth_state_.phase != ran.phase) enter_phase();
  set_net_growth();
  return ran;
}

Tensor Trainer::grow_reals(const Tensor& real) const {
  const int64_t r = growth_state_.resolution, R = real.size(2);
  Tensor x = r < R ? avg_pool2d(real, {R / r, R / r}) : real;  // [B, C, r, r]
  if (growth_state_.fading && growth_state_.phase > 0) {
    const Tensor coarse = upsample_nearest2d(avg_pool2d(x, {2, 2}), {r, r});
    x = add(coarse, mul(sub(x, coarse), growth_state_.alpha));  // lerp(coarse, x, alpha), as G's output
  }
  return x;
}

Tensor Trainer::generate(const Tensor& z, const Tensor& labels) {
  if (style_ && opt_.style_mixing > 0) return style_->synthesis(mixed_ws(*style_, z, opt_.style_mixing, &rng_));
  return G_->generate(z, labels);
}

Tensor Trainer::draw_labels(int64_t n) {
  if (opt_.num_classes() == 0) return Tensor();
  return to_dev(randint(0, opt_.num_classes(), {n}, kInt64, &rng_));
}

namespace {
double mean_prob(const Tensor& logits) {
  NoGradGuard ng;
  return mean(sigmoid(logits)).item<double>();
}

}  // namespace

std::vector<std::string> Trainer::extra_columns() const {
  std::vector<std::string> c;
  if (style_ && opt_.pl_weight > 0) c.push_back("pl_penalty");
  if (ada_) c.push_back("ada_p");
  return c;
}

Tensor Trainer::augment(const Tensor& x) {
  if (ada_) return ada_->augment(x, &rng_);
  return diff_augment(x, opt_.augment, &rng_);
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
    Tensor real = to_dev(batch.images);  // [B, C, R, R] in [-1, 1]
    if (growth_) real = grow_reals(real);  // [B, C, r, r] at the phase's resolution
    const int64_t B = real.size(0);
    const Tensor real_y = opt_.num_classes() > 0 ? to_dev(batch.labels) : Tensor();  // [B] or undefined
    // Noise and labels are drawn on the CPU and copied: the same run on every device.
    Tensor z = to_dev(randn({B, opt_.latent}, {}, &rng_));
    fake_y = draw_labels(B);
    // Real targets ~ U(lo, hi) (label smoothing).
    Tensor t = to_dev(add(mul(rand({B}, {}, &rng_), opt_.real_label_max - opt_.real_label_min),
                          opt_.real_label_min));
    if (opt_.n_critic == 1) {
      fake = generate(z, fake_y);  // kept with its graph: the G step reuses it
    } else {
      NoGradGuard ng;  // the G step draws its own fake: no graph needed here
      fake = generate(z, fake_y);
    }
    Tensor d_real = D_->score(augment(real), real_y);
    Tensor d_fake = D_->score(augment(fake.detach()), fake_y);
    if (ada_ && ada_->observe(d_real)) st.ada_adjusted = true;
    Tensor d_loss = discriminator_loss(loss_, d_real, d_fake, t);
    if (opt_.drift > 0) d_loss = add(d_loss, mul(mean(mul(d_real, d_real)), opt_.drift));
    st.d_loss = finite_or_throw(d_loss, s, "discriminator");
    // Penalties: on the un-augmented images with DiffAugment (as its paper),
    // through the augmentation with ADA (D never sees a clean image there);
    // they are part of D's objective.
    st.penalty = 0;
    InputTransform through;
    if (ada_) through = [this](const Tensor& x) { return augment(x); };
    if (opt_.penalty == "gp" && opt_.gp_weight > 0) {
      Tensor gp = mul(gradient_penalty(*D_, real, fake.detach(), fake_y, &rng_, through), opt_.gp_weight);
      st.penalty = finite_or_throw(gp, s, "gradient-penalty");
      st.penalty_sum += st.penalty;
      ++st.penalty_n;
      d_loss = add(d_loss, gp);
    }
    // Lazy R1: every r1_every-th D step, scaled up by r1_every; part of this
    // step's loss, or (lazy_adam, as StyleGAN2) its own step after it.
    const bool r1_due = opt_.penalty == "r1" && opt_.r1_gamma > 0 &&
                        (step_ * opt_.n_critic + k) % opt_.r1_every == 0;
    auto r1_loss = [&]() {
      Tensor r1 = mul(r1_penalty(*D_, real, real_y, through), 0.5 * opt_.r1_gamma * opt_.r1_every);
      st.penalty = finite_or_throw(r1, s, "R1");
      st.penalty_sum += st.penalty;
      ++st.penalty_n;
      return r1;
    };
    if (r1_due && !opt_.lazy_adam) d_loss = add(d_loss, r1_loss());
    st.d_real = mean_prob(d_real);
    st.d_fake = mean_prob(d_fake);
    opt_D_->zero_grad();
    d_loss.backward();
    check_gradients(*D_, s, "discriminator");
    if (opt_.clip_grad_norm > 0) optim::clip_grad_norm_(D_->parameters(), opt_.clip_grad_norm);
    opt_D_->step();
    if (r1_due && opt_.lazy_adam) {
      const Tensor r1 = r1_loss();
      opt_D_->zero_grad();
      r1.backward();
      check_gradients(*D_, s, "discriminator (R1)");
      if (opt_.clip_grad_norm > 0) optim::clip_grad_norm_(D_->parameters(), opt_.clip_grad_norm);
      opt_D_->step();
    }
    images_seen_ += B;
  }
  {
    // G step: D frozen, so backward computes no weight gradients for it.
    nn::FreezeGuard frozen(*D_);
    if (opt_.n_critic > 1) {
      const int64_t B = loader_->batch_size();
      Tensor z = to_dev(randn({B, opt_.latent}, {}, &rng_));
      fake_y = draw_labels(B);
      fake = generate(z, fake_y);
    }
    Tensor g_loss = generator_loss(loss_, D_->score(augment(fake), fake_y));
    st.g_loss = finite_or_throw(g_loss, s, "generator");
    // Lazy path-length regularization (every pl_every-th G step, scaled up by
    // pl_every) on a smaller batch of fresh latents: part of this step's
    // loss, or (lazy_adam, as StyleGAN2) its own step after it.
    const bool pl_due = style_ && opt_.pl_weight > 0 && step_ % opt_.pl_every == 0;
    auto pl_loss = [&]() {
      const int64_t B = std::max<int64_t>(1, loader_->batch_size() / opt_.pl_batch_shrink);
      const Tensor z = to_dev(randn({B, opt_.latent}, {}, &rng_));
      const Tensor ws = opt_.style_mixing > 0 ? mixed_ws(*style_, z, opt_.style_mixing, &rng_) : style_->mapping(z);
      Tensor pl = mul(path_length_penalty(*style_, ws, &pl_mean_, opt_.pl_decay, &rng_),
                      opt_.pl_weight * opt_.pl_every);
      st.pl_penalty = finite_or_throw(pl, s, "path-length");
      st.has_pl_penalty = true;
      return pl;
    };
    if (pl_due && !opt_.lazy_adam) g_loss = add(g_loss, pl_loss());
    opt_G_->zero_grad();
    g_loss.backward();
    check_gradients(*G_, s, "generator");
    if (opt_.clip_grad_norm > 0) optim::clip_grad_norm_(G_->parameters(), opt_.clip_grad_norm);
    opt_G_->step();
    if (pl_due && opt_.lazy_adam) {
      const Tensor pl = pl_loss();
      opt_G_->zero_grad();
      pl.backward();
      check_gradients(*G_, s, "generator (path length)");
      if (opt_.clip_grad_norm > 0) optim::clip_grad_norm_(G_->parameters(), opt_.clip_grad_norm);
      opt_G_->step();
    }
  }
  if (ema_) {
    if (opt_.ema_rampup > 0)
      ema_->set_decay(optim::EMA::rampup_decay(opt_.ema_decay, opt_.ema_rampup, loader_->batch_size(),
                                               images_seen_));
    ema_->update(*G_);
  }
  step_ = s;
  st.resolution = G_->resolution();
  if (growth_) {
    const GrowthState ran = advance_growth();
    st.alpha = ran.fading ? ran.alpha : 1.0;
    st.phase_done = growth_state_.phase != ran.phase || (growth_state_.done && !ran.done);
  }
  return st;
}

void Trainer::log_metrics(const StepStats& s, double ips, const metrics::Report* ev) {
  MetricsRow r;
  r.step = s.step;
  r.epoch = s.epoch;
  r.d_loss = s.d_loss;
  r.g_loss = s.g_loss;
  r.d_real = s.d_real;
  r.d_fake = s.d_fake;
  r.lr_g = opt_G_->lr();
  r.lr_d = opt_D_->lr();
  r.images_per_s = ips;
  r.penalty = s.penalty;
  for (const auto& c : extra_columns()) r.extra.push_back(c == "pl_penalty" ? s.pl_penalty : ada_->p());
  if (ev) {
    r.has_eval = true;
    r.fid = ev->fid;
    r.kid = ev->kid;
    r.precision = ev->precision;
    r.recall = ev->recall;
    r.coverage = ev->coverage;
  }
  metrics_->write(r);
  if (tb_) {
    const double values[] = {r.d_loss, r.g_loss, r.d_real, r.d_fake, r.lr_g, r.lr_d,
                             r.images_per_s, r.penalty};
    const char* tags[] = {"loss/d", "loss/g", "d_output/real", "d_output/fake",
                          "lr/g", "lr/d", "speed/images_per_s", "loss/penalty"};
    for (int i = 0; i < 8; ++i) tb_->add_scalar(tags[i], values[i], r.step);
    const std::vector<std::string> extra = extra_columns();
    for (size_t i = 0; i < extra.size(); ++i)
      tb_->add_scalar(extra[i] == "pl_penalty" ? "loss/pl_penalty" : "augment/ada_p", r.extra[i], r.step);
    if (r.has_eval) {
      tb_->add_scalar("eval/fid_fmnist", r.fid, r.step);
      tb_->add_scalar("eval/kid", r.kid, r.step);
      tb_->add_scalar("eval/precision", r.precision, r.step);
      tb_->add_scalar("eval/recall", r.recall, r.step);
      tb_->add_scalar("eval/class_coverage", r.coverage, r.step);
    }
  }
}

void Trainer::run() {
  prepare_run_directory(opt_.out, opt_.to_toml(), /*samples_dir=*/false);
  if (opt_.resume && fs::exists(checkpoint_path())) {
    load_checkpoint(checkpoint_path());
    log(LogLevel::Info, format("resumed from %s at step %lld", checkpoint_path().c_str(),
                               static_cast<long long>(step_)));
  }
  // metrics.csv continues from this step: rows of later steps (from the run
  // that was interrupted, or an earlier run in this directory) go.
  metrics_ = std::make_unique<MetricsCsv>(opt_.out + "/metrics.csv",
                                          opt_.eval_every > 0 || (growth_ && opt_.eval_phases), extra_columns());
  metrics_->truncate_after(step_);
  if (opt_.tensorboard) tb_ = std::make_unique<EventWriter>(opt_.out + "/tb");
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto tw = t0;
  const int64_t first = step_;
  int64_t window_images = 0;
  double ips = 0;
  // The penalties a metrics row shows: the mean of those applied since the
  // previous row (lazy ones apply every k-th step, rarely on a logged one).
  double window_pen = 0, window_pl = 0;
  int64_t window_pen_n = 0, window_pl_n = 0;
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
      const double scale = lr_scale_ * opt_.rollback_lr_factor;
      const int64_t count = rollbacks_ + 1;
      load_checkpoint(checkpoint_path());  // restores the checkpoint's (older) count and scale
      lr_scale_ = scale;
      rollbacks_ = count;
      rebuild_schedules();
      metrics_->truncate_after(step_);
      window_pen = window_pl = 0;  // the rolled-back steps' penalties are not the next row's
      window_pen_n = window_pl_n = 0;
      log(LogLevel::Warn, format("%s; rolled back to step %lld (rollback %lld of %lld), learning rates x%g",
                   e.what(), static_cast<long long>(step_),
                   static_cast<long long>(rollbacks_), static_cast<long long>(opt_.max_rollbacks),
                   lr_scale_));
      continue;
    }
    window_images += loader_->batch_size() * (opt_.n_critic + 1);
    window_pen += st.penalty_sum;
    window_pen_n += st.penalty_n;
    if (st.has_pl_penalty) window_pl += st.pl_penalty, ++window_pl_n;
    // The last step: the planned length, or the wall-clock budget spent
    // (max_minutes, this invocation's time; evaluations inside count too).
    const bool time_up =
        opt_.max_minutes > 0 &&
        std::chrono::duration<double>(clock::now() - t0).count() >= opt_.max_minutes * 60.0;
    const bool last = step_ == total_steps_ || time_up;
    warn_lines(loss_trend_.update(step_, st.d_loss, st.g_loss));
    // Metrics every eval_every steps, and (growing models, eval_phases) at
    // the end of each phase: one evaluation, one metrics.csv row.
    const bool phase_eval = st.phase_done && opt_.eval_phases;
    const bool eval_now =
        (opt_.eval_every > 0 && (step_ % opt_.eval_every == 0 || last)) || phase_eval;
    metrics::Report ev;
    if (eval_now) {
      const auto e0 = clock::now();
      ev = evaluate();
      tw += clock::now() - e0;  // images/s counts training only
      warn_lines(metric_trend_.update(step_, ev.fid, ev.kid, ev.precision, ev.recall, ev.coverage));
      const std::string res = std::to_string(st.resolution);
      log(LogLevel::Info, format("[%s %lld] FID-FMNIST %.3f  KID %.5f  precision %.3f  recall %.3f  "
                                 "coverage %.3f",
                                 phase_eval ? ("phase " + res + "x" + res + " done at step").c_str() : "step",
                                 static_cast<long long>(step_), ev.fid, ev.kid, ev.precision, ev.recall,
                                 ev.coverage));
    }
    const bool log_now = st.step % opt_.log_every == 0 || last || eval_now;
    if (log_now) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - tw).count();
      ips = dt > 0 ? window_images / dt : 0;
      tw = now;
      window_images = 0;
      StepStats row = st;
      row.penalty = window_pen_n > 0 ? window_pen / static_cast<double>(window_pen_n) : 0.0;
      row.pl_penalty = window_pl_n > 0 ? window_pl / static_cast<double>(window_pl_n) : 0.0;
      window_pen = window_pl = 0;
      window_pen_n = window_pl_n = 0;
      log_metrics(row, ips, eval_now ? &ev : nullptr);
      {
        const double el = std::chrono::duration<double>(now - t0).count();
        const double per = el / static_cast<double>(step_ - first);
        const long long eta = static_cast<long long>(per * (total_steps_ - step_));
        log(LogLevel::Progress, format(
                     "[step %lld/%lld  epoch %lld%s  %5.1f%%]  D %.4f  G %.4f  D(x) %.3f  "
                     "D(G(z)) %.3f  %.0f img/s  %.1f ms/step  ETA %lldm%02llds",
                     static_cast<long long>(step_),
                     static_cast<long long>(total_steps_), static_cast<long long>(st.epoch),
                     growth_ ? format("  %lldx%lld alpha %.3f", static_cast<long long>(st.resolution),
                                      static_cast<long long>(st.resolution), st.alpha).c_str()
                             : "",
                     100.0 * step_ / total_steps_, st.d_loss, st.g_loss, st.d_real, st.d_fake,
                     ips, per * 1e3, eta / 60, eta % 60));
      }
    }
    if (opt_.sample_every > 0 && (step_ % opt_.sample_every == 0 || last))
      write_samples();
    if (st.phase_done) {  // a growth phase ended: its grid (and, above, its metrics)
      const std::string res = std::to_string(st.resolution);
      write_samples("phase_" + res + "x" + res + ".png");
      if (!phase_eval)
        log(LogLevel::Info, format("[phase %sx%s done at step %lld]", res.c_str(), res.c_str(),
                                   static_cast<long long>(step_)));
    }
    if (opt_.checkpoint_every > 0 &&
        (step_ % opt_.checkpoint_every == 0 || last))
      save_checkpoint(checkpoint_path());
    if (time_up && step_ < total_steps_) {
      log(LogLevel::Info, format("stopped at step %lld of %lld: the %g-minute budget (max_minutes) is spent",
                                 static_cast<long long>(step_), static_cast<long long>(total_steps_),
                                 opt_.max_minutes));
      return;
    }
  }
}

}  // namespace gan
}  // namespace gantry
