// What changed since a snapshot generation's covered LSN, folded so a commit writes each touched
// message once: a message enqueued and acknowledged between two snapshots costs the database
// nothing; a message enqueued since keeps its whole row here, or (fed by the running engine) only
// where its enqueue record is in the journal and the events since, and the commit reads it back
// from there (journal::record_reader); a message the database already holds keeps the events that
// changed it, applied to its stored row at commit (skipping those the row already has, by its
// LSN, so writing the same delta twice gives the same rows).
//
// After a failed commit the database may hold part of it or all of it (SQLite may have made the
// commit durable before the error surfaced), so from then on an erased message is written as a
// DELETE even if it was enqueued after the covered LSN.
// Thread-safety: one thread.
#pragma once

#include "sluice/journal/journal_state.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/journal/record_reader.hpp"
#include "sluice/snapshot/snapshot_db.hpp"

#include <boost/unordered/unordered_flat_map.hpp>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace sluice::snapshot {

struct write_counts {
  std::uint64_t written = 0;         // rows inserted or updated
  std::uint64_t erased = 0;          // rows deleted
  std::uint64_t contradictions = 0;  // events about messages the database does not hold
};

class snapshot_delta {
 public:
  explicit snapshot_delta(std::uint64_t covered = 0) : covered_(covered), last_(covered) {}

  // A durable journal event; LSNs increase. Events at or below the covered LSN are ignored.
  void apply(std::uint64_t lsn, const journal::event& e);
  // An enqueue, as the row it makes. Both generations' deltas take the same row: each event after
  // it is applied to it once (a row that has the event's LSN already is not changed again).
  void apply_enqueue(std::uint64_t lsn, const std::shared_ptr<journal::durable_message>& row);
  // An enqueue left in the journal at `where` (its LSN is where.lsn): the row is read back at
  // commit, and the events after it are kept until then.
  void apply_enqueue_at(const message_id& id, const journal::record_locator& where);

  // Writes the changes into `db`'s open transaction, reading enqueues left in the journal with
  // `journal` (a failed read: its error, with `detail`).
  error_code write_to(snapshot_db& db, journal::record_reader& journal, write_counts& counts,
                      std::string& detail) const;
  // The commit that wrote this delta is durable: start over from its last LSN.
  void committed();
  // The commit failed: keep everything, and write erasures explicitly from now on.
  void failed();

  [[nodiscard]] std::uint64_t covered() const noexcept { return covered_; }
  [[nodiscard]] std::uint64_t last_lsn() const noexcept { return last_; }
  [[nodiscard]] bool empty() const noexcept { return last_ == covered_; }
  [[nodiscard]] std::size_t touched() const noexcept { return entries_.size(); }

 private:
  struct entry {
    // Enqueued after the covered LSN: `row` is the whole message, or (no row) its enqueue is in
    // the journal at `where` and is read back at commit.
    bool fresh = false;
    bool erased = false;        // acknowledged or purged
    bool maybe_stored = false;  // a failed commit may have written it
    journal::record_locator where;
    std::shared_ptr<journal::durable_message> row;  // fresh: the message now (shared by the deltas)
    // Not fresh: events for the stored row; fresh without a row: events for the row read back.
    std::vector<std::pair<std::uint64_t, journal::event>> later;
  };
  std::uint64_t covered_;
  std::uint64_t last_;
  // Open addressing (no node per message): a commit of a million fresh rows walked a million
  // nodes, and every enqueue folded between snapshots allocated one in each generation's delta.
  boost::unordered_flat_map<message_id, entry, message_id_hash> entries_;
};

}  // namespace sluice::snapshot
