// gan/growth.cpp — the progressive-growing schedule (see gan/growth.h).
#include "gan/growth.h"

#include "core/error.h"
#include "gan/models/model.h"

namespace gantry {
namespace gan {

GrowthSchedule::GrowthSchedule(int64_t start, int64_t final_res, int64_t phase_images, int64_t batch,
                               std::map<int64_t, int64_t> batches)
    : start_(start), final_(final_res), phase_images_(phase_images), batch_(batch), batches_(std::move(batches)) {
  GANTRY_CHECK(is_power_of_two(start) && is_power_of_two(final_res) && start >= 4 && start < final_res, "growth: resolutions ", start,
               " -> ", final_res, " must be powers of two with 4 <= start < final");
  GANTRY_CHECK(phase_images >= 1, "growth: phase_images ", phase_images, " must be positive");
  GANTRY_CHECK(batch >= 1, "growth: batch ", batch, " must be positive");
  for (const auto& kv : batches_) {
    GANTRY_CHECK(is_power_of_two(kv.first) && kv.first >= start && kv.first <= final_res, "growth: a batch size is given for ",
                 kv.first, "x", kv.first, ", which the schedule ", start, " -> ", final_res, " never reaches");
    GANTRY_CHECK(kv.second >= 1, "growth: the batch size at ", kv.first, " (", kv.second, ") must be positive");
  }
  for (int64_t r = start; r < final_res; r *= 2) ++phases_;
}

int64_t GrowthSchedule::batch_at(int64_t r) const {
  auto it = batches_.find(r);
  return it == batches_.end() ? batch_ : it->second;
}

GrowthState GrowthSchedule::at(int64_t images) const {
  GANTRY_CHECK(images >= 0, "growth: image count ", images, " is negative");
  GrowthState s;
  const int64_t K = phase_images_;
  if (images >= total_images()) {
    s.phase = phases_ - 1;
    s.done = true;
  } else if (images < K) {
    s.phase = 0;
  } else {
    const int64_t t = images - K;  // into phases 1..: 2K each
    s.phase = 1 + t / (2 * K);
    const int64_t in = t % (2 * K);
    if (in < K) {
      s.fading = true;
      s.alpha = static_cast<double>(in) / static_cast<double>(K);
    }
  }
  s.resolution = start_ << s.phase;
  s.batch = batch_at(s.resolution);
  return s;
}

int64_t GrowthSchedule::total_steps() const {
  int64_t images = 0, steps = 0;
  while (images < total_images()) {
    images += at(images).batch;
    ++steps;
  }
  return steps;
}

bool GrowthSchedule::reset_between(const GrowthState& a, const GrowthState& b) {
  // lod's floor or ceiling changes exactly when the phase or the fading flag does.
  return a.phase != b.phase || a.fading != b.fading;
}

}  // namespace gan
}  // namespace gantry
