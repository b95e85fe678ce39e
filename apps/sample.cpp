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
//
// Style-based models (stylegan2) add control in W (gan/style_control.h):
//   --truncation-psi P [--truncation-cutoff L]   w -> w_avg + P (w - w_avg) in
//       the first L layers (all by default); P in [0, 1]. Unlike --truncation,
//       which redraws z, this pulls every sample towards the average image.
//   --mix-rows A,B,.. --mix-cols C,D,.. --mix-cutoff L --png GRID.png
//       a style-mixing grid: cell (r, c) takes layers 0..L-1 (coarse: pose,
//       shape) from row seed r and the rest (fine: texture, detail) from
//       column seed c
//   --interpolate --space w    the strip lerps in W instead of slerping in z
#include <cmath>
#include <cstdio>

#include "apps/cli.h"
#include "core/rng.h"
#include "gan/checkpoint.h"
#include "gan/data/image.h"
#include "gan/data/npy.h"
#include "gan/eval.h"
#include "gan/latent.h"
#include "gan/style_control.h"

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
           {"mode", "slerp|lerp", "interpolation (default slerp)"},
           {"space", "z|w", "interpolate in z (default) or in W (style-based models)"},
           {"truncation-psi", "P", "style-based models: pull w towards w_avg, P in [0, 1] (1: off)"},
           {"truncation-cutoff", "L", "style-based models: truncate only the first L layers' w"},
           {"mix-rows", "S,S,..", "style-mixing grid: the seeds giving the coarse styles (rows)"},
           {"mix-cols", "S,S,..", "style-mixing grid: the seeds giving the fine styles (columns)"},
           {"mix-cutoff", "L", "style-mixing grid: rows give layers 0..L-1, columns the rest"}});
  const bool interp = f.has("interpolate");
  const bool mixing = f.has("mix-rows") || f.has("mix-cols");
  if (!f.has("checkpoint") || (!interp && !mixing && !f.has("out")) || ((interp || mixing) && !f.has("png")))
    throw UsageError{"sample needs --checkpoint FILE and --out FILE.npy (or --interpolate / --mix-rows with --png FILE.png)"};
  if (mixing && (!f.has("mix-rows") || !f.has("mix-cols") || !f.has("mix-cutoff")))
    throw UsageError{"a style-mixing grid needs --mix-rows, --mix-cols and --mix-cutoff"};
  const double psi = f.number("truncation-psi", 1.0);
  if (!(psi >= 0 && psi <= 1)) throw UsageError{"--truncation-psi must be in [0, 1]"};
  const long long cutoff = f.integer("truncation-cutoff", -1);
  if (f.has("truncation-cutoff") && cutoff < 1) throw UsageError{"--truncation-cutoff must be at least 1"};
  const std::string space = f.str("space", "z");
  if (space != "z" && space != "w") throw UsageError{"--space must be z or w"};
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
  if (psi < 1.0 || f.has("truncation-cutoff")) {
    gan::StyleNet& S = gan::require_style(G, lg.model, "--truncation-psi");
    if (cutoff > S.num_ws())
      throw UsageError{"--truncation-cutoff " + std::to_string(cutoff) + " is beyond the generator's " +
                       std::to_string(S.num_ws()) + " layers"};
  }
  if (space == "w" || mixing) gan::require_style(G, lg.model, mixing ? "a style-mixing grid" : "--space w");
  // Flags the chosen output would not use are refused, not ignored.
  if (f.has("space") && !interp) throw UsageError{"--space applies to --interpolate"};
  if (mixing && (f.has("truncation-cutoff") || f.has("truncation") || interp))
    throw UsageError{"a style-mixing grid takes --truncation-psi only (not --truncation-cutoff, --truncation or "
                     "--interpolate): its cutoff is --mix-cutoff"};
  if (interp && space == "w" && (f.has("truncation") || f.has("mode")))
    throw UsageError{"--space w interpolates in W by a straight line: --truncation and --mode are for z"};
  NoGradGuard ng;
  const uint64_t seed = static_cast<uint64_t>(f.integer("seed", 0));
  Tensor all;
  if (mixing) {
    const auto rows = f.seeds("mix-rows"), cols = f.seeds("mix-cols");
    all = gan::style_mixing_grid(G, rows, cols, f.integer("mix-cutoff", 0), psi);
    gan::save_png_grid(f.str("png"), all, static_cast<int64_t>(cols.size()) + 1, 2);
    std::fprintf(stderr, "gantry sample: style-mixing grid, %zu x %zu, layers < %lld from the rows, in %s\n",
                 rows.size(), cols.size(), f.integer("mix-cutoff", 0), f.str("png").c_str());
    if (f.has("out")) gan::save_npy(f.str("out"), all);
    return 0;
  }
  if (interp && space == "w") {
    const uint64_t b = static_cast<uint64_t>(f.integer("seed-b", static_cast<long long>(seed) + 1));
    all = gan::interpolate_w(G, seed, b, frames, psi, cutoff);
    gan::save_png_grid(f.str("png"), all, frames, 2);
    std::fprintf(stderr, "gantry sample: W interpolation, %lld frames, strip in %s\n", frames, f.str("png").c_str());
    if (f.has("out")) gan::save_npy(f.str("out"), all);
    return 0;
  }
  if (interp) {
    if (psi < 1.0) throw UsageError{"--truncation-psi with --interpolate: interpolate in W (--space w)"};
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
  all = gan::draw_samples(G, n, seed, batch, trunc, cls, psi, cutoff);  // the draws `gantry eval CHECKPOINT` scores
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
