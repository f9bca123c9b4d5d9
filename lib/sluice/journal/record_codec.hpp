// Payloads of journal records: what each engine event writes and what recovery reads back. Binary,
// little-endian, lengths as LEB128 varints; every decode is bounds-checked and returns nullopt on
// anything malformed (the reader's CRCs make that corruption, never a crash). Times are
// nanoseconds since the Unix epoch.
// Thread-safety: pure functions.
#pragma once

#include "sluice/journal/format.hpp"
#include "sluice/message/dead_letter.hpp"
#include "sluice/message/message.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sluice::journal {

// The message as admitted: everything of `message` that is not runtime routing, plus its queue.
struct enqueue_event {
  std::string queue;
  message m;
};
// A worker took the message: noted in the checkout ledger (checkout_ledger.hpp), or written,
// before its handler runs.
struct checkout_event {
  message_id id;
  std::uint32_t attempt = 0;
  std::uint64_t lease_epoch = 0;
};
struct ack_event {
  message_id id;
};
// The message waits until `due` (a retry after a failure, or a snooze).
struct reschedule_event {
  message_id id;
  sys_time due{};
  std::uint32_t attempt = 0;
  std::uint32_t snoozes = 0;
  sys_time first_failure_at{};
  bool snooze = false;
};
struct dead_letter_event {
  message_id id;
  dead_letter_reason reason = dead_letter_reason::retries_exhausted;
  failure cause;
  sys_time first_failure_at{};
  sys_time last_failure_at{};
  sys_time dead_lettered_at{};
};
struct replay_event {
  message_id id;
  bool reset_attempts = false;
};
struct purge_event {
  message_id id;
};
// A dedup replacement: the pending message takes a new payload and headers.
struct replace_event {
  message_id id;
  std::string payload;
  std::vector<header> headers;
};
struct lease_event {
  message_id id;
  std::uint64_t lease_epoch = 0;
  sys_time until{};
};

using event = std::variant<enqueue_event, checkout_event, ack_event, reschedule_event, dead_letter_event, replay_event,
                           purge_event, replace_event, lease_event>;

// The message an event is about.
[[nodiscard]] const message_id& event_id(const event& e) noexcept;

// The enqueue payload straight from a message (no copy of it into an enqueue_event).
void encode_enqueue(std::string_view queue, const message& m, std::string& out);

// Appends the payload of `e` to out and returns the record type to write it under.
record_type encode_event(const event& e, std::string& out);
[[nodiscard]] std::optional<event> decode_event(record_type type, std::string_view payload);
// An enqueue payload decoded straight into a message the caller owns (recovery decodes into the
// heap message the engine keeps, with no moves in between); false if it does not decode, leaving
// `queue` and `m` partly filled.
[[nodiscard]] bool decode_enqueue(std::string_view payload, std::string& queue, message& m);

}  // namespace sluice::journal
