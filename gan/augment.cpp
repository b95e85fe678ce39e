// gan/augment.cpp — differentiable translation and cutout (see augment.h).
#include "gan/augment.h"

#include <cmath>
#include <sstream>

namespace gantry {
namespace gan {

namespace {
std::vector<std::string> parts(const std::string& policy) {
  std::vector<std::string> out;
  std::stringstream s(policy);
  std::string p;
  while (std::getline(s, p, ','))
    if (!p.empty()) out.push_back(p);
  return out;
}
// n uniform integers in [lo, hi], drawn from g.
std::vector<int64_t> uniform_ints(int64_t n, int64_t lo, int64_t hi, RandomState* g) {
  std::vector<float> u = rand({n}, {}, g).to_vector<float>();
  std::vector<int64_t> r(n);
  for (int64_t i = 0; i < n; ++i)
    r[i] = std::min(hi, lo + static_cast<int64_t>(std::floor(u[i] * (hi - lo + 1))));
  return r;
}
}  // namespace

void check_augment_policy(const std::string& policy) {
  if (policy.empty() || policy == "none" || policy == "ada") return;
  for (const auto& p : parts(policy)) {
    GANTRY_CHECK(p != "ada", "augment: 'ada' is a whole pipeline of its own; it cannot be combined with '",
                 policy, "'");
    GANTRY_CHECK(p == "translation" || p == "cutout", "augment: unknown policy '", p,
                 "' (expected none, ada, or translation, cutout or both, comma-separated)");
  }
}

Tensor random_translation(const Tensor& x, RandomState* g, double ratio) {
  GANTRY_CHECK(x.dim() == 4, "random_translation: x must be [N,C,H,W], got ", shape_str(x.shape()));
  const int64_t N = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  const int64_t r = static_cast<int64_t>(std::lround(H * ratio));
  if (r == 0) return x;
  const int64_t HP = H + 2 * r, WP = W + 2 * r;
  std::vector<int64_t> dy = uniform_ints(N, -r, r, g), dx = uniform_ints(N, -r, r, g);
  // Output (i, j) of image n reads padded (i + r - dy, j + r - dx).
  std::vector<int64_t> idx(static_cast<size_t>(N * C * H * W));
  size_t k = 0;
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) idx[k++] = (i + r - dy[n]) * WP + (j + r - dx[n]);
  Tensor padded = reshape(pad(x, {r, r, r, r}), {N, C, HP * WP});  // [N,C,HP*WP]
  Tensor out = gather(padded, 2, from_vector<int64_t>(idx, {N, C, H * W}).to(x.device()));
  return reshape(out, {N, C, H, W});
}

Tensor random_cutout(const Tensor& x, RandomState* g, double ratio) {
  GANTRY_CHECK(x.dim() == 4, "random_cutout: x must be [N,C,H,W], got ", shape_str(x.shape()));
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  const int64_t sh = static_cast<int64_t>(std::lround(H * ratio)), sw = static_cast<int64_t>(std::lround(W * ratio));
  std::vector<int64_t> cy = uniform_ints(N, 0, H - 1, g), cx = uniform_ints(N, 0, W - 1, g);
  std::vector<double> mask(static_cast<size_t>(N * H * W), 1.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t i = std::max<int64_t>(0, cy[n] - sh / 2); i < std::min(H, cy[n] - sh / 2 + sh); ++i)
      for (int64_t j = std::max<int64_t>(0, cx[n] - sw / 2); j < std::min(W, cx[n] - sw / 2 + sw); ++j)
        mask[(n * H + i) * W + j] = 0.0;
  Tensor m = to(from_vector<double>(mask, {N, 1, H, W}), x.dtype()).to(x.device());  // [N,1,H,W]
  return mul(x, m);
}

Tensor diff_augment(const Tensor& x, const std::string& policy, RandomState* g) {
  if (policy.empty() || policy == "none") return x;
  check_augment_policy(policy);
  GANTRY_CHECK(policy != "ada", "diff_augment: 'ada' adapts its probability during training; use "
               "gan::AdaptiveAugment (gan/ada.h)");
  Tensor y = x;
  for (const auto& p : parts(policy)) y = p == "translation" ? random_translation(y, g) : random_cutout(y, g);
  return y;
}

}  // namespace gan
}  // namespace gantry
