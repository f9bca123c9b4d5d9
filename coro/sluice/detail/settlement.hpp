// What happens to a delivery once its handler has returned or thrown: success acknowledges it; a
// snooze reschedules it without spending an attempt; a failure is recorded and then retried after
// its handler's backoff, or dead-lettered when it is permanent or the retries are spent.
// Thread-safety: called concurrently by workers of every queue; each passes its own stats and
// random source.
#pragma once

#include "sluice/detail/delivery_outcome.hpp"
#include "sluice/detail/delivery_stats.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/message/dead_letter.hpp"
#include "sluice/message/failure.hpp"
#include "sluice/message/message.hpp"
#include "sluice/retry/backoff.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>

namespace sluice::detail {

class engine_core;
class queue_runtime;

struct classified_failure {
  failure cause;
  bool permanent = false;  // permanent_error or decode_error: retrying cannot help
};

enum class failure_kind : std::uint8_t { retryable, permanent };

// The exception's demangled type and message; never throws.
[[nodiscard]] classified_failure classify(const std::exception& e, failure_kind kind) noexcept;
[[nodiscard]] classified_failure classify_unknown() noexcept;
// Same, for a stored exception (rethrows it once to look inside).
[[nodiscard]] classified_failure describe(const std::exception_ptr& error) noexcept;

class settlement {
 public:
  explicit settlement(engine_core& core) noexcept : core_(core) {}

  // `stats` and `random` belong to the calling worker.
  void succeeded(queue_runtime& queue, delivery_stats& stats, std::unique_ptr<message> m, std::chrono::nanoseconds took,
                 const delivery_outcome& outcome) noexcept;
  void failed(queue_runtime& queue, delivery_stats& stats, random_source& random, std::unique_ptr<message> m,
              classified_failure why, std::chrono::nanoseconds took, const delivery_outcome& outcome) noexcept;

  // The lease monitor revoked a delivery (stuck or lease expired) and copied its message: a failed
  // attempt, retried or dead-lettered like any other. `stats` and `random` are the monitor's.
  void revoked(queue_runtime& queue, delivery_stats& stats, random_source& random, std::unique_ptr<message> m,
               failure cause) noexcept;

  // The delivery could not start (its checkout could not be journaled): m runs again at `due`,
  // its attempt not spent (the caller has taken the checkout's increments back).
  void postpone(queue_runtime& queue, std::unique_ptr<message> m, sys_time due) noexcept {
    run_again(queue, std::move(m), due);
  }

  // Moves m into its queue's dead-letter store (logging an eviction if the store was full).
  void dead_letter_now(queue_runtime& queue, std::unique_ptr<message> m, dead_letter_reason reason,
                       failure cause) noexcept;
  // Records e in the journal when persistence is on (fire and forget; failures counted).
  void record_event(const journal::event& e) noexcept;

 private:
  // Records the failure and retries m after its backoff, or dead-letters it.
  void retry_or_dead_letter(queue_runtime& queue, delivery_stats& stats, random_source& random,
                            std::unique_ptr<message> m, failure cause, bool permanent) noexcept;
  // Reschedules m (retry, snooze) unless a newer message for its dedup key supersedes it.
  void run_again(queue_runtime& queue, std::unique_ptr<message> m, sys_time due) noexcept;
  void journal_reschedule(const message& m, sys_time due, bool snooze) noexcept;
  // m was acknowledged or dead-lettered: releases its dedup key (publishing a held follow-up).
  void release_key(queue_runtime& queue, const message& m) noexcept;

  engine_core& core_;
};

}  // namespace sluice::detail
