// gan/style_control.cpp — truncation in W, style-mixing grids and W
// interpolation (see gan/style_control.h).
#include "gan/style_control.h"

#include "autograd/ops.h"
#include "core/error.h"
#include "core/rng.h"
#include "gan/latent.h"

namespace gantry {
namespace gan {

StyleNet& require_style(GeneratorNet& G, const std::string& model, const std::string& what) {
  StyleNet* s = as_style(G);
  GANTRY_CHECK(s != nullptr, what, " needs a style-based model (stylegan2); ",
               model.empty() ? std::string("this generator") : "model '" + model + "'", " has no W space");
  return *s;
}

Tensor seed_latent(const GeneratorNet& G, uint64_t seed) {
  RandomState g(seed);
  return randn({1, G.config.latent}, {}, &g);
}

namespace {
// Runs f with G in eval mode and no graph, restoring the mode after.
template <class F>
Tensor in_eval(GeneratorNet& G, F f) {
  NoGradGuard ng;
  nn::EvalGuard eg(G);
  return f();
}
}  // namespace

Tensor seeds_to_ws(GeneratorNet& G, const std::vector<uint64_t>& seeds, double psi, int64_t cutoff) {
  GANTRY_CHECK(!seeds.empty(), "seeds_to_ws: no seeds");
  StyleNet& S = require_style(G, "", "seeds_to_ws");
  return in_eval(G, [&] {
    std::vector<Tensor> z;
    for (uint64_t s : seeds) z.push_back(seed_latent(G, s));
    return S.mapping(cat(z, 0), psi, cutoff);
  });
}

Tensor synthesize_images(GeneratorNet& G, const Tensor& ws) {
  StyleNet& S = require_style(G, "", "synthesize_images");
  return in_eval(G, [&] { return clamp(S.synthesis(ws, NoiseMode::Const).to(kCPU), -1.0, 1.0); });
}

Tensor style_mixing_grid(GeneratorNet& G, const std::vector<uint64_t>& row_seeds,
                         const std::vector<uint64_t>& col_seeds, int64_t cutoff, double psi) {
  StyleNet& S = require_style(G, "", "a style-mixing grid");
  GANTRY_CHECK(!row_seeds.empty() && !col_seeds.empty(), "style-mixing grid: give row and column seeds");
  GANTRY_CHECK(cutoff >= 1 && cutoff < S.num_ws(), "style-mixing grid: mixing layer ", cutoff,
               " is outside [1, ", S.num_ws() - 1, "] (the generator reads ", S.num_ws(),
               " ws: rows give layers 0..cutoff-1, columns the rest)");
  const Tensor wr = seeds_to_ws(G, row_seeds, psi), wc = seeds_to_ws(G, col_seeds, psi);
  const int64_t R = static_cast<int64_t>(row_seeds.size()), C = static_cast<int64_t>(col_seeds.size());
  const Tensor rows = synthesize_images(G, wr), cols = synthesize_images(G, wc);  // [R,..], [C,..]
  std::vector<Tensor> cells;
  cells.push_back(full({1, rows.size(1), rows.size(2), rows.size(3)}, -1.0));  // the blank corner
  for (int64_t c = 0; c < C; ++c) cells.push_back(narrow(cols, 0, c, 1));
  for (int64_t r = 0; r < R; ++r) {
    cells.push_back(narrow(rows, 0, r, 1));
    const Tensor coarse = expand(narrow(wr, 0, r, 1), wc.shape());  // row r's ws, C times
    cells.push_back(synthesize_images(G, mix_styles(coarse, wc, cutoff)));
  }
  return cat(cells, 0);
}

Tensor interpolate_w(GeneratorNet& G, uint64_t seed_a, uint64_t seed_b, int64_t frames, double psi,
                     int64_t cutoff) {
  GANTRY_CHECK(frames >= 2, "W interpolation: frames must be at least 2, got ", frames);
  const Tensor ws = seeds_to_ws(G, {seed_a, seed_b}, psi, cutoff);  // [2, L, w_dim]
  const Tensor a = narrow(ws, 0, 0, 1), b = narrow(ws, 0, 1, 1);
  std::vector<Tensor> steps;
  for (int64_t i = 0; i < frames; ++i) {
    const double t = static_cast<double>(i) / static_cast<double>(frames - 1);
    steps.push_back(add(a, mul(sub(b, a), t)));
  }
  return synthesize_images(G, cat(steps, 0));
}

}  // namespace gan
}  // namespace gantry
