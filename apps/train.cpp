// apps/train.cpp — `gantry train`: a GAN on Fashion-MNIST (or an image
// folder) from a TOML config plus command-line overrides.
//
//   gantry train [--config FILE.toml] [--model dcgan|wgan-gp|r1|sngan|cdcgan]
//                [--data fashion-mnist|PATH] [--data-dir IDX_DIR] [--epochs E | --steps N] [--batch 64]
//                [--seed S] [--device cpu|cuda[:N]] [--threads T] [--out DIR] [--resume]
//                [--ema DECAY] [--penalty none|gp|r1] [--augment POLICY]
//                [--eval-every K] [--eval-n N] [--quiet]
// --model NAME alone selects that model's published objective (see
// TrainOptions::set_model_defaults); a config file or later flags override it.
// Writes DIR/checkpoint.safetensors, DIR/samples/step_*.png, DIR/metrics.csv.
#include <csignal>
#include <cstdio>

#include "apps/cli.h"
#include "gan/trainer.h"

namespace gantry {
namespace cli {

namespace {
volatile std::sig_atomic_t g_signal = 0;
// SIGINT/SIGTERM: finish the current step, write a checkpoint, exit.
extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
  gan::Trainer::request_stop();
}
}  // namespace

int run_train(int argc, char** argv) {
  Flags f(argc, argv, 2,
          {"config", "model", "data", "data-dir", "epochs", "steps", "batch", "seed", "device", "threads",
           "out", "ema", "data-limit", "sample-every", "checkpoint-every", "loss", "n-critic",
           "lr-g", "lr-d", "log-every", "on-divergence", "penalty", "gp-weight", "r1-gamma",
           "r1-every", "augment", "eval-every", "eval-n", "classifier"},
          {"resume", "quiet"});
  gan::Config cfg = f.has("config") ? gan::Config::load(f.str("config"))
                                    : gan::Config::parse("", "(defaults)");
  // Command-line flags override the file; --epochs alone means "train by epochs".
  for (const auto& kv : f.ordered()) {
    std::string key = kv.first;
    if (key == "config") continue;
    for (auto& ch : key)
      if (ch == '-') ch = '_';
    if (key == "ema") key = "ema_decay";
    if (key == "epochs" && !f.has("steps")) cfg.set("steps", "0");
    if (key == "steps" && !f.has("epochs")) cfg.set("epochs", "0");
    // Validate numbers here so the message names the flag.
    if (key == "epochs" || key == "steps" || key == "batch" || key == "seed" ||
        key == "threads" || key == "data_limit" || key == "sample_every" ||
        key == "checkpoint_every" || key == "n_critic" || key == "log_every" ||
        key == "r1_every" || key == "eval_every" || key == "eval_n")
      f.integer(kv.first, 0);
    if (key == "ema_decay" || key == "lr_g" || key == "lr_d" || key == "gp_weight" ||
        key == "r1_gamma")
      f.number(kv.first, 0);
    cfg.set(key, key == "resume" || key == "quiet" ? "true" : kv.second);
  }
  gan::TrainOptions opt;
  opt.apply(cfg);
  gan::Trainer trainer(opt);
  std::fprintf(stderr, "gantry train: %s on %s, %lld steps of batch %lld, seed %llu, device %s, out %s\n",
               opt.model.c_str(), opt.data.c_str(), static_cast<long long>(trainer.total_steps()),
               static_cast<long long>(opt.batch), static_cast<unsigned long long>(opt.seed),
               opt.device.c_str(), opt.out.c_str());
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  trainer.run();
  if (g_signal) {
    std::fprintf(stderr, "gantry train: stopped by signal %d at step %lld; resume with --resume\n",
                 static_cast<int>(g_signal), static_cast<long long>(trainer.step()));
    return 128 + static_cast<int>(g_signal);
  }
  std::fprintf(stderr, "gantry train: done: %s, %s/samples/, %s/metrics.csv\n",
               trainer.checkpoint_path().c_str(), opt.out.c_str(), opt.out.c_str());
  return 0;
}

}  // namespace cli
}  // namespace gantry
