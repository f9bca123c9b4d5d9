// Retry backoff (see backoff.hpp).
#include "sluice/retry/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace sluice {

std::chrono::milliseconds backoff_base_delay(const backoff_policy& p, std::uint32_t retry) noexcept {
  const std::uint32_t n = retry == 0 ? 1 : retry;
  const double initial = static_cast<double>(p.initial.count());
  const double cap = static_cast<double>(p.max.count());
  double d = 0;
  switch (p.strategy) {
    case backoff_strategy::fixed:
      d = initial;
      break;
    case backoff_strategy::linear:
      d = initial * n;
      break;
    case backoff_strategy::exponential:
      // pow may overflow to inf for large n; the cap below handles it.
      d = initial * std::pow(p.multiplier, static_cast<double>(n - 1));
      break;
    case backoff_strategy::intervals:
      if (p.intervals.empty()) {
        d = initial;
      } else {
        d = static_cast<double>(p.intervals[std::min<std::size_t>(n - 1, p.intervals.size() - 1)].count());
      }
      break;
  }
  if (!(d <= cap)) d = cap;  // also catches NaN and inf
  if (d < 0) d = 0;
  return std::chrono::milliseconds(static_cast<std::int64_t>(d));
}

std::chrono::milliseconds backoff_delay(const backoff_policy& p, std::uint32_t retry, random_source& random) noexcept {
  const auto base = backoff_base_delay(p, retry);
  const double d = static_cast<double>(base.count());
  double jittered = d;
  switch (p.jitter) {
    case jitter_mode::none:
      break;
    case jitter_mode::full:
      jittered = d * random.unit();
      break;
    case jitter_mode::equal:
      jittered = d / 2 + (d / 2) * random.unit();
      break;
    case jitter_mode::percentage: {
      const double pct = std::clamp(p.jitter_percent, 0.0, 100.0) / 100.0;
      jittered = d * (1 + pct * (2 * random.unit() - 1));
      break;
    }
  }
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, jittered)));
}

std::string_view validate(const backoff_policy& p) noexcept {
  if (p.initial.count() < 0) return "initial backoff is negative";
  if (p.max < p.initial) return "max backoff is below the initial backoff";
  if (p.strategy == backoff_strategy::exponential && !(p.multiplier >= 1.0)) return "multiplier must be >= 1";
  if (p.strategy == backoff_strategy::intervals && p.intervals.empty()) return "intervals strategy needs intervals";
  for (const auto& i : p.intervals) {
    if (i.count() < 0) return "an interval is negative";
  }
  if (p.jitter == jitter_mode::percentage && !(p.jitter_percent >= 0 && p.jitter_percent <= 100)) {
    return "jitter percent must be within [0, 100]";
  }
  return {};
}

}  // namespace sluice
