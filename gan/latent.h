// gan/latent.h — latent codes for sampling: the truncation trick and
// interpolation between two codes.
//
//   truncated_normal({N, 100}, 0.7, &g)  N(0,1) draws, every component with
//                                        |z| > 0.7 redrawn until it fits
//                                        (fidelity up, variety down; Brock et al.)
//   interpolate(a, b, 8, true)           [8, D]: frames from a to b (both ends
//                                        included), spherical (slerp) or linear
//   mixed_ws(G, z, 0.9, &g)              style mixing (StyleGAN): ws of z, whose
//                                        layers from a random cutoff come from
//                                        a second latent, with probability 0.9
// Slerp keeps the norm of Gaussian codes typical (a lerp midpoint of two
// independent codes has ~0.71 of their norm, an atypical input for G).
#pragma once
#include "autograd/ops.h"
#include "core/rng.h"
#include "gan/models/model.h"

namespace gantry {
namespace gan {

// float32 of shape s; threshold > 0 (infinity: plain N(0, 1)).
Tensor truncated_normal(const Shape& s, double threshold, RandomState* g);
// a, b [D] -> [frames, D]; frames >= 2.
Tensor interpolate(const Tensor& a, const Tensor& b, int64_t frames, bool spherical);

// ws [N, L, w_dim] with the layers from `cutoff` on taken from ws2: the coarse
// styles (layers < cutoff) of one latent, the fine ones of another. cutoff in
// [0, L]; the error names it.
Tensor mix_styles(const Tensor& ws, const Tensor& ws2, int64_t cutoff);

// z [N, latent] -> ws [N, num_ws, w_dim] = G.mapping(z); with probability
// prob (one draw per batch, as StyleGAN's code does) the layers from a cutoff
// drawn uniformly in [1, num_ws) take the ws of a second latent z2 ~ N(0, I).
// Every draw comes from g on the CPU (copied to z's device).
Tensor mixed_ws(StyleNet& G, const Tensor& z, double prob, RandomState* g);

}  // namespace gan
}  // namespace gantry
