// What a deduplication key is doing right now, for operators (engine::dedup_key_state).
#pragma once

#include "sluice/message/message_id.hpp"
#include "sluice/time/clock.hpp"

#include <cstdint>

namespace sluice {

struct dedup_key_state {
  enum class phase : std::uint8_t {
    pending,    // its message waits to run; an enqueue with the key replaces the payload
    in_flight,  // its message runs
    retained,   // its message finished; the key stays taken until retained_until (dedup_window)
  };
  phase what = phase::pending;
  message_id message;              // the pending or in-flight message
  bool follow_up_held = false;     // coalesce_after_inflight: one follow-up waits for it
  bool successor_pending = false;  // replace_pending while in flight: a newer message is queued
  sys_time retained_until{};
};

}  // namespace sluice
