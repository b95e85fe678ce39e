// apps/directions.cpp — `gantry directions`: closed-form semantic directions
// of a trained generator (gan/directions.h), and a sheet of edits along them.
//
//   gantry directions --checkpoint C [--method sefa|pca|both] [--k K]
//                     [--rows R] [--seeds S,S,..] [--samples N] [--ema] [--out DIR]
// Writes DIR/directions_METHOD.npy (float32 [K, dim], unit rows, strongest
// first; dim = w_dim for style-based models, the latent size otherwise),
// DIR/sigma_METHOD.npy (float32 [K]: the spread of sampled latents along each)
// and DIR/directions_METHOD.png: for each seed, R rows (the top directions)
// of edits at -3, -1.5, 0, +1.5, +3 sigma (the middle column is the seed's
// own image).
#include <cstdio>
#include <filesystem>

#include "apps/cli.h"
#include "gan/checkpoint.h"
#include "gan/data/image.h"
#include "gan/data/npy.h"
#include "gan/directions.h"

namespace gantry {
namespace cli {

int run_directions(int argc, char** argv) {
  Flags f(argc, argv, 2, "gantry directions",
          "Closed-form latent directions (SeFa, PCA) of a generator, and a sheet of edits along them.",
          {{"checkpoint", "FILE", "training checkpoint (stylegan2, or an unconditional DCGAN-family model)"},
           {"method", "sefa|pca|both", "which directions (default both)"},
           {"k", "K", "directions to keep (default 10)"},
           {"rows", "R", "directions shown per seed on the sheet (default 5)"},
           {"seeds", "S,S,..", "seeds edited on the sheet (default 0,1,2)"},
           {"samples", "N", "latents sampled for PCA and the spreads (default 10000)"},
           {"ema", "", "use the EMA generator"},
           {"out", "DIR", "output folder (default directions_out)"}});
  if (!f.has("checkpoint")) throw UsageError{"directions needs --checkpoint FILE"};
  const std::string method = f.str("method", "both");
  if (method != "sefa" && method != "pca" && method != "both")
    throw UsageError{"--method must be sefa, pca or both"};
  const long long k = f.integer("k", 10), rows = f.integer("rows", 5), samples = f.integer("samples", 10000);
  if (k < 1 || rows < 1 || rows > k) throw UsageError{"--k must be positive and --rows in [1, k]"};
  if (samples < 2) throw UsageError{"--samples must be at least 2"};
  const std::vector<uint64_t> seeds = f.seeds("seeds", "0,1,2");
  const std::string out = f.str("out", "directions_out");
  gan::LoadedGenerator lg = gan::load_generator(f.str("checkpoint"), f.has("ema"));
  std::filesystem::create_directories(out);
  const std::vector<double> strengths = {-3, -1.5, 0, 1.5, 3};
  for (const std::string m : {"sefa", "pca"}) {
    if (method != "both" && method != m) continue;
    const gan::Directions d = gan::find_directions(*lg.net, lg.model, m, k, samples, 0);
    gan::save_npy(out + "/directions_" + m + ".npy", d.vectors);
    std::vector<float> sig(d.sigma.begin(), d.sigma.end());
    gan::save_npy(out + "/sigma_" + m + ".npy", from_vector<float>(sig, {static_cast<int64_t>(sig.size())}));
    const Tensor sheet = gan::direction_sheet(*lg.net, d, seeds, rows, strengths);
    gan::save_png_grid(out + "/directions_" + m + ".png", sheet, static_cast<int64_t>(strengths.size()), 2);
    std::fprintf(stderr, "gantry directions: %s in %s: %lld directions, top values", m.c_str(), d.space.c_str(), k);
    for (size_t i = 0; i < std::min<size_t>(3, d.values.size()); ++i) std::fprintf(stderr, " %.4g", d.values[i]);
    std::fprintf(stderr, "; wrote %s/directions_%s.npy, sigma_%s.npy, directions_%s.png\n", out.c_str(), m.c_str(),
                 m.c_str(), m.c_str());
  }
  return 0;
}

}  // namespace cli
}  // namespace gantry
