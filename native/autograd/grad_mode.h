// Whether ops record history: part of the current context (core/context.h), so each JS environment has its own.
#pragma once

namespace tf {

struct GradMode {
  static bool enabled();
  static void set(bool on);
};

// RAII guard: sets the mode for a scope and restores the previous one, also on exceptions.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool on) : prev_(GradMode::enabled()) { GradMode::set(on); }
  ~GradModeGuard() { GradMode::set(prev_); }
 private:
  bool prev_;
};

}  // namespace tf
