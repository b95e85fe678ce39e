// gan/style_control.h — latent-space control of style-based generators
// (StyleNet, gan/models/model.h): what `gantry sample` offers beyond z.
//
//   truncation in W   w' = w_avg + psi (w - w_avg) for the first `cutoff` ws
//                     (all when cutoff < 0): psi = 0 gives the average image,
//                     psi = 1 the untouched one. Not the z-resampling
//                     truncation of gan/latent.h (--truncation T), which
//                     redraws large components of z before the mapping.
//   mixing grid       row r, column c: the coarse styles (ws before the
//                     cutoff) of row seed r, the fine ones of column seed c;
//                     a header row and column show the sources themselves
//   W interpolation   a lerp between the ws of two seeds (W is where the
//                     mapping network flattened the distribution, so a
//                     straight line stays on the image manifold)
//
// A latent of seed s is N(0, I) drawn from RandomState(s), as `gantry sample
// --interpolate` draws its end points. All run G in eval mode with the
// stored noise maps, so the same arguments give the same images.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gan/models/model.h"

namespace gantry {
namespace gan {

// G's W side, or an error naming the model (if given) and what needed it
// ("--truncation-psi needs a style-based model (stylegan2); model 'dcgan' has
// no W space"). The functions below run on the CPU (load_generator's nets).
StyleNet& require_style(GeneratorNet& G, const std::string& model, const std::string& what);

// The latent of seed s: [1, latent].
Tensor seed_latent(const GeneratorNet& G, uint64_t seed);

// ws of the seeds, truncated: [seeds, num_ws, w_dim].
Tensor seeds_to_ws(GeneratorNet& G, const std::vector<uint64_t>& seeds, double psi = 1.0,
                   int64_t cutoff = -1);

// Images [(rows + 1) * (cols + 1), C, R, R], row-major with a blank (-1)
// corner: the first row shows the column seeds, the first column the row
// seeds, cell (r, c) mixes them at `cutoff` (in [1, num_ws - 1]).
Tensor style_mixing_grid(GeneratorNet& G, const std::vector<uint64_t>& row_seeds,
                         const std::vector<uint64_t>& col_seeds, int64_t cutoff, double psi = 1.0);

// frames >= 2 images [frames, C, R, R] from seed a to seed b, lerped in W.
Tensor interpolate_w(GeneratorNet& G, uint64_t seed_a, uint64_t seed_b, int64_t frames,
                     double psi = 1.0, int64_t cutoff = -1);

// Images [N, C, R, R] in [-1, 1] of ws [N, num_ws, w_dim] (eval mode, stored
// noise, no graph).
Tensor synthesize_images(GeneratorNet& G, const Tensor& ws);

}  // namespace gan
}  // namespace gantry
