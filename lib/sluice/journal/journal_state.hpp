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

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::journal {

enum class message_place : std::uint8_t { ready, scheduled, in_flight, dead };

// A message of the durable state. Small (the message and its dead letter are behind pointers), so
// that the state's table and the vectors recovery hands out move pointers, not envelopes: the
// message recovery decodes is the one the engine publishes. Move-only; clone() copies.
struct durable_message {
  std::string queue;
  std::unique_ptr<message> m = std::make_unique<message>();
  message_place place = message_place::ready;
  sys_time due{};                       // scheduled: when
  std::uint64_t order = 0;              // LSN that last made it ready or scheduled: replays keep enqueue order
  std::uint64_t last_lsn = 0;           // LSN of the last event applied (a snapshot skips older ones)
  std::unique_ptr<dead_letter> letter;  // dead only: the letter (envelope filled by take())

  [[nodiscard]] durable_message clone() const;
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
// The same for a message already decoded into d (its queue and message filled): sets where the
// enqueue at `lsn` puts it.
void place_enqueued(durable_message& d, std::uint64_t lsn);

// Applies an event that changes a message in place (anything but enqueue, ack and purge) to it.
// Shared by recovery and by the snapshot's delta, so both fold events the same way.
void apply_to(durable_message& d, std::uint64_t lsn, const event& e);

class journal_state {
 public:
  // A message as a snapshot holds it; events after the snapshot's LSN are then apply()ed.
  void load(durable_message d);
  void apply(std::uint64_t lsn, const event& e);
  void apply(std::uint64_t lsn, event&& e);  // moves an enqueued message in
  // A checkout the journal may not have (checkout_ledger.hpp): applied at `lsn` only when its
  // message is live, not dead-lettered, and the checkout's lease epoch is above the message's
  // (its record was lost). True when applied.
  bool apply_if_newer(std::uint64_t lsn, const checkout_event& c);
  [[nodiscard]] recovered_state recovered() const;  // a copy
  [[nodiscard]] recovered_state take();             // moves the messages out; the state is empty after
  [[nodiscard]] std::size_t size() const noexcept { return slots_.size() - ended_; }
  [[nodiscard]] std::uint64_t contradictions() const noexcept { return contradictions_; }
  // Room for this many more messages without growing (recovery knows how many records follow).
  void reserve(std::size_t more);

 private:
  durable_message* lookup(const message_id& id);
  durable_message* find(const message_id& id);  // counts a contradiction when it is not there
  void erase(const message_id& id);
  void compact();
  void index_pending();

  // The messages in the order they arrived (a slot whose message ended holds none until the
  // next compaction), so that take() finds the ready ones in order without sorting, and an id
  // index with open addressing (no allocation per message). The index is built lazily: only an
  // event that names an earlier message (or an id that is not above every id loaded so far, which
  // might repeat one) indexes the slots loaded since the last lookup. A backlog of enqueues with
  // rising ids (one generator's) is never indexed at all; any other journal costs what an eager
  // index would.
  std::vector<durable_message> slots_;
  boost::unordered_flat_map<message_id, std::uint32_t, message_id_hash> index_;
  std::size_t indexed_ = 0;  // slots_[0, indexed_) are in the index (the live ones)
  std::size_t ended_ = 0;    // slots whose message ended
  std::uint64_t contradictions_ = 0;
  message_id largest_;
};

}  // namespace sluice::journal
