// What a handler asked for about its own delivery, through its context: a snooze, or that a
// failure is permanent. Read by settlement once the handler has returned or thrown.
// Thread-safety: one delivery's; the handler and settlement run on the same strand.
#pragma once

#include <chrono>
#include <optional>

namespace sluice::detail {

struct delivery_outcome {
  std::optional<std::chrono::milliseconds> snooze;  // reschedule after this, without spending an attempt
  bool permanent = false;                           // a failure skips the retries
};

}  // namespace sluice::detail
