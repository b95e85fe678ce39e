// gan/latent.h — latent codes for sampling: the truncation trick and
// interpolation between two codes.
//
//   truncated_normal({N, 100}, 0.7, &g)  N(0,1) draws, every component with
//                                        |z| > 0.7 redrawn until it fits
//                                        (fidelity up, variety down; Brock et al.)
//   interpolate(a, b, 8, true)           [8, D]: frames from a to b (both ends
//                                        included), spherical (slerp) or linear
// Slerp keeps the norm of Gaussian codes typical (a lerp midpoint of two
// independent codes has ~0.71 of their norm, an atypical input for G).
#pragma once
#include "autograd/ops.h"
#include "core/rng.h"

namespace gantry {
namespace gan {

// float32 of shape s; threshold > 0 (infinity: plain N(0, 1)).
Tensor truncated_normal(const Shape& s, double threshold, RandomState* g);
// a, b [D] -> [frames, D]; frames >= 2.
Tensor interpolate(const Tensor& a, const Tensor& b, int64_t frames, bool spherical);

}  // namespace gan
}  // namespace gantry
