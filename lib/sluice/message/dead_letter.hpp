// A dead letter: a message that will not be retried any more, with why and when, as operators
// inspect, replay and purge it. Thread-safety: a value type.
#pragma once

#include "sluice/message/failure.hpp"
#include "sluice/message/message.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace sluice {

enum class dead_letter_reason : std::uint8_t {
  retries_exhausted,  // failed 1 + max_retries times
  permanent_failure,  // a permanent_error, a decode_error, or ctx.mark_permanent_failure()
};

[[nodiscard]] constexpr const char* to_string(dead_letter_reason r) noexcept {
  return r == dead_letter_reason::retries_exhausted ? "retries exhausted" : "permanent failure";
}

struct dead_letter {
  message envelope;  // as it was at its last delivery (attempt count included)
  std::string queue;
  dead_letter_reason reason = dead_letter_reason::retries_exhausted;
  failure cause;  // the last failure
  sys_time first_failure_at{};
  sys_time last_failure_at{};
  sys_time dead_lettered_at{};
  std::uint64_t sequence = 0;  // arrival order in its queue's dead-letter store (set by the store)
};

// Selects dead letters for list, replay, purge and statistics; empty fields match everything.
struct dead_letter_filter {
  std::string queue;
  std::string error_contains;    // substring of the failure's type or text
  std::optional<sys_time> from;  // dead-lettered at or after
  std::optional<sys_time> to;    // dead-lettered before

  [[nodiscard]] bool matches(const dead_letter& d) const {
    if (!queue.empty() && d.queue != queue) return false;
    if (from && d.dead_lettered_at < *from) return false;
    if (to && !(d.dead_lettered_at < *to)) return false;
    if (!error_contains.empty() && d.cause.error_type.find(error_contains) == std::string::npos &&
        d.cause.what.find(error_contains) == std::string::npos) {
      return false;
    }
    return true;
  }
};

}  // namespace sluice
