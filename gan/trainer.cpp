// gan/trainer.cpp — the adversarial training loop (see trainer.h).
#include "gan/trainer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/parallel.h"
#include "gan/data/image.h"
#include "nn/init.h"
#include "nn/safetensors.h"

namespace gantry {
namespace gan {

namespace fs = std::filesystem;

// ------------------------------------------------------------------ options
void TrainOptions::apply(const Config& c) {
  for (const std::string& k : c.keys()) {
    if (k == "model") model = c.get_string(k, model);
    else if (k == "data") data = c.get_string(k, data);
    else if (k == "data_dir") data_dir = c.get_string(k, data_dir);
    else if (k == "data_limit") data_limit = c.get_int(k, data_limit);
    else if (k == "epochs") epochs = c.get_int(k, epochs);
    else if (k == "steps") steps = c.get_int(k, steps);
    else if (k == "batch") batch = c.get_int(k, batch);
    else if (k == "seed") seed = static_cast<uint64_t>(c.get_int(k, static_cast<int64_t>(seed)));
    else if (k == "device") device = c.get_string(k, device);
    else if (k == "threads") threads = static_cast<int>(c.get_int(k, threads));
    else if (k == "out") out = c.get_string(k, out);
    else if (k == "resume") resume = c.get_bool(k, resume);
    else if (k == "loss") loss = c.get_string(k, loss);
    else if (k == "latent") latent = c.get_int(k, latent);
    else if (k == "n_critic") n_critic = c.get_int(k, n_critic);
    else if (k == "lr_g") lr_g = c.get_double(k, lr_g);
    else if (k == "lr_d") lr_d = c.get_double(k, lr_d);
    else if (k == "beta1") beta1 = c.get_double(k, beta1);
    else if (k == "beta2") beta2 = c.get_double(k, beta2);
    else if (k == "schedule") schedule = c.get_string(k, schedule);
    else if (k == "real_label_min") real_label_min = c.get_double(k, real_label_min);
    else if (k == "real_label_max") real_label_max = c.get_double(k, real_label_max);
    else if (k == "ema_decay") ema_decay = c.get_double(k, ema_decay);
    else if (k == "init") init = c.get_string(k, init);
    else if (k == "sample_every") sample_every = c.get_int(k, sample_every);
    else if (k == "checkpoint_every") checkpoint_every = c.get_int(k, checkpoint_every);
    else if (k == "log_every") log_every = c.get_int(k, log_every);
    else if (k == "grid_size") grid_size = c.get_int(k, grid_size);
    else if (k == "quiet") quiet = c.get_bool(k, quiet);
    else if (k == "on_divergence") on_divergence = c.get_string(k, on_divergence);
    else if (k == "rollback_lr_factor") rollback_lr_factor = c.get_double(k, rollback_lr_factor);
    else if (k == "max_rollbacks") max_rollbacks = c.get_int(k, max_rollbacks);
    else throw Error("config: unknown key '" + k + "'");
  }
  GANTRY_CHECK(model == "dcgan", "config: model '", model, "' is not available (have: dcgan)");
  GANTRY_CHECK(batch >= 2, "config: batch must be at least 2 (batch norm), got ", batch);
  GANTRY_CHECK(steps >= 0 && epochs >= 0 && (steps > 0 || epochs > 0),
               "config: set steps or epochs to a positive number");
  GANTRY_CHECK(n_critic >= 1, "config: n_critic must be >= 1, got ", n_critic);
  GANTRY_CHECK(lr_g > 0 && lr_d > 0, "config: learning rates must be positive");
  GANTRY_CHECK(ema_decay >= 0 && ema_decay < 1, "config: ema_decay must be in [0, 1)");
  GANTRY_CHECK(real_label_min <= real_label_max, "config: real_label_min > real_label_max");
  GANTRY_CHECK(init == "dcgan" || init == "default", "config: init must be dcgan or default");
  GANTRY_CHECK(latent >= 1, "config: latent must be positive");
  GANTRY_CHECK(device == "cpu" || device.rfind("cuda", 0) == 0, "config: unknown device '",
               device, "'");
  GANTRY_CHECK(on_divergence == "stop" || on_divergence == "rollback",
               "config: on_divergence must be stop or rollback, got '", on_divergence, "'");
  GANTRY_CHECK(rollback_lr_factor > 0 && rollback_lr_factor <= 1,
               "config: rollback_lr_factor must be in (0, 1]");
  parse_loss(loss);
}

std::string TrainOptions::to_toml() const {
  std::ostringstream os;
  os << std::boolalpha;
  os << "model = \"" << model << "\"\ndata = \"" << data << "\"\ndata_dir = \"" << data_dir
     << "\"\ndata_limit = " << data_limit << "\nepochs = " << epochs << "\nsteps = " << steps
     << "\nbatch = " << batch << "\nseed = " << seed << "\ndevice = \"" << device
     << "\"\nloss = \"" << loss << "\"\nlatent = " << latent << "\nn_critic = " << n_critic
     << "\nlr_g = " << lr_g << "\nlr_d = " << lr_d << "\nbeta1 = " << beta1
     << "\nbeta2 = " << beta2 << "\nschedule = \"" << schedule
     << "\"\nreal_label_min = " << real_label_min << "\nreal_label_max = " << real_label_max
     << "\nema_decay = " << ema_decay << "\ninit = \"" << init << "\"\non_divergence = \""
     << on_divergence << "\"\nrollback_lr_factor = " << rollback_lr_factor
     << "\nmax_rollbacks = " << max_rollbacks << "\n";
  return os.str();
}

// ------------------------------------------------------------------ trainer
Trainer::Trainer(TrainOptions o) : opt_(std::move(o)), loss_(parse_loss(opt_.loss)), rng_(opt_.seed) {
  GANTRY_CHECK(opt_.batch >= 2, "train: batch must be at least 2 (batch norm), got ", opt_.batch);
  GANTRY_CHECK(opt_.steps > 0 || opt_.epochs > 0, "train: set steps or epochs to a positive number");
  GANTRY_CHECK(opt_.n_critic >= 1, "train: n_critic must be >= 1, got ", opt_.n_critic);
  GANTRY_CHECK(opt_.device == "cpu", "train: device '", opt_.device,
               "' is not available yet (CUDA training arrives with the CUDA issues)");
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
  loader_ = std::make_unique<DataLoader>(data_, opt_.batch, opt_.seed, true, true);

  // Models (initialized from their own generator, so the data/noise stream
  // does not depend on the model's size).
  DCGANConfig mc;
  mc.latent = opt_.latent;
  mc.channels = data_.images.size(1);
  G_ = std::make_shared<DCGANGenerator>(mc);
  D_ = std::make_shared<DCGANDiscriminator>(mc);
  if (opt_.init == "dcgan") {
    Generator init_gen(opt_.seed ^ 0x1A2B3C4D5E6F7788ull);
    nn::init::dcgan_(*G_, &init_gen);
    nn::init::dcgan_(*D_, &init_gen);
  }
  optim::AdamOptions ag;
  ag.lr = opt_.lr_g;
  ag.beta1 = opt_.beta1;
  ag.beta2 = opt_.beta2;
  optim::AdamOptions ad = ag;
  ad.lr = opt_.lr_d;
  opt_G_ = std::make_unique<optim::Adam>(G_->parameters(), ag);
  opt_D_ = std::make_unique<optim::Adam>(D_->parameters(), ad);
  if (opt_.ema_decay > 0) {
    G_ema_ = std::make_shared<DCGANGenerator>(mc);
    ema_ = std::make_unique<optim::EMA>(*G_, opt_.ema_decay);
    G_ema_->requires_grad_(false);
  }
  total_steps_ = opt_.steps > 0
                     ? opt_.steps
                     : std::max<int64_t>(1, opt_.epochs * loader_->batches_per_epoch() / opt_.n_critic);
  rebuild_schedules();

  Generator noise_gen(opt_.seed ^ 0x0F1E2D3C4B5A6978ull);  // fixed noise: its own stream
  fixed_noise_ = randn({opt_.grid_size, opt_.latent}, {}, &noise_gen);
}

Trainer::~Trainer() {
  if (metrics_) std::fclose(metrics_);
}

std::string Trainer::checkpoint_path() const { return opt_.out + "/checkpoint.safetensors"; }

namespace {
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
  for (const auto& kv : m.named_parameters()) {
    const Tensor g = kv.second.grad();
    if (!g.defined()) continue;
    const double s = sum(g).item<double>();  // NaN and +-inf survive the sum
    if (!std::isfinite(s))
      throw DivergenceError(str("train: step ", step, ": the ", net, " gradient of '", kv.first,
                                "' is not finite; stopping before the update"));
  }
}

DCGANGenerator& Trainer::sampler() {
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

StepStats Trainer::train_step() {
  const int64_t s = step_ + 1;
  opt_G_->set_lr(sched_G_->lr_at(step_));
  opt_D_->set_lr(sched_D_->lr_at(step_));
  G_->train();
  D_->train();
  StepStats st;
  st.step = s;
  Tensor fake;
  for (int64_t k = 0; k < opt_.n_critic; ++k) {
    auto batch = loader_->next();
    st.epoch = batch.epoch;
    const Tensor& real = batch.images;  // [B, C, 28, 28] in [-1, 1]
    const int64_t B = real.size(0);
    Tensor z = randn({B, opt_.latent}, {}, &rng_);
    // Real targets ~ U(lo, hi) (label smoothing).
    Tensor t = add(mul(rand({B}, {}, &rng_), opt_.real_label_max - opt_.real_label_min),
                   opt_.real_label_min);
    fake = G_->forward(z);  // kept with its graph for the G step when n_critic == 1
    Tensor d_real = D_->forward(real);
    Tensor d_fake = D_->forward(fake.detach());
    Tensor d_loss = discriminator_loss(loss_, d_real, d_fake, t);
    st.d_loss = finite_or_throw(d_loss, s, "discriminator");
    st.d_real = mean_prob(d_real);
    st.d_fake = mean_prob(d_fake);
    opt_D_->zero_grad();
    d_loss.backward();
    check_gradients(*D_, s, "discriminator");
    opt_D_->step();
  }
  // G step: D frozen, so backward computes no weight gradients for it.
  D_->requires_grad_(false);
  if (opt_.n_critic > 1) fake = G_->forward(randn({opt_.batch, opt_.latent}, {}, &rng_));
  Tensor g_loss = generator_loss(loss_, D_->forward(fake));
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
  DCGANGenerator& g = const_cast<Trainer*>(this)->sampler();
  const bool was_training = g.is_training();
  g.eval();
  Tensor imgs = g.forward(fixed_noise_);
  if (was_training) g.train();
  fs::create_directories(opt_.out + "/samples");
  char name[64];
  std::snprintf(name, sizeof name, "/samples/step_%06lld.png", static_cast<long long>(step_));
  save_png_grid(opt_.out + name, imgs, 8, 2);
}

void Trainer::log_metrics(const StepStats& s, double ips) {
  if (!metrics_) {
    const std::string path = opt_.out + "/metrics.csv";
    const bool fresh = !fs::exists(path);
    metrics_ = std::fopen(path.c_str(), "a");
    GANTRY_CHECK(metrics_ != nullptr, "train: cannot open ", path, " for writing");
    if (fresh) std::fprintf(metrics_, "step,epoch,d_loss,g_loss,d_real,d_fake,lr_g,lr_d,images_per_s\n");
  }
  std::fprintf(metrics_, "%lld,%lld,%.6f,%.6f,%.5f,%.5f,%.6g,%.6g,%.1f\n",
               static_cast<long long>(s.step), static_cast<long long>(s.epoch), s.d_loss,
               s.g_loss, s.d_real, s.d_fake, opt_G_->lr(), opt_D_->lr(), ips);
  std::fflush(metrics_);
}

void Trainer::run() {
  std::error_code ec;
  fs::create_directories(opt_.out, ec);
  GANTRY_CHECK(!ec && fs::is_directory(opt_.out), "train: cannot create the output directory '",
               opt_.out, "': ", ec ? ec.message() : std::string("a file stands in its place"));
  if (opt_.resume && fs::exists(checkpoint_path())) {
    load_checkpoint(checkpoint_path());
    if (!opt_.quiet)
      std::fprintf(stderr, "resumed from %s at step %lld\n", checkpoint_path().c_str(),
                   static_cast<long long>(step_));
  }
  const bool tty = isatty(fileno(stderr));
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  auto tw = t0;
  const int64_t first = step_;
  int64_t window_images = 0;
  double ips = 0;
  while (step_ < total_steps_) {
    if (stop_requested()) {
      save_checkpoint(checkpoint_path());
      if (!opt_.quiet)
        std::fprintf(stderr, "%sstopped on request at step %lld; checkpoint written to %s\n",
                     tty ? "\n" : "", static_cast<long long>(step_), checkpoint_path().c_str());
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
      std::fprintf(stderr, "%s%s\nrolled back to step %lld (rollback %lld of %lld), learning rates x%g\n",
                   tty ? "\n" : "", e.what(), static_cast<long long>(step_),
                   static_cast<long long>(rollbacks_), static_cast<long long>(opt_.max_rollbacks),
                   lr_scale_);
      (void)failed;
      continue;
    }
    window_images += opt_.batch * (opt_.n_critic + 1);
    const bool log_now = st.step % opt_.log_every == 0 || step_ == total_steps_;
    if (log_now) {
      const auto now = clock::now();
      const double dt = std::chrono::duration<double>(now - tw).count();
      ips = dt > 0 ? window_images / dt : 0;
      tw = now;
      window_images = 0;
      log_metrics(st, ips);
      if (!opt_.quiet) {
        const double el = std::chrono::duration<double>(now - t0).count();
        const double per = el / static_cast<double>(step_ - first);
        const long long eta = static_cast<long long>(per * (total_steps_ - step_));
        std::fprintf(stderr,
                     "%s[step %lld/%lld  epoch %lld  %5.1f%%]  D %.4f  G %.4f  D(x) %.3f  "
                     "D(G(z)) %.3f  %.0f img/s  %.1f ms/step  ETA %lldm%02llds%s",
                     tty ? "\r" : "", static_cast<long long>(step_),
                     static_cast<long long>(total_steps_), static_cast<long long>(st.epoch),
                     100.0 * step_ / total_steps_, st.d_loss, st.g_loss, st.d_real, st.d_fake,
                     ips, per * 1e3, eta / 60, eta % 60, tty ? "  " : "\n");
      }
    }
    if (opt_.sample_every > 0 && (step_ % opt_.sample_every == 0 || step_ == total_steps_))
      write_samples();
    if (opt_.checkpoint_every > 0 &&
        (step_ % opt_.checkpoint_every == 0 || step_ == total_steps_))
      save_checkpoint(checkpoint_path());
  }
  if (!opt_.quiet && tty) std::fprintf(stderr, "\n");
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
  m["default_rng_seed"] = std::to_string(default_generator().seed());
  m["default_rng_offset"] = std::to_string(default_generator().offset());
  m["loader_epoch"] = std::to_string(loader_->epoch());
  m["loader_position"] = std::to_string(loader_->position());
  m["latent"] = std::to_string(opt_.latent);
  m["channels"] = std::to_string(G_->config.channels);
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
  default_generator().manual_seed(std::stoull(meta(m, "default_rng_seed", path)));
  default_generator().set_offset(std::stoull(meta(m, "default_rng_offset", path)));
  loader_->seek(std::stoll(meta(m, "loader_epoch", path)),
                std::stoll(meta(m, "loader_position", path)));
}

}  // namespace gan
}  // namespace gantry
