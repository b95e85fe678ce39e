// core/rng.h — Philox-4x32-10, the counter-based generator shared by every
// backend (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11).
//
// A draw is a pure function of (seed, counter): element i of a random tensor
// uses counter (generator offset + i), so results do not depend on the thread
// count, and a CUDA kernel computing the same function reproduces them bit for
// bit. Each random tensor advances the RandomState's offset by its numel.
//
//   uniform float32 : top 24 bits of word 0, times 2^-24           -> [0, 1)
//   uniform float64 : top 53 bits of words (0,1), times 2^-53      -> [0, 1)
//   normal          : Box-Muller on two float64 uniforms from words (0,1),(2,3)
//   integer [lo,hi) : 64 bits of words (0,1), multiply-shift by the range
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <utility>

#include "core/hd.h"


namespace gantry {

struct Philox {
  // Returns the 4 output words for a 128-bit counter (c0..c3) and 64-bit key.
  GANTRY_HD static void block(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                              uint32_t k1, uint32_t out[4]) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
      uint64_t p0 = static_cast<uint64_t>(M0) * c0;
      uint64_t p1 = static_cast<uint64_t>(M1) * c2;
      uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
      uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
      uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
      c0 = n0; c1 = n1; c2 = n2; c3 = n3;
      k0 += W0;
      k1 += W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
  }
  // The draw for element counter `ctr` (64-bit) under `seed`.
  GANTRY_HD static void draw(uint64_t seed, uint64_t ctr, uint32_t out[4]) {
    block(static_cast<uint32_t>(ctr), static_cast<uint32_t>(ctr >> 32), 0, 0,
          static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), out);
  }
  GANTRY_HD static float uniform_f32(const uint32_t w[4]) {
    return static_cast<float>(w[0] >> 8) * (1.0f / 16777216.0f);
  }
  GANTRY_HD static double uniform_f64(uint32_t a, uint32_t b) {
    uint64_t x = (static_cast<uint64_t>(a) << 32 | b) >> 11;
    return static_cast<double>(x) * (1.0 / 9007199254740992.0);
  }
  GANTRY_HD static double normal(const uint32_t w[4]) {
    double u1 = uniform_f64(w[0], w[1]), u2 = uniform_f64(w[2], w[3]);
    // 1 - u1 is in (0, 1], so the log is finite.
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(6.283185307179586 * u2);
  }
};

// The state of a random stream: a seed plus a running counter offset into
// Philox (named RandomState, not "Generator", so that it cannot be confused
// with a GAN's generator network, gan::GeneratorNet). Thread-safe.
class RandomState {
 public:
  explicit RandomState(uint64_t seed = 0x5EEDull) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    std::lock_guard<std::mutex> l(m_);
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const {
    std::lock_guard<std::mutex> l(m_);
    return seed_;
  }
  uint64_t offset() const {
    std::lock_guard<std::mutex> l(m_);
    return offset_;
  }
  // Reserves n counters under the current seed, as one atomic step: a
  // manual_seed on another thread cannot fall between reading the seed and
  // taking the offset. Returns {seed, first counter}.
  std::pair<uint64_t, uint64_t> reserve(uint64_t n) {
    std::lock_guard<std::mutex> l(m_);
    const uint64_t o = offset_;
    offset_ += n;
    return {seed_, o};
  }
  // {seed, offset} read together (checkpoints).
  std::pair<uint64_t, uint64_t> state() const {
    std::lock_guard<std::mutex> l(m_);
    return {seed_, offset_};
  }
  void set_offset(uint64_t o) {
    std::lock_guard<std::mutex> l(m_);
    offset_ = o;
  }
  // Reserves n counters; returns the first.
  uint64_t advance(uint64_t n) {
    std::lock_guard<std::mutex> l(m_);
    uint64_t o = offset_;
    offset_ += n;
    return o;
  }

 private:
  mutable std::mutex m_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

RandomState& default_random_state();
// Seeds the default RandomState (offset back to 0).
void manual_seed(uint64_t seed);

}  // namespace gantry
