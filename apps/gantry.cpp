// apps/gantry.cpp — the `gantry` command-line program.
//
//   gantry train   ...   train a GAN (see apps/train.cpp)
//   gantry sample  ...   draw samples from a checkpoint (apps/sample.cpp)
//   gantry eval    ...   sample-quality metrics (apps/eval.cpp)
//   gantry train-classifier  the metrics' Fashion-MNIST classifier (apps/eval.cpp)
//   gantry demo    ...   the MLP demo (apps/demo.cpp)
//   gantry bench   ...   DCGAN iteration, Gantry vs LibTorch (apps/bench.cpp)
//   gantry report RUN_DIR  the run's curves and samples as one HTML page (apps/report.cpp)
//   gantry project ...   the latent of a real image, style-based models (apps/project.cpp)
//   gantry directions .. closed-form semantic directions, SeFa and PCA (apps/directions.cpp)
//   gantry upscale ...   enlarge an image with a super-resolution model (apps/upscale.cpp)
//   gantry translate ... image-to-image translation, pix2pix and CycleGAN (apps/translate.cpp)
//   gantry info          build, threads, devices and registered ops
// Errors are one line on stderr and a non-zero exit: 2 for usage, 1 for
// everything else (bad files, bad configs, non-finite losses).
#include <cstdio>
#include <string>

#include "apps/cli.h"
#include "core/error.h"
#include "core/parallel.h"
#include "kernels/registry.h"
#ifdef GANTRY_WITH_CUDA
#include "kernels/cuda/runtime.h"
#endif

using namespace gantry;

namespace {

int info() {
  std::printf("gantry: threads=%d\n", get_num_threads());
#ifdef GANTRY_WITH_CUDA
  if (cuda::is_available())
    std::printf("cuda: %d device(s); %s\n", cuda::device_count(), cuda::cudnn_status().c_str());
  else
    std::printf("cuda: built, unavailable (%s); %s\n", cuda::unavailable_reason().c_str(),
                cuda::cudnn_status().c_str());
#else
  std::printf("cuda: not built (GANTRY_CUDA=OFF)\n");
#endif
  auto ops = kernels::Registry::instance().ops();
  std::printf("registered ops (%zu):", ops.size());
  for (auto o : ops) std::printf(" %s", kernels::op_name(o));
  std::printf("\n");
  return 0;
}

void usage() {
  std::fprintf(stderr,
               "usage: gantry train [--config FILE.toml] [--model dcgan|wgan-gp|r1|sngan|cdcgan|progan|stylegan2|sagan|esrgan|realesrgan|pix2pix|cyclegan]\n"
               "                    [--steps N | --epochs E] [--out DIR] [--resume] ...  (gantry train --help)\n"
               "       gantry sample --checkpoint FILE --out FILE.npy [--n N] [--png FILE.png]\n"
               "                     [--seed S] [--ema] [--class C] [--truncation T]\n"
               "       gantry sample --checkpoint FILE --interpolate --png STRIP.png [--seed A]\n"
               "                     [--seed-b B] [--frames K] [--mode slerp|lerp]\n"
               "       gantry sample --checkpoint FILE --mix-rows S,.. --mix-cols S,.. --mix-cutoff L --png GRID.png\n"
               "                     (style-based models; also --truncation-psi P, --interpolate --space w)\n"
               "       gantry project --checkpoint FILE --target IMAGE [--out DIR] [--steps N] [--w-plus]\n"
               "       gantry directions --checkpoint FILE [--method sefa|pca|both] [--k K] [--out DIR]\n"
               "       gantry upscale --checkpoint FILE --in IMAGE --out BIG.png [--scale S]\n"
               "                      [--tile T --tile-overlap K] [--no-ema]\n"
               "       gantry translate --checkpoint FILE --in IMAGE|DIR --out OUT.png|DIR [--direction a2b|b2a]\n"
               "                        [--make-input] [--side-by-side]\n"
               "       gantry eval INPUT [--n N] [--reference test|train] [--ema] [--list]\n"
               "       gantry train-classifier [--out FILE] [--epochs E] [--seed S]\n"
               "       gantry demo [--steps N] [--seed S] [--threads T]\n"
               "       gantry bench [--device cpu|cuda[:N]] [--threads T] [--steps N] [--rounds R]\n"
               "                    [--batch B] [--warmup W] [--profile] [--no-libtorch]\n"
               "                    [--gemm auto|eigen] [--force OP=ALGO,...] [--cpu-cache-mb MB]\n"
               "       gantry report RUN_DIR\n"
               "       gantry info\n"
               "every command takes --help\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "train") return cli::run_train(argc, argv);
    if (cmd == "sample") return cli::run_sample(argc, argv);
    if (cmd == "demo") return cli::run_demo(argc, argv);
    if (cmd == "bench") return cli::run_bench(argc, argv);
    if (cmd == "eval") return cli::run_eval(argc, argv);
    if (cmd == "train-classifier") return cli::run_train_classifier(argc, argv);
    if (cmd == "report") return cli::run_report(argc, argv);
    if (cmd == "project") return cli::run_project(argc, argv);
    if (cmd == "directions") return cli::run_directions(argc, argv);
    if (cmd == "upscale") return cli::run_upscale(argc, argv);
    if (cmd == "translate") return cli::run_translate(argc, argv);
    if (cmd == "info") return info();
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
      usage();
      return 0;
    }
    std::fprintf(stderr, "gantry: unknown command '%s'\n", cmd.c_str());
    usage();
    return 2;
  } catch (const cli::HelpShown&) {
    return 0;
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "gantry %s: %s\n", cmd.c_str(), e.message.c_str());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "gantry %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gantry %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  }
}
