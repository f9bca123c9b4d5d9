// Real and manual clocks (see clock.hpp, manual_clock.hpp).
#include "sluice/time/clock.hpp"
#include "sluice/time/manual_clock.hpp"

#include <vector>

namespace sluice {

clock& default_clock() noexcept {
  static system_clock instance;
  return instance;
}

void manual_clock::advance(sys_time::duration d) {
  now_.fetch_add(d.count(), std::memory_order_acq_rel);
  notify();
}

void manual_clock::set(sys_time t) {
  now_.store(t.time_since_epoch().count(), std::memory_order_release);
  notify();
}

bool manual_clock::subscribe(std::function<void()> on_advance, int& token) {
  std::lock_guard lock(mutex_);
  token = ++next_token_;
  subscribers_.emplace(token, std::move(on_advance));
  return true;
}

void manual_clock::unsubscribe(int token) noexcept {
  std::lock_guard lock(mutex_);
  subscribers_.erase(token);
}

void manual_clock::notify() {
  std::vector<std::function<void()>> calls;
  {
    std::lock_guard lock(mutex_);
    calls.reserve(subscribers_.size());
    for (auto& [token, fn] : subscribers_) calls.push_back(fn);
  }
  for (auto& fn : calls) fn();
}

}  // namespace sluice
