// apps/sample.cpp — `gantry sample`: draw images from a trained generator.
//
//   gantry sample --checkpoint FILE --out FILE.npy [--n N] [--png FILE.png]
//                 [--seed S] [--ema] [--batch B] [--class C] [--truncation T]
//   gantry sample --checkpoint FILE --interpolate --png STRIP.png [--seed A]
//                 [--seed-b B] [--frames K] [--mode slerp|lerp] [--out FILE.npy]
// Writes float32 [N, C, R, R] in [-1, 1] (R: the model's full resolution; a
// growing model mid-way is enlarged to it) (C order) and optionally a PNG
// grid of the first 64. The generator runs in eval mode (running statistics).
// Conditional models (cdcgan) draw class C with --class C, else classes
// 0, 1, ..., 9, 0, ... in turn. --truncation T redraws latent components with
// |z| > T (the truncation trick). --interpolate draws the codes of seeds A and
// B and writes a strip of K frames from one to the other.
#include <cmath>
#include <cstdio>

#include "apps/cli.h"
#include "core/rng.h"
#include "gan/checkpoint.h"
#include "gan/data/image.h"
#include "gan/data/npy.h"
#include "gan/eval.h"
#include "gan/latent.h"

namespace gantry {
namespace cli {

int run_sample(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry sample", "Draw samples (or an interpolation strip) from a checkpoint.",
          {{"checkpoint", "FILE", "training checkpoint (.safetensors)"},
           {"out", "FILE.npy", "samples as float32 [N,C,R,R] in [-1,1] (R: the model's resolution)"},
           {"n", "N", "number of samples (default 64)"},
           {"png", "FILE.png", "a grid of the first 64 samples (or the strip)"},
           {"seed", "S", "latent seed (default 0)"},
           {"batch", "B", "generator batch (default 500)"},
           {"ema", "", "use the EMA generator"},
           {"class", "C", "class of every sample (class-conditional models)"},
           {"truncation", "T", "redraw latent components with |z| > T"},
           {"interpolate", "", "a strip between the codes of --seed and --seed-b"},
           {"seed-b", "B", "the strip's other seed (default seed + 1)"},
           {"frames", "K", "frames of the strip (default 10)"},
           {"mode", "slerp|lerp", "interpolation (default slerp)"}});
  const bool interp = f.has("interpolate");
  if (!f.has("checkpoint") || (!interp && !f.has("out")) || (interp && !f.has("png")))
    throw UsageError{"sample needs --checkpoint FILE and --out FILE.npy (or --interpolate --png FILE.png)"};
  const long long n = f.integer("n", 64), batch = f.integer("batch", 500);
  if (n < 1 || batch < 1) throw UsageError{"--n and --batch must be positive"};
  const double trunc = f.number("truncation", INFINITY);
  if (!(trunc > 0)) throw UsageError{"--truncation must be positive"};
  const long long frames = f.integer("frames", 10);
  if (frames < 2) throw UsageError{"--frames must be at least 2"};
  const std::string mode = f.str("mode", "slerp");
  if (mode != "slerp" && mode != "lerp") throw UsageError{"--mode must be slerp or lerp"};

  gan::LoadedGenerator lg = gan::load_generator(f.str("checkpoint"), f.has("ema"));
  gan::GeneratorNet& G = *lg.net;
  const int64_t K = G.config.num_classes, latent = G.config.latent;
  long long cls = -1;
  if (f.has("class")) {
    if (K == 0)
      throw UsageError{"--class: model '" + lg.model + "' is not class-conditional (cdcgan is)"};
    cls = f.integer("class", 0);
    if (cls < 0 || cls >= K) throw UsageError{"--class must be in [0, " + std::to_string(K) + ")"};
  }
  NoGradGuard ng;
  const uint64_t seed = static_cast<uint64_t>(f.integer("seed", 0));
  Tensor all;
  if (interp) {
    RandomState ga(seed), gb(static_cast<uint64_t>(f.integer("seed-b", static_cast<long long>(seed) + 1)));
    Tensor za = reshape(gan::truncated_normal({1, latent}, trunc, &ga), {latent});
    Tensor zb = reshape(gan::truncated_normal({1, latent}, trunc, &gb), {latent});
    Tensor z = gan::interpolate(za, zb, frames, mode == "slerp");  // [frames, latent]
    Tensor y = K ? full({frames}, static_cast<double>(cls >= 0 ? cls : 0), kInt64) : Tensor();
    all = clamp(gan::full_resolution(G, G.generate(z, y)), -1.0, 1.0);
    gan::save_png_grid(f.str("png"), all, frames, 2);
    std::fprintf(stderr, "gantry sample: %s interpolation, %lld frames, strip in %s\n", mode.c_str(),
                 frames, f.str("png").c_str());
    if (f.has("out")) gan::save_npy(f.str("out"), all);
    return 0;
  }
  all = gan::draw_samples(G, n, seed, batch, trunc, cls);  // the draws `gantry eval CHECKPOINT` scores
  gan::save_npy(f.str("out"), all);
  std::fprintf(stderr, "gantry sample: wrote %lld samples %s of %s (step %lld%s) to %s\n", n,
               shape_str(all.shape()).c_str(), lg.model.c_str(), static_cast<long long>(lg.step),
               lg.ema ? ", EMA" : "", f.str("out").c_str());
  if (f.has("png")) {
    gan::save_png_grid(f.str("png"), core::slice(all, 0, 0, std::min<long long>(n, 64), 1), 8, 2);
    std::fprintf(stderr, "gantry sample: grid in %s\n", f.str("png").c_str());
  }
  return 0;
}

}  // namespace cli
}  // namespace gantry
