// gan/ada.cpp — the ADA pipeline and its probability controller (see ada.h).
#include "gan/ada.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace gantry {
namespace gan {

namespace {

constexpr double kPi = 3.14159265358979323846;

// 3x3 homogeneous matrices in centred pixel coordinates (x right, y down).
using M3 = std::array<double, 9>;
M3 eye() { return {1, 0, 0, 0, 1, 0, 0, 0, 1}; }
M3 compose(const M3& a, const M3& b) {
  M3 c{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) c[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return c;
}
M3 scale(double sx, double sy) { return {sx, 0, 0, 0, sy, 0, 0, 0, 1}; }
M3 translate(double tx, double ty) { return {1, 0, tx, 0, 1, ty, 0, 0, 1}; }
M3 rotate(double a) {
  const double c = std::cos(a), s = std::sin(a);
  return {c, -s, 0, s, c, 0, 0, 0, 1};
}

// A coordinate along an axis of `size` pixels (valid extent [-0.5, size - 0.5])
// reflected back into it, mirror-fashion about the outer edges.
double reflect(double i, int64_t size) {
  const double period = 2.0 * static_cast<double>(size);
  double t = std::fmod(i + 0.5, period);
  if (t < 0) t += period;
  if (t > size) t = period - t;
  return t - 0.5;
}

// The per-image random numbers: a fixed count whatever p > 0 is (and which
// steps are on), so the stream of draws does not depend on them; p = 0 draws
// nothing.
constexpr int kUniforms = 18, kNormals = 6;

}  // namespace

Tensor ada_augment(const Tensor& x, double p, RandomState* g, const AdaSteps& on) {
  GANTRY_CHECK(x.dim() == 4, "ada_augment: x must be [N,C,H,W], got ", shape_str(x.shape()));
  GANTRY_CHECK(p >= 0 && p <= 1, "ada_augment: p must be in [0, 1], got ", p);
  if (p == 0) return x;
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  const std::vector<double> U = rand({N, kUniforms}, Options(kFloat64), g).to_vector<double>();
  const std::vector<double> Z = randn({N, kNormals}, Options(kFloat64), g).to_vector<double>();
  const double p_rot = 1.0 - std::sqrt(1.0 - p);  // two rotations: about p in all
  const double log2 = std::log(2.0);

  // Geometric: one output -> input map per image.
  std::vector<M3> maps(static_cast<size_t>(N), eye());
  bool any_geometric = false;
  for (int64_t n = 0; n < N; ++n) {
    const double* u = &U[n * kUniforms];
    const double* z = &Z[n * kNormals];
    M3 m = eye();
    bool moved = false;
    auto apply = [&](bool on, const M3& t) {
      if (!on) return;
      m = compose(m, t);
      moved = true;
    };
    apply(on.xflip && u[0] < p, scale(-1, 1));                                                  // x-flip
    apply(on.rotate90 && u[1] < p, rotate(std::floor(u[2] * 4) * kPi / 2));                        // 90-degree rotation
    apply(on.int_translation && u[3] < p, translate(std::round((u[4] * 2 - 1) * 0.125 * W),               // integer translation
                              std::round((u[5] * 2 - 1) * 0.125 * H)));
    const double iso = std::exp(z[0] * 0.2 * log2);
    apply(on.iso_scale && u[6] < p, scale(iso, iso));                                               // isotropic scaling
    apply(on.rotation && u[7] < p_rot, rotate((u[8] * 2 - 1) * kPi));                              // rotation
    const double an = std::exp(z[1] * 0.2 * log2);
    apply(on.aniso_scale && u[9] < p, scale(an, 1 / an));                                             // anisotropic scaling
    apply(on.rotation && u[10] < p_rot, rotate((u[11] * 2 - 1) * kPi));                            // rotation
    apply(on.frac_translation && u[12] < p, translate(z[2] * 0.125 * W, z[3] * 0.125 * H));               // fractional translation
    maps[static_cast<size_t>(n)] = m;
    any_geometric = any_geometric || moved;
  }
  Tensor y = x;
  if (any_geometric) {
    // grid [N,H,W,2]: each output pixel's input position, reflected into the
    // image, in grid_sample's normalized units (align_corners = false).
    std::vector<double> grid(static_cast<size_t>(N * H * W * 2));
    const double cx = (W - 1) / 2.0, cy = (H - 1) / 2.0;
    for (int64_t n = 0; n < N; ++n) {
      const M3& m = maps[static_cast<size_t>(n)];
      for (int64_t i = 0; i < H; ++i)
        for (int64_t j = 0; j < W; ++j) {
          const double ox = j - cx, oy = i - cy;
          const double ix = reflect(m[0] * ox + m[1] * oy + m[2] + cx, W);
          const double iy = reflect(m[3] * ox + m[4] * oy + m[5] + cy, H);
          const size_t k = static_cast<size_t>(((n * H + i) * W + j) * 2);
          grid[k] = (ix - cx) * 2.0 / W;
          grid[k + 1] = (iy - cy) * 2.0 / H;
        }
    }
    const Tensor gt = to(from_vector<double>(grid, {N, H, W, 2}), x.dtype()).to(x.device());
    y = grid_sample(y, gt, GridPadding::Border, false);
  }

  // Colour: brightness, then contrast around each image's mean.
  std::vector<double> add_v(static_cast<size_t>(N), 0.0), mul_v(static_cast<size_t>(N), 1.0);
  bool any_b = false, any_c = false;
  for (int64_t n = 0; n < N; ++n) {
    const double* u = &U[n * kUniforms];
    const double* z = &Z[n * kNormals];
    if (on.brightness && u[13] < p) add_v[static_cast<size_t>(n)] = z[4] * 0.2, any_b = true;
    if (on.contrast && u[14] < p) mul_v[static_cast<size_t>(n)] = std::exp(z[5] * 0.5 * log2), any_c = true;
  }
  auto per_image = [&](const std::vector<double>& v) {
    return to(from_vector<double>(v, {N, 1, 1, 1}), x.dtype()).to(x.device());
  };
  if (any_b) y = add(y, per_image(add_v));
  if (any_c) {
    const Tensor mu = mean(y, {1, 2, 3}, true);  // [N,1,1,1]
    y = add(mul(sub(y, mu), per_image(mul_v)), mu);
  }

  // Cutout: a zeroed square of half the side at a uniform centre.
  std::vector<double> mask(static_cast<size_t>(N * H * W), 1.0);
  bool any_cut = false;
  const int64_t sh = std::max<int64_t>(1, H / 2), sw = std::max<int64_t>(1, W / 2);
  for (int64_t n = 0; n < N; ++n) {
    const double* u = &U[n * kUniforms];
    if (!(on.cutout && u[15] < p)) continue;
    any_cut = true;
    const double fy = u[16], fx = u[17];
    const int64_t cyi = std::min<int64_t>(H - 1, static_cast<int64_t>(fy * H));
    const int64_t cxi = std::min<int64_t>(W - 1, static_cast<int64_t>(fx * W));
    for (int64_t i = std::max<int64_t>(0, cyi - sh / 2); i < std::min(H, cyi - sh / 2 + sh); ++i)
      for (int64_t j = std::max<int64_t>(0, cxi - sw / 2); j < std::min(W, cxi - sw / 2 + sw); ++j)
        mask[static_cast<size_t>((n * H + i) * W + j)] = 0.0;
  }
  if (any_cut) y = mul(y, to(from_vector<double>(mask, {N, 1, H, W}), x.dtype()).to(x.device()));
  return y;
}

AdaptiveAugment::AdaptiveAugment(double target, int64_t interval, double speed_images, double p)
    : target_(target), speed_images_(speed_images), p_(p), interval_(interval) {
  GANTRY_CHECK(target > 0 && target < 1, "ada: target ", target, " must be in (0, 1)");
  GANTRY_CHECK(interval >= 1, "ada: interval ", interval, " must be >= 1");
  GANTRY_CHECK(speed_images > 0, "ada: speed ", speed_images, " must be positive (images for p to go 0 -> 1)");
  GANTRY_CHECK(p >= 0 && p <= 1, "ada: p ", p, " must be in [0, 1]");
}

bool AdaptiveAugment::observe(const Tensor& d_real) {
  GANTRY_CHECK(d_real.dim() == 1, "ada: observe takes D's outputs [N], got ", shape_str(d_real.shape()));
  const std::vector<double> v = to(d_real.detach(), kFloat64).to(kCPU).to_vector<double>();
  for (double d : v) sign_sum_ += (d > 0) - (d < 0);
  count_ += static_cast<int64_t>(v.size());
  if (++steps_ < interval_) return false;
  rt_ = count_ > 0 ? sign_sum_ / static_cast<double>(count_) : 0.0;
  const double step = static_cast<double>(count_) / speed_images_;
  p_ = std::min(1.0, std::max(0.0, p_ + (rt_ > target_ ? step : rt_ < target_ ? -step : 0.0)));
  sign_sum_ = 0;
  count_ = 0;
  steps_ = 0;
  return true;
}

void AdaptiveAugment::set_state(double p, double sign_sum, int64_t count, int64_t steps) {
  GANTRY_CHECK(p >= 0 && p <= 1 && count >= 0 && steps >= 0, "ada: bad saved state (p ", p, ", count ", count,
               ", steps ", steps, ")");
  GANTRY_CHECK(steps < interval_, "ada: the checkpoint stands ", steps, " D steps into an interval, but ada_interval is ",
               interval_, "; resume with the run's ada_interval");
  p_ = p;
  sign_sum_ = sign_sum;
  count_ = count;
  steps_ = steps;
}

}  // namespace gan
}  // namespace gantry
