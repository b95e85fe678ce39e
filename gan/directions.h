// gan/directions.h — closed-form semantic directions in a generator's latent
// space, found without labels or training:
//
//   SeFa (Shen & Zhou 2021, "Closed-Form Factorization of Latent Semantics
//   in GANs"): the first layer that reads the latent is an affine map
//   y = A x + b; the unit directions n that change y the most maximize
//   |A n|^2, so they are the eigenvectors of A^T A with the largest
//   eigenvalues (A's rows, one per style, scaled to unit norm first, as
//   SeFa's code does). A is the first style affine (StyleNet::first_style_weight,
//   x = w) for style-based models and the first layer's weight
//   (GeneratorNet::first_layer_weight, x = z) for the DCGAN family.
//
//   PCA (Harkonen et al. 2020, "GANSpace"): the principal axes of sampled
//   latents. Style-based models: PCA of w = mapping(z) over `samples`
//   latents (W is not isotropic, so its axes mean something). The DCGAN
//   family feeds z ~ N(0, I), which is isotropic: there, as GANSpace does for
//   such models, PCA runs on the first block's activations and each axis is
//   carried back to z by linear regression (the z direction whose
//   projection best predicts the samples' coordinate along the axis).
//
// Each direction comes with sigma, the standard deviation of sampled latents
// along it: edits are written in those units (w + k sigma n).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gan/models/model.h"

namespace gantry {
namespace gan {

struct Directions {
  std::string method;          // "sefa" or "pca"
  std::string space;           // "w" (style-based) or "z"
  Tensor vectors;              // [k, dim] unit rows, strongest first
  std::vector<double> values;  // eigenvalues (SeFa: of A^T A; PCA: variances), descending
  std::vector<double> sigma;   // std of sampled latents along each direction
};

// method "sefa" or "pca"; k >= 1 directions (at most the latent's size);
// `samples` latents (from `seed`) for PCA and for sigma. Errors name the
// model when it has neither a W space nor a first layer linear in z.
Directions find_directions(GeneratorNet& G, const std::string& model, const std::string& method, int64_t k,
                           int64_t samples = 10000, uint64_t seed = 0);

// An edit sheet: for each seed and each of the first `rows` directions, a row
// of images at strengths strengths[j] * sigma (0 in the middle: the original).
// [seeds * rows * strengths, C, R, R] in [-1, 1], row-major.
Tensor direction_sheet(GeneratorNet& G, const Directions& d, const std::vector<uint64_t>& seeds, int64_t rows,
                       const std::vector<double>& strengths);

}  // namespace gan
}  // namespace gantry
