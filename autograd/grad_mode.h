// autograd/grad_mode.h — whether ops record the graph (thread-local).
//
//   { gantry::NoGradGuard g; ... }   // inference, optimizer updates
// The engine also turns recording off while running a backward pass unless
// create_graph is set (that is how higher-order gradients are built).
#pragma once

namespace gantry {

struct GradMode {
  static bool is_enabled();
  static void set_enabled(bool on);
};

// Disables graph recording for its scope.
class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::is_enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// Sets recording to `on` for its scope.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool on) : prev_(GradMode::is_enabled()) { GradMode::set_enabled(on); }
  ~GradModeGuard() { GradMode::set_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace gantry
