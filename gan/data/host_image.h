// gan/data/host_image.h — an image as float64 planes on the host, for the
// per-image work of super-resolution and translation that is not a tensor op:
// the degradation pipeline (gan/data/degrade.h) and the full-reference metrics
// (gan/metrics/image_quality.h). Values are in [0, 1] (8-bit picture range),
// not Gantry's [-1, 1] tensor range.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gantry {
namespace gan {

// c planes of h x w values, row-major: v[(ch * h + y) * w + x].
struct HostImage {
  int64_t c = 0, h = 0, w = 0;
  std::vector<double> v;

  HostImage() = default;
  HostImage(int64_t channels, int64_t height, int64_t width, double fill = 0.0)
      : c(channels), h(height), w(width), v(static_cast<std::size_t>(channels * height * width), fill) {}
  double& at(int64_t ch, int64_t y, int64_t x) { return v[static_cast<std::size_t>((ch * h + y) * w + x)]; }
  double at(int64_t ch, int64_t y, int64_t x) const { return v[static_cast<std::size_t>((ch * h + y) * w + x)]; }
};

}  // namespace gan
}  // namespace gantry
