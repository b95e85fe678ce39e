// apps/train.cpp — `gantry train`: a GAN on Fashion-MNIST (or an image
// folder) from a TOML config plus command-line flags.
//
//   gantry train [--config FILE.toml] [--model dcgan|wgan-gp|r1|sngan|cdcgan|progan|stylegan2|sagan] [--steps N] ...
//   gantry train --model esrgan|realesrgan --data PHOTO_DIR --channels 3 ...   super-resolution (gan/sr_trainer.h)
//   gantry train --help          every flag, from the option table (gan/options.h)
//
// Every option of gan/options.h is a flag (--lr-g for lr_g; --ema for
// ema_decay). Flags override the config file; --model NAME alone selects that
// model's published objective (TrainOptions::set_model_defaults). A flag with
// a bad value is a usage error (exit 2) naming the flag; a bad config is an
// error (exit 1) naming file:line:column and the key.
// Writes DIR/checkpoint.safetensors, DIR/samples/step_*.png, DIR/metrics.csv,
// DIR/config.toml (every option of the run) and DIR/train.log (the messages).
// This file owns the console: it is the trainer's log sink.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>

#include "apps/cli.h"
#include "gan/models/sr/sr.h"
#include "gan/models/translation/translation.h"
#include "gan/sr_trainer.h"
#include "gan/run_log.h"
#include "gan/trainer.h"
#include "gan/translation_trainer.h"
#include "nn/safetensors.h"

namespace gantry {
namespace cli {

namespace {
volatile std::sig_atomic_t g_signal = 0;
// SIGINT/SIGTERM: finish the current step, write a checkpoint, exit.
extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
  gan::Trainer::request_stop();
}

// The console and OUT/train.log. Progress lines overwrite each other on a
// terminal; --quiet silences progress and info, never warnings.
class ConsoleLog {
 public:
  ConsoleLog(std::string log_path, bool quiet)
      : path_(std::move(log_path)), quiet_(quiet), tty_(isatty(fileno(stderr))) {}
  ~ConsoleLog() {
    if (open_line_) std::fputc('\n', stderr);
    if (file_) std::fclose(file_);
  }
  void operator()(gan::LogLevel level, const std::string& msg) {
    if (!file_ && !file_failed_) {
      file_ = std::fopen(path_.c_str(), "a");
      file_failed_ = file_ == nullptr;
    }
    if (file_) {
      std::fprintf(file_, "%s%s\n", level == gan::LogLevel::Warn ? "warning: " : "", msg.c_str());
      std::fflush(file_);
    }
    if (quiet_ && level != gan::LogLevel::Warn) return;
    if (level == gan::LogLevel::Progress && tty_) {
      std::fprintf(stderr, "\r%s  ", msg.c_str());
      open_line_ = true;
      return;
    }
    if (open_line_) std::fputc('\n', stderr);
    open_line_ = false;
    std::fprintf(stderr, "%s%s\n", level == gan::LogLevel::Warn ? "warning: " : "", msg.c_str());
  }

 private:
  std::string path_;
  bool quiet_, tty_;
  bool open_line_ = false, file_failed_ = false;
  FILE* file_ = nullptr;
};

// Runs any trainer (gan::Trainer, gan::SRTrainer, gan::TranslationTrainer) with the console as
// its log and SIGINT/SIGTERM as "checkpoint and stop".
template <class T>
int run_trainer(T& trainer, const gan::TrainOptions& opt, const std::string& plan) {
  ConsoleLog log(opt.out + "/train.log", opt.quiet);
  trainer.set_log_sink([&log](gan::LogLevel l, const std::string& m) { log(l, m); });
  std::fprintf(stderr, "gantry train: %s on %s, %s, seed %lld, device %s, out %s\n", opt.model.c_str(),
               opt.data.c_str(), plan.c_str(), static_cast<long long>(opt.seed), opt.device.c_str(), opt.out.c_str());
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
  std::fprintf(stderr, "gantry train: done: %s, %s/samples/, %s/metrics.csv\n", trainer.checkpoint_path().c_str(),
               opt.out.c_str(), opt.out.c_str());
  return 0;
}

std::string default_text(const gan::OptionSpec& o) {
  std::string d = o.default_text;
  if (d.size() >= 2 && d.front() == '"') d = d.substr(1, d.size() - 2);
  return d;
}
}  // namespace

int run_train(int argc, char** argv) {
  // The flags: --config, then one per row of the option table.
  std::vector<FlagSpec> specs = {{"config", "FILE.toml", "read options from a TOML file (flags override it)"}};
  for (const gan::OptionSpec& o : gan::option_table()) {
    std::string help = o.help;
    if (o.type != gan::OptionSpec::Type::Bool) help += " [default " + default_text(o) + "]";
    using T = gan::OptionSpec::Type;
    std::string value = o.value_type() == T::Int     ? "INT"
                        : o.value_type() == T::Float ? "NUMBER"
                        : o.value_type() == T::Floats ? "[X, ...]"
                                                      : "TEXT";
    if (o.is_table()) value = "KEY=" + value + ",...";
    const std::string check = o.check;
    if (!check.empty())
      value += (check[0] == '[' || check[0] == '(' ? " in " : " ") + check +
               (o.is_table() ? " each" : "");
    if (o.type == gan::OptionSpec::Type::Bool) value = "";
    specs.push_back({o.flag, value, help, o.group});
  }
  Flags f(argc, argv, 2, "gantry train",
          "Train a GAN. Every flag is also a config key (gan/options.h; --lr-g is lr_g).", specs);

  gan::Config cfg = f.has("config") ? gan::Config::load(f.str("config"))
                                    : gan::Config::parse("", "(defaults)");
  // Flags override the file; --epochs alone means "train by epochs".
  for (const auto& kv : f.ordered()) {
    if (kv.first == "config") continue;
    const gan::OptionSpec* o = nullptr;
    for (const gan::OptionSpec& s : gan::option_table())
      if (kv.first == s.flag) o = &s;
    if (!o) throw UsageError{"unknown flag --" + kv.first};
    const std::string key = o->key;
    if (o->is_table()) {  // --lr-milestones 5000=0.5,8000=0.1: one key per entry
      try {
        for (auto& e : gan::parse_option_entries(*o, kv.second, "--" + kv.first))
          cfg.set_value(key + "." + e.first, e.second);
      } catch (const Error& e) {
        throw UsageError{e.what()};
      }
      continue;
    }
    gan::Config::Value v;
    try {
      v = gan::parse_option_text(*o, kv.second, "--" + kv.first);
    } catch (const Error& e) {
      throw UsageError{e.what()};
    }
    if (key == "epochs" && !f.has("steps")) cfg.set("steps", "0", "--epochs");
    if (key == "steps" && !f.has("epochs")) cfg.set("epochs", "0", "--steps");
    cfg.set_value(key, v);
  }
  gan::TrainOptions opt;
  opt.apply(cfg);
  if (gan::is_sr_model(opt.model)) {
    gan::SRTrainer trainer(opt);
    return run_trainer(trainer, opt,
                       gan::format("%lld steps (stage 1: %lld) of batch %lld, x%lld", static_cast<long long>(opt.steps),
                                   static_cast<long long>(opt.stage1_steps), static_cast<long long>(opt.batch),
                                   static_cast<long long>(opt.scale)));
  }
  if (gan::is_translation_model(opt.model)) {
    gan::TranslationTrainer trainer(opt);
    return run_trainer(trainer, opt,
                       gan::format("%s, %lld steps of batch %lld", trainer.data().describe.c_str(),
                                   static_cast<long long>(opt.steps), static_cast<long long>(opt.batch)));
  }
  gan::Trainer trainer(opt);
  return run_trainer(trainer, opt,
                     gan::format("%lld steps of batch %lld", static_cast<long long>(trainer.total_steps()),
                                 static_cast<long long>(opt.batch)));
}

}  // namespace cli
}  // namespace gantry
