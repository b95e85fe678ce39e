// apps/project.cpp — `gantry project`: find the latent of a real image in a
// style-based generator (gan/projection.h).
//
//   gantry project --checkpoint C --target image.png [--out DIR] [--steps N]
//                  [--w-plus] [--ema] [--seed S] [--lr LR] [--feature-weight F]
//                  [--noise-weight N] [--classifier FILE]
// Writes DIR/projected_w.npy (float32 [1, num_ws, w_dim]: W+ rows, or one w
// repeated), DIR/projected_noise.safetensors (the noise maps, layer order),
// DIR/reconstruction.png, DIR/progress.png (the target, then snapshots of the
// optimization, the last one the result) and DIR/target.png (the target as the
// model sees it), and prints the distance and PSNR. The target is converted
// to the model's channels and resolution; the command says how.
#include <cstdio>
#include <filesystem>

#include "apps/cli.h"
#include "gan/checkpoint.h"
#include "gan/data/image.h"
#include "gan/data/npy.h"
#include "gan/metrics/classifier.h"
#include "gan/projection.h"
#include "gan/style_control.h"
#include "nn/safetensors.h"

namespace gantry {
namespace cli {

int run_project(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry project",
          "Find the w (or W+) and noise maps that reproduce an image in a style-based generator.",
          {{"checkpoint", "FILE", "training checkpoint of a style-based model (stylegan2)"},
           {"target", "IMAGE", "the image to reproduce (PNG or JPEG; converted to the model's size)"},
           {"out", "DIR", "output folder (default project_out)"},
           {"steps", "N", "optimization steps (default 1000)"},
           {"lr", "LR", "peak learning rate (default 0.1)"},
           {"w-plus", "", "one w per layer (W+) instead of one w"},
           {"ema", "", "project into the EMA generator"},
           {"seed", "S", "seed of the initial noise maps and exploration noise (default 0)"},
           {"feature-weight", "F", "weight of the classifier-feature distance (default 1; 0: pixels only)"},
           {"noise-weight", "N", "noise regularization weight (default 1e5)"},
           {"classifier", "FILE", "the feature classifier (default assets/fmnist_classifier.safetensors)"}});
  if (!f.has("checkpoint") || !f.has("target"))
    throw UsageError{"project needs --checkpoint FILE and --target IMAGE"};
  gan::ProjectOptions o;
  o.steps = f.integer("steps", o.steps);
  o.lr = f.number("lr", o.lr);
  o.w_plus = f.has("w-plus");
  o.seed = static_cast<uint64_t>(f.integer("seed", 0));
  o.feature_weight = f.number("feature-weight", o.feature_weight);
  o.noise_weight = f.number("noise-weight", o.noise_weight);
  if (o.steps < 1) throw UsageError{"--steps must be positive"};
  if (!(o.lr > 0)) throw UsageError{"--lr must be positive"};
  if (!(o.feature_weight >= 0) || !(o.noise_weight >= 0))
    throw UsageError{"--feature-weight and --noise-weight must be non-negative"};
  const std::string out = f.str("out", "project_out");

  gan::LoadedGenerator lg = gan::load_generator(f.str("checkpoint"), f.has("ema"));
  gan::require_style(*lg.net, lg.model, "gantry project");
  std::string note;
  const Tensor target = gan::load_projection_target(f.str("target"), *lg.net, &note);
  std::fprintf(stderr, "gantry project: target %s\n", note.c_str());
  std::shared_ptr<gan::metrics::FmnistClassifier> clf;
  if (o.feature_weight > 0) {
    const std::string path = f.str("classifier", "assets/fmnist_classifier.safetensors");
    clf = gan::metrics::load_classifier(path);
    std::fprintf(stderr, "gantry project: distance = pixel MSE + %g x feature MSE of %s\n", o.feature_weight,
                 path.c_str());
  }
  gan::ProjectResult r = gan::project(*lg.net, target, clf.get(), o);

  std::filesystem::create_directories(out);
  gan::save_npy(out + "/projected_w.npy", r.ws);
  nn::NamedTensors maps;
  for (size_t i = 0; i < r.noise.size(); ++i) maps.emplace_back("noise" + std::to_string(i), r.noise[i]);
  nn::save_safetensors(out + "/projected_noise.safetensors", maps,
                       {{"checkpoint", f.str("checkpoint")}, {"target", f.str("target")}});
  gan::save_png_grid(out + "/reconstruction.png", r.image, 1, 0);
  gan::save_png_grid(out + "/target.png", target, 1, 0);
  std::vector<Tensor> strip = {target};
  strip.insert(strip.end(), r.strip.begin(), r.strip.end());
  gan::save_png_grid(out + "/progress.png", cat(strip, 0), static_cast<int64_t>(strip.size()), 2);
  std::fprintf(stderr,
               "gantry project: %lld steps%s, distance %.6g -> %.6g, PSNR %.2f dB; wrote %s/projected_w.npy, "
               "projected_noise.safetensors, reconstruction.png, progress.png\n",
               static_cast<long long>(o.steps), o.w_plus ? " in W+" : "", r.distance.front(), r.final_distance,
               gan::psnr(r.image, target), out.c_str());
  return 0;
}

}  // namespace cli
}  // namespace gantry
