// The clock every sluice timer reads. Times are wall-clock (system_clock) because scheduled
// delivery times are persisted and must mean the same moment after a restart; waits are armed
// as durations, so a clock step changes when a timer is re-checked, never what it means.
// Tests replace it with manual_clock and advance time explicitly: no test sleeps.
// Thread-safety: now() is safe from any thread.
#pragma once

#include <chrono>
#include <functional>

namespace sluice {

using sys_time = std::chrono::system_clock::time_point;

class clock {
 public:
  virtual ~clock() = default;
  [[nodiscard]] virtual sys_time now() const noexcept = 0;

  // A manual clock calls `on_advance` after every change of time so that waits armed against it
  // can re-check their deadlines; a real clock returns false and waits use real timers.
  // The subscription lasts until unsubscribe(token).
  virtual bool subscribe(std::function<void()> on_advance, int& token) = 0;
  virtual void unsubscribe(int token) noexcept = 0;
};

class system_clock final : public clock {
 public:
  [[nodiscard]] sys_time now() const noexcept override { return std::chrono::system_clock::now(); }
  bool subscribe(std::function<void()> /*on_advance*/, int& /*token*/) override { return false; }
  void unsubscribe(int /*token*/) noexcept override {}
};

// The process-wide real clock (stateless, so sharing it is harmless).
[[nodiscard]] clock& default_clock() noexcept;

}  // namespace sluice
