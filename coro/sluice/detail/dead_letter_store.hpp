// A queue's dead letters, oldest first, bounded by dead_letter_capacity (the oldest is evicted
// and counted when full). Operators list, get, replay and purge through the engine; a replayed
// letter leaves the store and its message re-enters the queue.
// Thread-safety: every member locks; safe from any thread.
#pragma once

#include "sluice/message/dead_letter.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::detail {

// Which letters a replay may take: not quarantined ones (replayed `quarantine_at` times or more),
// and only those that arrived before `before`, so a long batched replay never takes back a message
// it replayed itself that failed again.
struct replay_scope {
  std::uint32_t quarantine_at = UINT32_MAX;
  std::uint64_t before = UINT64_MAX;
};

struct replay_count {
  std::size_t replayable = 0;
  std::size_t quarantined = 0;
};

class dead_letter_store {
 public:
  explicit dead_letter_store(std::size_t capacity) noexcept : capacity_(capacity == 0 ? 1 : capacity) {}

  // Adds a letter; returns the id of the letter evicted to make room, if any.
  std::optional<message_id> add(dead_letter letter);

  [[nodiscard]] std::vector<dead_letter> list(const dead_letter_filter& filter, std::size_t limit,
                                              std::size_t offset) const;
  [[nodiscard]] std::optional<dead_letter> get(const message_id& id) const;
  // Removes and returns matching letters in scope (for replay), oldest first, at most `limit`.
  [[nodiscard]] std::vector<dead_letter> take(const dead_letter_filter& filter, const replay_scope& scope,
                                              std::size_t limit);
  [[nodiscard]] replay_count count(const dead_letter_filter& filter, const replay_scope& scope) const;
  // The sequence the next letter will get: a replay_scope::before that excludes later arrivals.
  [[nodiscard]] std::uint64_t next_sequence() const;
  [[nodiscard]] std::optional<dead_letter> take(const message_id& id);
  // Removes matching letters; their ids go to `ids` when given (for the journal).
  std::size_t purge(const dead_letter_filter& filter, std::vector<message_id>* ids = nullptr);
  // Letters per failure type (the operators' "error types" statistics).
  void count_error_types(const dead_letter_filter& filter, std::map<std::string, std::uint64_t>& out) const;

  [[nodiscard]] std::size_t size() const;
  [[nodiscard]] std::uint64_t total() const;    // letters ever added
  [[nodiscard]] std::uint64_t evicted() const;  // letters dropped because the store was full

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<dead_letter> letters_;  // by dead_lettered_at
  std::uint64_t total_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t evicted_ = 0;
};

}  // namespace sluice::detail
