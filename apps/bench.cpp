// apps/bench.cpp — `gantry bench`: one command that checks the speed claim.
//
//   gantry bench [--device cpu|cuda[:N]] [--threads T] [--steps N] [--rounds R] [--batch B] [--profile]
//                [--gemm auto|eigen] [--force OP=ALGO[,OP=ALGO...]] [--cpu-cache-mb MB] [--no-sr] [--sr-steps N]
//                [--no-translation] [--translation-steps N]
//
// The last three switch Gantry's own optimizations off for an ablation:
// --gemm eigen uses Eigen instead of the packed AVX-512 GEMM (and so the
// explicit im2col matrix), --force picks a registry algorithm (e.g.
// conv2d=per_sample), --cpu-cache-mb 0 turns off the CPU allocator's cache.
//
// Times the DCGAN training iteration (bench/dcgan_step.h: D step + G step with
// D frozen, Adam, batch 64) in this process, and the same iteration in
// LibTorch by running the twin program `bench_libtorch` in a separate process
// (the two share the OpenMP runtime, so never in one process). The two
// alternate, A B A B, `rounds` times; each side warms up, then reports the
// median ms per iteration of its `steps` iterations. Printed: gantry_ms,
// libtorch_ms (the cpp/dcgan example as written), libtorch_frozen_ms (D frozen
// in the G step, as Gantry does) and ratio = gantry_ms / libtorch_ms — the
// medians over rounds. LibTorch's columns are absent when the twin was not
// built (no libtorch-dev). --profile adds a per-op table of Gantry's kernels.
// Then the SR row (--no-sr skips it): configs/esrgan.toml's RRDBNet
// upscaling one 256x256 RGB image x4 (bench/sr_shapes.h), forward only,
// against bench_libtorch's twin of the same net, rounds alternating:
// sr_gantry_ms, sr_libtorch_ms, sr_ratio.
// Then the translation rows (--no-translation skips them; CPU only): one
// training step of configs/pix2pix.toml's and configs/cyclegan.toml's models
// (bench/translation_shapes.h) through TranslationTrainer::train_step on
// random images, against bench_libtorch's twins: pix2pix_gantry_ms,
// pix2pix_libtorch_ms, pix2pix_ratio, and the same for cyclegan (with
// --profile, each row's per-op table too).
// --device cuda times the same iteration on the GPU (each iteration ends with
// a device synchronization) and prints the convolution algorithms the timed
// choice settled on; the LibTorch twin is CPU-only, so on cuda the comparison
// is bench/dcgan_torch.py (PyTorch, same iteration), run by scripts/gpu-check.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "apps/cli.h"
#include "bench/dcgan_step.h"
#include "bench/sr_shapes.h"
#include "bench/translation_shapes.h"
#include "gan/models/sr/sr.h"
#include "gan/run_log.h"
#include "gan/translation_trainer.h"
#include "core/storage.h"
#include "kernels/cpu/gemm.h"
#include "core/parallel.h"
#include "kernels/registry.h"

namespace gantry {
namespace cli {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median ms per iteration over `steps` timed iterations after `warmup`.
double time_gantry(bench::DCGANStep& step, int64_t warmup, int64_t steps) {
  for (int64_t i = 0; i < warmup; ++i) step.run();
  step.sync();
  std::vector<double> ms;
  for (int64_t i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step.run();
    step.sync();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return median(ms);
}

std::string libtorch_twin() {
  if (const char* env = std::getenv("GANTRY_BENCH_LIBTORCH")) return env;
#ifdef GANTRY_BENCH_LIBTORCH
  return GANTRY_BENCH_LIBTORCH;
#else
  return "";
#endif
}

// Runs the twin; it prints "libtorch_ms X" and "libtorch_frozen_ms Y".
bool time_libtorch(const std::string& exe, int threads, int64_t batch, int64_t warmup,
                   int64_t steps, double* plain, double* frozen) {
  const std::string cmd = "'" + exe + "' --gantry-bench " + std::to_string(threads) + " " +
                          std::to_string(batch) + " " + std::to_string(warmup) + " " +
                          std::to_string(steps);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return false;
  char line[256];
  bool got_plain = false, got_frozen = false;
  while (std::fgets(line, sizeof line, p)) {
    if (std::sscanf(line, "libtorch_ms %lf", plain) == 1) got_plain = true;
    if (std::sscanf(line, "libtorch_frozen_ms %lf", frozen) == 1) got_frozen = true;
  }
  const int rc = pclose(p);
  return rc == 0 && got_plain && got_frozen;
}

// One row of the twin (bench_libtorch MODE ARGS...), which prints "KEY X":
// X in *ms. False when it fails or does not print it.
bool run_twin_row(const std::string& exe, const std::string& args, const std::string& key, double* ms) {
  FILE* p = popen(("'" + exe + "' " + args).c_str(), "r");
  if (!p) return false;
  char line[256];
  bool got = false;
  const std::string fmt = key + " %lf";
  while (std::fgets(line, sizeof line, p))
    if (std::sscanf(line, fmt.c_str(), ms) == 1) got = true;
  return pclose(p) == 0 && got;
}

// Median ms of `steps` forwards of the SR net on x (after `warmup`).
double time_gantry_sr(nn::Module& net, const Tensor& x, int64_t warmup, int64_t steps) {
  NoGradGuard ng;
  auto once = [&] { return sum(net.forward(x)).item<double>(); };  // the read-back waits for a device
  for (int64_t i = 0; i < warmup; ++i) once();
  std::vector<double> ms;
  for (int64_t i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    once();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return median(ms);
}

// The trainer of a translation row, on random images of bench/translation_shapes.h's size.
std::unique_ptr<gan::TranslationTrainer> translation_bench_trainer(const std::string& model) {
  using namespace bench;
  gan::TrainOptions o;
  o.set_model_defaults(model);
  o.quiet = true;
  o.steps = 1000000;
  o.data = "(random images)";
  const bool cyc = model == "cyclegan";
  o.batch = cyc ? kCycBatch : kP2PBatch;
  o.g_width = cyc ? kCycWidth : kP2PWidth;
  o.g_depth = kP2PDepth;
  o.g_blocks = kCycBlocks;
  o.d_width = cyc ? kCycDWidth : kP2PDWidth;
  o.d_layers = cyc ? kCycDLayers : kP2PDLayers;
  o.pool_size = kCycPool;
  manual_seed(0);
  gan::TranslationData d;
  for (gan::ImageDataset* s : {&d.train_a, &d.train_b, &d.test_a, &d.test_b})
    s->images = tanh(randn({4 * o.batch, 1, kTransSize, kTransSize}));
  return std::make_unique<gan::TranslationTrainer>(o, d);
}

// Median ms of `steps` training steps (after `warmup`).
double time_gantry_translation(gan::TranslationTrainer& t, int64_t warmup, int64_t steps) {
  for (int64_t i = 0; i < warmup; ++i) t.train_step();
  std::vector<double> ms;
  for (int64_t i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    t.train_step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return median(ms);
}

}  // namespace

int run_bench(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry bench", "Time DCGAN training iterations, Gantry against LibTorch's twin.",
          {{"device", "cpu|cuda[:N]", "where to run (default cpu)"},
           {"threads", "T", "CPU threads (default all)"},
           {"steps", "N", "iterations per round (default 20)"},
           {"rounds", "R", "rounds (default 3)"},
           {"batch", "B", "batch size (default 64)"},
           {"warmup", "W", "untimed iterations first (default 3)"},
           {"gemm", "auto|eigen", "GEMM backend (default auto)"},
           {"force", "OP=ALGO,...", "force kernel algorithms"},
           {"cpu-cache-mb", "MB", "CPU allocator cache size"},
           {"profile", "", "print every kernel's time"},
           {"no-libtorch", "", "skip the LibTorch twin"},
           {"sr-steps", "N", "SR row: forwards per round (default 3)"},
           {"no-sr", "", "skip the SR row (ESRGAN's RRDBNet upscaling 256x256 x4)"},
           {"translation-steps", "N", "translation rows: training steps per round (default 5)"},
           {"no-translation", "", "skip the translation rows (pix2pix and CycleGAN training steps)"}});
  const std::string gemm = f.str("gemm", "auto");
  if (gemm != "auto" && gemm != "eigen") throw UsageError{"--gemm must be auto or eigen"};
  kernels::set_gemm_backend(gemm == "eigen" ? kernels::GemmBackend::Eigen : kernels::GemmBackend::Auto);
  if (f.has("cpu-cache-mb")) {
    const long long mb = f.integer("cpu-cache-mb", 1024);
    if (mb < 0) throw UsageError{"--cpu-cache-mb must be >= 0"};
    set_cpu_cache_limit(static_cast<size_t>(mb) << 20);
  }
  std::string forced = f.str("force", "");
  while (!forced.empty()) {
    const size_t comma = forced.find(',');
    const std::string item = forced.substr(0, comma);
    forced = comma == std::string::npos ? "" : forced.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw UsageError{"--force wants OP=ALGO[,OP=ALGO...], got '" + item + "'"};
    const std::string name = item.substr(0, eq), algo = item.substr(eq + 1);
    if (!kernels::is_op(name)) throw UsageError{"--force: no op named '" + name + "'"};
    const kernels::OpId op = kernels::op_id(name);
    bool known = false;
    for (DeviceType d : {DeviceType::CPU, DeviceType::CUDA})
      for (const auto& a : kernels::Registry::instance().algorithms(op, d, kFloat32))
        known = known || a.name == algo;
    if (!known) throw UsageError{"--force: no float32 algorithm '" + algo + "' for op '" + name + "'"};
    kernels::Registry::instance().force_algorithm(op, algo);
  }
  const std::string device = f.str("device", "cpu");
  Device dev;
  try {
    dev = Device(device);
  } catch (const Error& e) {
    throw UsageError{std::string("--device: ") + e.what()};
  }
  if (dev.is_cuda()) (void)empty({1}, Options().device(dev));  // says why cuda is unusable
  const long long threads = f.integer("threads", get_num_threads());
  const long long steps = f.integer("steps", 20), rounds = f.integer("rounds", 3);
  const long long batch = f.integer("batch", 64), warmup = f.integer("warmup", 3);
  if (threads < 1) throw UsageError{"--threads must be >= 1"};
  if (steps < 1 || rounds < 1 || batch < 1 || warmup < 0)
    throw UsageError{"--steps, --rounds and --batch must be >= 1, --warmup >= 0"};
  const long long sr_steps = f.integer("sr-steps", 3);
  if (sr_steps < 1) throw UsageError{"--sr-steps must be >= 1"};
  const long long tr_steps = f.integer("translation-steps", 5);
  if (tr_steps < 1) throw UsageError{"--translation-steps must be >= 1"};
  set_num_threads(static_cast<int>(threads));

  const std::string twin = f.has("no-libtorch") || dev.is_cuda() ? "" : libtorch_twin();
  std::printf("gantry bench: DCGAN iteration (D step + G step, Adam), batch %lld, device %s, "
              "threads %lld, %lld steps x %lld rounds (median), gemm %s%s%s\n",
              batch, dev.str().c_str(), threads, steps, rounds, gemm.c_str(),
              f.has("force") ? ", force " : "", f.str("force", "").c_str());
  if (dev.is_cuda())
    std::printf("libtorch twin: CPU-only here; on cuda compare with bench/dcgan_torch.py\n");
  else if (twin.empty())
    std::printf("libtorch twin: not built (install libtorch-dev and rebuild)\n");

  bench::DCGANStep step(batch, 0, dev);
  std::vector<double> g, t, tf;
  for (long long r = 0; r < rounds; ++r) {
    g.push_back(time_gantry(step, r == 0 ? warmup : 1, steps));
    std::printf("  round %lld: gantry %.1f ms", r + 1, g.back());
    if (!twin.empty()) {
      double a = 0, b = 0;
      if (!time_libtorch(twin, static_cast<int>(threads), batch, warmup, steps, &a, &b))
        throw Error("gantry bench: the LibTorch twin '" + twin + "' failed");
      t.push_back(a);
      tf.push_back(b);
      std::printf(", libtorch %.1f ms, libtorch (D frozen) %.1f ms", a, b);
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::printf("gantry_ms %.1f\n", median(g));
  if (!t.empty()) {
    std::printf("libtorch_ms %.1f\n", median(t));
    std::printf("libtorch_frozen_ms %.1f\n", median(tf));
    std::printf("ratio %.3f\n", median(g) / median(t));
  }
  if (!f.has("no-sr")) {
    // The SR row: configs/esrgan.toml's generator on one 256x256 image, x4,
    // inference (bench/sr_shapes.h), against LibTorch's twin of the net.
    using namespace bench;
    manual_seed(0);
    gan::RRDBNet net(kSRChannels, kSRScale, kSRFeatures, kSRBlocks, kSRGrowth, kSRBilinearSkip);
    net.eval();
    net.to(dev);
    const Tensor x = sub(mul(rand({1, kSRChannels, kSRSize, kSRSize}), 2.0), 1.0).to(dev);  // [1, 3, 256, 256]
    std::printf("SR row: RRDBNet (%lld features, %lld blocks, growth %lld, bilinear skip) upscaling 1x%lldx%lldx%lld x%lld, "
                "forward, %lld per round (median)\n",
                static_cast<long long>(kSRFeatures), static_cast<long long>(kSRBlocks),
                static_cast<long long>(kSRGrowth), static_cast<long long>(kSRChannels),
                static_cast<long long>(kSRSize), static_cast<long long>(kSRSize), static_cast<long long>(kSRScale),
                sr_steps);
    std::vector<double> sg, st;
    for (long long r = 0; r < rounds; ++r) {
      sg.push_back(time_gantry_sr(net, x, r == 0 ? 1 : 0, sr_steps));
      std::printf("  sr round %lld: gantry %.1f ms", r + 1, sg.back());
      if (!twin.empty()) {
        double a = 0;
        if (!run_twin_row(twin, "--gantry-sr-bench " + std::to_string(threads) + " 1 " + std::to_string(sr_steps),
                          "libtorch_sr_ms", &a))
          throw Error("gantry bench: the LibTorch twin '" + twin + "' failed (SR row)");
        st.push_back(a);
        std::printf(", libtorch %.1f ms", a);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
    std::printf("sr_gantry_ms %.1f\n", median(sg));
    if (!st.empty()) {
      std::printf("sr_libtorch_ms %.1f\n", median(st));
      std::printf("sr_ratio %.3f\n", median(sg) / median(st));
    }
  }
  if (!f.has("no-translation") && !dev.is_cuda()) {
    // The translation rows: a pix2pix and a CycleGAN training step at the
    // configs' sizes (bench/translation_shapes.h), against LibTorch's twins.
    using namespace bench;
    for (const std::string model : {"pix2pix", "cyclegan"}) {
      auto trainer = translation_bench_trainer(model);
      const bool cyc = model == "cyclegan";
      std::printf("%s row: %s, batch %lld of 1x%lldx%lld, one training step (D + G, Adam), %lld per round "
                  "(median)\n",
                  model.c_str(),
                  cyc ? gan::format("two ResNet Gs (%lld maps, %lld blocks), two %lld-layer PatchGANs, instance norm, "
                               "LSGAN + cycle + identity, pool %lld",
                               static_cast<long long>(kCycWidth), static_cast<long long>(kCycBlocks),
                               static_cast<long long>(kCycDLayers), static_cast<long long>(kCycPool)).c_str()
                      : gan::format("U-Net G (depth %lld, %lld maps), %lld-layer PatchGAN, batch norm, vanilla + 100 L1",
                               static_cast<long long>(kP2PDepth), static_cast<long long>(kP2PWidth),
                               static_cast<long long>(kP2PDLayers)).c_str(),
                  static_cast<long long>(cyc ? kCycBatch : kP2PBatch), static_cast<long long>(kTransSize),
                  static_cast<long long>(kTransSize), tr_steps);
      std::vector<double> tg, tt;
      for (long long r = 0; r < rounds; ++r) {
        tg.push_back(time_gantry_translation(*trainer, r == 0 ? 1 : 0, tr_steps));
        std::printf("  %s round %lld: gantry %.1f ms", model.c_str(), r + 1, tg.back());
        if (!twin.empty()) {
          double a = 0;
          if (!run_twin_row(twin, "--gantry-translation-bench " + model + " " + std::to_string(threads) + " 1 " +
                                      std::to_string(tr_steps),
                            "libtorch_translation_ms", &a))
            throw Error("gantry bench: the LibTorch twin '" + twin + "' failed (" + model + " row)");
          tt.push_back(a);
          std::printf(", libtorch %.1f ms", a);
        }
        std::printf("\n");
        std::fflush(stdout);
      }
      std::printf("%s_gantry_ms %.1f\n", model.c_str(), median(tg));
      if (!tt.empty()) {
        std::printf("%s_libtorch_ms %.1f\n", model.c_str(), median(tt));
        std::printf("%s_ratio %.3f\n", model.c_str(), median(tg) / median(tt));
      }
      if (f.has("profile")) {  // where this row's step spends its time
        kernels::Profiler::reset();
        kernels::Profiler::enable(true);
        const auto t0 = std::chrono::steady_clock::now();
        for (long long i = 0; i < tr_steps; ++i) trainer->train_step();
        const double wall =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        kernels::Profiler::enable(false);
        std::printf("\n%s per-op profile over %lld steps (wall %.1f ms):\n%s\n", model.c_str(), tr_steps, wall,
                    kernels::Profiler::report().c_str());
      }
    }
  }
  if (f.has("profile")) {
    kernels::Profiler::reset();
    kernels::Profiler::enable(true);
    const auto t0 = std::chrono::steady_clock::now();
    for (long long i = 0; i < steps; ++i) step.run();
    step.sync();
    const double wall =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    kernels::Profiler::enable(false);
    std::printf("\nper-op profile over %lld iterations (wall %.1f ms; the rest is copies, "
                "allocation and graph bookkeeping):\n%s",
                steps, wall, kernels::Profiler::report().c_str());
  }
#ifdef GANTRY_WITH_CUDA
  if (dev.is_cuda()) {
    std::printf("\n%s; convolution algorithms chosen (auto):\n", cuda::cudnn_status().c_str());
    for (const auto& line : cuda::conv_algorithm_choices()) std::printf("  %s\n", line.c_str());
  }
#endif
  return 0;
}

}  // namespace cli
}  // namespace gantry
