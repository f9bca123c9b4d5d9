// A clock that moves only when told: tests advance it to fire timers (an hour of backoff in
// microseconds of test time) and to prove that idle engines do nothing.
// Thread-safety: all members are safe from any thread; subscribers are called on the thread that
// advances the clock, after the new time is visible.
#pragma once

#include "sluice/time/clock.hpp"

#include <atomic>
#include <map>
#include <mutex>

namespace sluice {

class manual_clock final : public clock {
 public:
  explicit manual_clock(sys_time start = sys_time{std::chrono::seconds(1'700'000'000)}) noexcept
      : now_(start.time_since_epoch().count()) {}

  [[nodiscard]] sys_time now() const noexcept override {
    return sys_time{sys_time::duration{now_.load(std::memory_order_acquire)}};
  }

  void advance(sys_time::duration d);
  void set(sys_time t);

  bool subscribe(std::function<void()> on_advance, int& token) override;
  void unsubscribe(int token) noexcept override;

 private:
  void notify();

  std::atomic<sys_time::rep> now_;
  std::mutex mutex_;
  int next_token_ = 0;
  std::map<int, std::function<void()>> subscribers_;
};

}  // namespace sluice
