// The message envelope: what the engine stores, dispatches, journals and shows to operators.
// The payload is opaque bytes; typed messages are JSON produced by Boost.JSON conversions.
// Thread-safety: a message is owned by exactly one party at a time (a producer, the ready ring,
// a worker); ownership moves, nothing is shared.
#pragma once

#include "sluice/message/message_id.hpp"
#include "sluice/time/clock.hpp"

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sluice {

using header = std::pair<std::string, std::string>;

struct message;

// Where the operators' index of live messages (coro's live_index) holds a message: its links and
// the summary fields that change while the message is live, so that listing reads them while
// producers and workers move the message on. The links are the index's (under its shard lock);
// the atomics are written by the message's owner and read by listings. A copied message starts
// unlinked: the links belong to the object, not to its contents.
struct index_hook {
  message* prev = nullptr;
  message* next = nullptr;
  std::uint8_t list = 0;                  // 0: not linked; else the index's list (under its lock)
  std::atomic<std::uint8_t> state{0};     // the index's message_state
  std::atomic<std::uint32_t> attempt{0};  // deliveries started, as operators see it
  std::atomic<std::int64_t> since{0};     // sys_time ticks: ready at, due at, started at
  std::atomic<std::uint64_t> payload_bytes{0};

  index_hook() = default;
  index_hook(const index_hook&) noexcept {}
  // Assigning contents leaves both objects' links where they are (self-assignment included).
  index_hook& operator=(const index_hook& other) noexcept {
    if (this == &other) return *this;
    return *this;
  }
  ~index_hook() = default;
};

struct message {
  message_id id;
  std::string type;     // stable type name chosen by the application ("orders.placed")
  std::string payload;  // bytes; JSON text for typed messages
  // Chaining: correlation is shared by every message of one workflow (empty = this message's id,
  // i.e. it is a root); causation is the id of the message whose handler enqueued this one.
  std::string correlation_id;
  message_id causation_id;
  std::vector<header> headers;
  std::string dedup_key;     // empty = not deduplicated
  std::string ordering_key;  // empty = no per-key ordering
  sys_time enqueued_at{};
  sys_time not_before{};          // delayed or scheduled delivery; zero = as soon as possible
  std::uint32_t attempt = 0;      // deliveries started so far (the first delivery is attempt 1); never decreases
  std::uint32_t snoozes = 0;      // deliveries that ended in a snooze: they do not spend the retry budget
  std::uint32_t replays = 0;      // times an operator replayed it out of the dead-letter queue
  std::uint64_t lease_epoch = 0;  // checkouts so far: fences outcomes of revoked deliveries
  sys_time first_failure_at{};    // zero until the first failed delivery

  // Runtime routing, resolved when the message is admitted; not part of the persisted form.
  std::uint32_t queue_index = 0;
  std::uint32_t handler_index = 0;
  // Tracing, between enqueue and its publish span's end: the span the publish span is a child of.
  std::uint64_t publish_parent_span = 0;
  // The operators' index (not persisted, not copied).
  index_hook hook;

  // Returns the envelope to its default state but keeps string capacity, so a recycled envelope
  // usually needs no allocation for its next payload.
  void reset_for_reuse() noexcept {
    id = {};
    type.clear();
    payload.clear();
    correlation_id.clear();
    causation_id = {};
    headers.clear();
    dedup_key.clear();
    ordering_key.clear();
    enqueued_at = {};
    not_before = {};
    attempt = 0;
    snoozes = 0;
    replays = 0;
    lease_epoch = 0;
    first_failure_at = {};
    queue_index = 0;
    handler_index = 0;
    publish_parent_span = 0;
  }

  // Deliveries that count against the retry budget.
  [[nodiscard]] std::uint32_t spent_attempts() const noexcept { return attempt - snoozes; }

  // The correlation id as the application sees it: a root message correlates with itself.
  [[nodiscard]] std::string effective_correlation_id() const {
    return correlation_id.empty() ? id.to_string() : correlation_id;
  }
};

}  // namespace sluice
