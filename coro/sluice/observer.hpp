// A hook that sees how every delivery ended, for tracing, audit logs and tests (the randomized
// model test checks the engine's invariants through it). Installed through
// engine_options::observer; called synchronously on the thread that settles the delivery (a
// worker's strand, or the lease monitor's), so it must be thread-safe and quick, and must not call
// back into the engine. Exceptions it throws are swallowed and logged.
#pragma once

#include "sluice/message/message.hpp"

#include <cstdint>
#include <functional>
#include <string_view>

namespace sluice {

enum class settle_outcome : std::uint8_t {
  acknowledged,     // the handler returned: done
  snoozed,          // will run again later without spending an attempt
  retry_scheduled,  // failed (threw, timed out, stuck or lease expired); will run again
  dead_lettered,    // moved to the dead-letter queue
  superseded,       // failed, but a newer message for its dedup key runs instead
  lease_lost,       // a revoked delivery's late outcome, rejected
};

[[nodiscard]] constexpr const char* to_string(settle_outcome o) noexcept {
  switch (o) {
    case settle_outcome::acknowledged:
      return "acknowledged";
    case settle_outcome::snoozed:
      return "snoozed";
    case settle_outcome::retry_scheduled:
      return "retry scheduled";
    case settle_outcome::dead_lettered:
      return "dead-lettered";
    case settle_outcome::superseded:
      return "superseded";
    case settle_outcome::lease_lost:
      return "lease lost";
  }
  return "unknown";
}

struct settled_delivery {
  std::string_view queue;
  const message& envelope;  // as settled: attempt and lease_epoch of this delivery
  settle_outcome outcome;
};

using delivery_observer = std::function<void(const settled_delivery&)>;

}  // namespace sluice
