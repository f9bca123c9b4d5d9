// What an operator sees of a message the engine holds (engine::list_messages, find_message):
// where it is and how it got there, never its payload (payloads of dead letters are shown by
// engine::find_dead_letter; a live message's payload belongs to its handler).
#pragma once

#include "sluice/message/message_id.hpp"
#include "sluice/time/clock.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice {

enum class message_state : std::uint8_t {
  pending,      // ready (or held behind its ordering key), waiting for a worker
  scheduled,    // waiting for a moment: delayed delivery, retry backoff, snooze
  in_flight,    // a handler runs it
  dead_letter,  // in the dead-letter queue
};

[[nodiscard]] constexpr std::string_view to_string(message_state s) noexcept {
  switch (s) {
    case message_state::pending:
      return "pending";
    case message_state::scheduled:
      return "scheduled";
    case message_state::in_flight:
      return "inflight";
    case message_state::dead_letter:
      return "dlq";
  }
  return "unknown";
}

// Parses the names to_string gives ("pending", "scheduled", "inflight", "dlq").
[[nodiscard]] constexpr std::optional<message_state> parse_message_state(std::string_view s) noexcept {
  for (auto st :
       {message_state::pending, message_state::scheduled, message_state::in_flight, message_state::dead_letter}) {
    if (s == to_string(st)) return st;
  }
  return std::nullopt;
}

struct message_info {
  message_id id;
  std::string queue;
  std::string type;
  message_state state = message_state::pending;
  std::string correlation_id;  // the effective one: a root message correlates with itself
  std::uint32_t attempt = 0;   // deliveries started so far
  std::uint32_t replays = 0;
  std::uint64_t payload_bytes = 0;
  sys_time enqueued_at{};
  // scheduled: when it becomes due; in_flight: when the delivery started; pending: when it
  // became ready; dead_letter: when it was dead-lettered.
  sys_time since{};
};

struct message_filter {
  std::string queue;                   // empty = every queue
  std::optional<message_state> state;  // nullopt = every state
  std::string type;                    // empty = every type
  std::string correlation_id;          // empty = any
};

}  // namespace sluice
