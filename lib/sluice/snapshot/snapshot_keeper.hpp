// Snapshots of the engine's durable state in two SQLite generations (snapshot.0.sqlite and
// snapshot.1.sqlite in the data directory), and the journal truncation they allow.
//
// Each snapshot commits the generation that is behind, so the two alternate: one holds the state
// at the newest covered LSN, the other at the previous one. Journal segments are deleted only
// when every record in them is at or below the *older* generation's covered LSN: if the newest
// snapshot turns out damaged, recovery loads the older one and replays the journal from there -
// it costs replay time, never messages. A damaged generation (found at start, or by a commit
// that reads a damaged row) is renamed aside, kept for inspection, and rebuilt as a copy of the
// sound one (SQLite's backup API).
//
// Both generations are fed every durable journal event (add()); each keeps a delta since its own
// covered LSN (snapshot_delta.hpp), so a commit writes only what changed. A failed commit
// (SQLite busy, disk full, I/O error) rolls back and keeps its delta and the journal: the next
// snapshot retries, and nothing the engine does waits for it.
// Thread-safety: one thread at a time (open() on the starting thread, then the snapshot thread).
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/format.hpp"
#include "sluice/journal/journal_state.hpp"
#include "sluice/snapshot/snapshot_db.hpp"
#include "sluice/snapshot/snapshot_delta.hpp"
#include "sluice/snapshot/sqlite_vfs.hpp"

#include <boost/system/result.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::snapshot {

struct keeper_options {
  std::string data_dir;     // holds the two generations
  std::string journal_dir;  // whose segments snapshots allow to delete
  journal::instance_id instance{};
  db_options db;
  bool salvage = false;  // both generations damaged: start from the journal alone instead of failing
};

struct keeper_recovery {
  std::uint64_t covered_lsn = 0;  // of the snapshot loaded: replay the journal after it
  std::uint64_t rows = 0;
  int generation = -1;  // loaded from; -1 = none held anything
  std::vector<std::string> notes;
};

struct snapshot_result {
  bool committed = false;  // false: nothing had changed
  std::uint64_t covered_lsn = 0;
  int generation = 0;
  write_counts counts;
  std::uint64_t segments_deleted = 0;
  std::chrono::microseconds took{0};
  std::string note;  // a segment that could not be deleted (kept; retried next time)
};

class snapshot_keeper {
 public:
  // Opens (or creates) both generations and loads the newest sound one into `state`.
  // errc::snapshot_corrupt when neither is sound (unless salvage), I/O errors.
  [[nodiscard]] static boost::system::result<std::unique_ptr<snapshot_keeper>> open(fs::file_system& files,
                                                                                    const keeper_options& options,
                                                                                    journal::journal_state& state,
                                                                                    keeper_recovery& out,
                                                                                    std::string& detail);
  ~snapshot_keeper();
  snapshot_keeper(const snapshot_keeper&) = delete;
  snapshot_keeper& operator=(const snapshot_keeper&) = delete;

  // After journal recovery, with the first LSN the journal holds (0: it is empty): a generation
  // the journal no longer reaches back to is rebuilt from the newer one; if the newest cannot be
  // continued either, errc::journal_corrupt (segments are missing; salvage: noted, not failed).
  [[nodiscard]] error_code align(std::uint64_t journal_first_lsn, std::vector<std::string>& notes, std::string& detail);

  // Makes the older generation a copy of the newer one (when the journal cannot bring it up:
  // it lacks records the older one would need).
  [[nodiscard]] error_code level(std::vector<std::string>& notes, const std::string& why, std::string& detail);

  // A durable journal event, in LSN order (the rvalue form moves an enqueued message in).
  void add(std::uint64_t lsn, const journal::event& e);
  void add(std::uint64_t lsn, journal::event&& e);
  // An enqueue that recovery already decoded into the message it creates (placed at `lsn`).
  void add(std::uint64_t lsn, journal::durable_message&& enqueued);
  // An enqueue the engine wrote, left in the journal at `where`: a commit reads its row back.
  void add(const message_id& id, const journal::record_locator& where);
  [[nodiscard]] bool changed() const noexcept;              // anything a snapshot would write
  [[nodiscard]] std::uint64_t latest_lsn() const noexcept;  // the newest event added

  // Commits the generation that is behind, then deletes the journal segments that both
  // generations cover. On failure nothing is deleted and the delta is kept for the next try.
  [[nodiscard]] boost::system::result<snapshot_result> snapshot(std::string& detail);

  [[nodiscard]] std::uint64_t covered_lsn() const noexcept;         // the newest generation's
  [[nodiscard]] std::uint64_t oldest_covered_lsn() const noexcept;  // the journal is kept after it

 private:
  snapshot_keeper() = default;
  [[nodiscard]] std::string path(int generation) const;
  error_code open_generation(int g, std::string& detail);
  error_code set_aside(int g, std::vector<std::string>& notes);
  error_code rebuild(int g, std::string& detail);  // set aside (once) and copied from the other
  std::uint64_t truncate_journal(std::string& note);

  fs::file_system* files_ = nullptr;
  keeper_options options_;
  std::unique_ptr<sqlite_vfs> vfs_;
  std::array<std::unique_ptr<snapshot_db>, 2> dbs_;
  std::array<snapshot_delta, 2> deltas_;
  std::unique_ptr<journal::record_reader> journal_;  // reads back enqueues left in the journal
  std::array<bool, 2> damaged_{false, false};        // found damaged while running: rebuild first
  std::array<bool, 2> set_aside_{false, false};      // damaged, already renamed aside
};

}  // namespace sluice::snapshot
