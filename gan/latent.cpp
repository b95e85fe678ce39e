// gan/latent.cpp — truncation and interpolation of latent codes (see latent.h).
#include "gan/latent.h"

#include <cmath>

namespace gantry {
namespace gan {

Tensor truncated_normal(const Shape& s, double threshold, RandomState* g) {
  GANTRY_CHECK(threshold > 0, "truncated_normal: threshold must be positive, got ", threshold);
  std::vector<float> v = randn(s, {}, g).to_vector<float>();
  if (std::isinf(threshold)) return from_vector<float>(v, s);
  std::vector<size_t> bad;
  for (size_t i = 0; i < v.size(); ++i)
    if (std::abs(v[i]) > threshold) bad.push_back(i);
  // Redraw the outliers in rounds (in index order, so the result depends only on the seed).
  for (int round = 0; !bad.empty(); ++round) {
    GANTRY_CHECK(round < 10000, "truncated_normal: threshold ", threshold, " is too small");
    std::vector<float> r = randn({static_cast<int64_t>(bad.size())}, {}, g).to_vector<float>();
    std::vector<size_t> still;
    for (size_t k = 0; k < bad.size(); ++k) {
      v[bad[k]] = r[k];
      if (std::abs(r[k]) > threshold) still.push_back(bad[k]);
    }
    bad.swap(still);
  }
  return from_vector<float>(v, s);
}

Tensor interpolate(const Tensor& a, const Tensor& b, int64_t frames, bool spherical) {
  GANTRY_CHECK(a.dim() == 1 && a.shape() == b.shape(), "interpolate: codes must be [D] alike, got ",
               shape_str(a.shape()), " and ", shape_str(b.shape()));
  GANTRY_CHECK(frames >= 2, "interpolate: need at least 2 frames, got ", frames);
  std::vector<double> va = to(a, kFloat64).to_vector<double>(), vb = to(b, kFloat64).to_vector<double>();
  const size_t D = va.size();
  double na = 0, nb = 0, dot = 0;
  for (size_t i = 0; i < D; ++i) {
    na += va[i] * va[i];
    nb += vb[i] * vb[i];
    dot += va[i] * vb[i];
  }
  const double cosw = dot / std::sqrt(na * nb);
  const double omega = std::acos(std::max(-1.0, std::min(1.0, cosw)));
  std::vector<float> out(frames * D);
  for (int64_t f = 0; f < frames; ++f) {
    const double t = static_cast<double>(f) / (frames - 1);
    double wa = 1 - t, wb = t;
    if (spherical && std::sin(omega) > 1e-6) {  // (nearly) parallel codes: lerp is exact enough
      wa = std::sin((1 - t) * omega) / std::sin(omega);
      wb = std::sin(t * omega) / std::sin(omega);
    }
    for (size_t i = 0; i < D; ++i) out[f * D + i] = static_cast<float>(wa * va[i] + wb * vb[i]);
  }
  return to(from_vector<float>(out, {frames, static_cast<int64_t>(D)}), a.dtype());
}

Tensor mix_styles(const Tensor& ws, const Tensor& ws2, int64_t cutoff) {
  GANTRY_CHECK(ws.dim() == 3 && ws.shape() == ws2.shape(), "mix_styles: ws ", shape_str(ws.shape()),
               " and ws2 ", shape_str(ws2.shape()), " must be one [N, num_ws, w_dim] shape");
  const int64_t L = ws.size(1);
  GANTRY_CHECK(cutoff >= 0 && cutoff <= L, "mix_styles: mixing layer ", cutoff, " is outside [0, ", L,
               "] (the generator reads ", L, " ws)");
  if (cutoff == L) return ws;
  if (cutoff == 0) return ws2;
  return cat({narrow(ws, 1, 0, cutoff), narrow(ws2, 1, cutoff, L - cutoff)}, 1);
}

Tensor mixed_ws(StyleNet& G, const Tensor& z, double prob, RandomState* g) {
  GANTRY_CHECK(prob >= 0 && prob <= 1, "style mixing: probability ", prob, " is outside [0, 1]");
  Tensor ws = G.mapping(z);
  const int64_t L = G.num_ws();
  if (prob <= 0 || L < 2) return ws;
  const double u = rand({1}, kFloat64, g).item<double>();
  if (u >= prob) return ws;
  const int64_t cutoff = randint(1, L, {1}, kInt64, g).item<int64_t>();
  const Tensor z2 = randn(z.shape(), z.dtype(), g).to(z.device());
  return mix_styles(ws, G.mapping(z2, 1.0, -1, /*track_w_avg=*/false), cutoff);  // w_avg follows the first latents only
}

}  // namespace gan
}  // namespace gantry
