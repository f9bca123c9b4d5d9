// Retry backoff: how long a failed message waits before its next attempt. Pure arithmetic on a
// policy and an attempt number, plus jitter drawn from a caller-supplied random source, so tests
// replay exact delays from a seed. Names follow the operations guide: backoff strategy, initial
// and max backoff. Spec of each strategy: docs/api.md ("Retries").
// Thread-safety: backoff_delay is a pure function; a random_source is owned by one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

namespace sluice {

enum class backoff_strategy : std::uint8_t {
  fixed,        // initial, every time
  linear,       // initial * n
  exponential,  // initial * multiplier^(n-1)
  intervals,    // intervals[n-1], the last one repeating
};

enum class jitter_mode : std::uint8_t {
  none,
  full,        // uniform in [0, d]: spreads a thundering herd the most
  equal,       // d/2 + uniform in [0, d/2]: keeps at least half the delay
  percentage,  // d * (1 + uniform in [-p, +p]), p = jitter_percent / 100
};

struct backoff_policy {
  backoff_strategy strategy = backoff_strategy::exponential;
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{std::chrono::minutes(5)};  // cap, applied before jitter
  double multiplier = 2.0;                                 // exponential only
  std::vector<std::chrono::milliseconds> intervals;        // intervals only
  jitter_mode jitter = jitter_mode::equal;
  double jitter_percent = 20;  // percentage only, in [0, 100]
};

// splitmix64: small, fast, and good enough to decorrelate retry times; seeded by the caller.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) noexcept : state_(seed) {}
  [[nodiscard]] std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1).
  [[nodiscard]] double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// The delay before retry number `retry` (1 = the first retry, after the first failure).
// The un-jittered delay is capped at policy.max; jitter never makes a delay negative, and only
// percentage jitter can exceed the cap (by at most jitter_percent).
[[nodiscard]] std::chrono::milliseconds backoff_delay(const backoff_policy& policy, std::uint32_t retry,
                                                      random_source& random) noexcept;

// The capped delay before jitter, for documentation and tests.
[[nodiscard]] std::chrono::milliseconds backoff_base_delay(const backoff_policy& policy, std::uint32_t retry) noexcept;

// Checks a policy: empty if valid, else what is wrong (for a configuration error).
[[nodiscard]] std::string_view validate(const backoff_policy& policy) noexcept;

}  // namespace sluice
