// Rebuilds the engine's durable state from journal events, in LSN order: which messages are
// ready, scheduled, in flight when the process stopped, or dead-lettered, with their attempt
// counts, payload replacements and replays. Recovery feeds it the records after the snapshot's
// LSN (on top of the snapshot's messages, load()ed first); the engine then publishes what it returns. An event that
// contradicts the state (an ack of an unknown message, a second enqueue of one id) is counted and ignored: the
// journal's CRCs make those impossible unless records were lost, which recovery reports separately. Thread-safety: one
// thread.
#pragma once

#include "sluice/journal/record_codec.hpp"
#include "sluice/message/dead_letter.hpp"
#include "sluice/message/message_id.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace sluice::journal {

enum class message_place : std::uint8_t { ready, scheduled, in_flight, dead };

struct durable_message {
  std::string queue;
  message m;
  message_place place = message_place::ready;
  sys_time due{};              // scheduled: when
  std::uint64_t order = 0;     // LSN that last made it ready or scheduled: replays keep enqueue order
  std::uint64_t last_lsn = 0;  // LSN of the last event applied (a snapshot skips older ones)
  dead_letter letter;          // dead: the letter (envelope filled by recovered())
};

struct recovered_state {
  std::vector<durable_message> ready;      // by order
  std::vector<durable_message> scheduled;  // by due, then order
  std::vector<durable_message> in_flight;  // checked out and not settled: their attempt is counted
  std::vector<durable_message> dead;       // by dead-letter time
  std::uint64_t contradictions = 0;
  message_id largest_id;  // the id generator continues above it
};

// The message an enqueue at `lsn` puts in the durable state: ready, or scheduled when it has a
// not_before. Shared by recovery and by the snapshot's delta.
[[nodiscard]] durable_message enqueued(std::uint64_t lsn, enqueue_event e);

// Applies an event that changes a message in place (anything but enqueue, ack and purge) to it.
// Shared by recovery and by the snapshot's delta, so both fold events the same way.
void apply_to(durable_message& d, std::uint64_t lsn, const event& e);

class journal_state {
 public:
  // A message as a snapshot holds it; events after the snapshot's LSN are then apply()ed.
  void load(durable_message d);
  void apply(std::uint64_t lsn, const event& e);
  void apply(std::uint64_t lsn, event&& e);         // moves an enqueued message in
  [[nodiscard]] recovered_state recovered() const;  // a copy
  [[nodiscard]] recovered_state take();             // moves the messages out; the state is empty after
  [[nodiscard]] std::size_t size() const noexcept { return messages_.size(); }
  [[nodiscard]] std::uint64_t contradictions() const noexcept { return contradictions_; }

 private:
  durable_message* find(const message_id& id);
  std::unordered_map<message_id, durable_message, message_id_hash> messages_;
  std::uint64_t contradictions_ = 0;
  message_id largest_;
};

}  // namespace sluice::journal
