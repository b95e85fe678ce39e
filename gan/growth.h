// gan/growth.h — progressive growing's schedule: where the run stands after a
// number of real images shown, as a pure function (so a resumed run finds the
// same phase, alpha and batch from the image count alone).
//
// Phases, one per resolution start, 2*start, ..., final (powers of two):
//   phase 0 (start)   stable: K images
//   phase p >= 1      fade-in: K images, alpha rising linearly 0 -> 1
//                     stable:  K images (alpha = 1)
// K = phase_images. After the last phase's stable stretch the run stays at
// the final resolution (stable), for as many steps as asked. Each step
// shows one batch of the phase's batch size (per-resolution overrides, else
// the default batch); a step belongs to the phase in which it starts, with
// the alpha of its first image.
//
//   GrowthSchedule g(4, 32, 60000, 64, {{"32", 32}});
//   GrowthState s = g.at(150000);  // phase 1 (8x8), fading: alpha 0.5, batch 64
//   g.total_steps();               // steps until 7 * 60000 images are shown
//
// The Adam states are reset where the paper's code resets them: whenever the
// level of detail lod = log2(final) - log2(resolution) + (1 - alpha) changes
// its floor or ceiling, i.e. when a fade-in starts and when it ends
// (reset_between()).
#pragma once
#include <cstdint>
#include <map>
#include <string>

namespace gantry {
namespace gan {

struct GrowthState {
  int64_t phase = 0;       // 0 .. phases()-1
  int64_t resolution = 4;  // the phase's resolution
  double alpha = 1.0;      // the newest block's weight (1: stable)
  bool fading = false;     // in the fade-in half of a phase
  int64_t batch = 0;       // the phase's batch size
  bool done = false;       // past the schedule (stable at the final resolution)
};

class GrowthSchedule {
 public:
  // batches: resolution -> batch size overrides; the others use `batch`.
  GrowthSchedule(int64_t start_resolution, int64_t final_resolution, int64_t phase_images, int64_t batch,
                 std::map<int64_t, int64_t> batches = {});
  GrowthState at(int64_t images) const;
  int64_t phases() const { return phases_; }
  // Images of the whole schedule: K * (2 * phases - 1).
  int64_t total_images() const { return phase_images_ * (2 * phases_ - 1); }
  // Steps that show total_images() (each step one batch of its phase).
  int64_t total_steps() const;
  // The batch size at `resolution`.
  int64_t batch_at(int64_t resolution) const;
  // Whether the optimizer states are reset between a step that started in
  // state `a` and one that starts in `b` (a fade-in began or ended).
  static bool reset_between(const GrowthState& a, const GrowthState& b);

 private:
  int64_t start_, final_, phase_images_, batch_;
  std::map<int64_t, int64_t> batches_;
  int64_t phases_ = 1;
};

}  // namespace gan
}  // namespace gantry
