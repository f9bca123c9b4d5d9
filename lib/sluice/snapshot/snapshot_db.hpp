// One snapshot database: the engine's durable state folded up to a covered LSN, in SQLite (WAL
// mode, exclusive locking, through sqlite_vfs so every byte goes through fs::file_system). The
// schema (docs/journal-format.md, "Snapshots") is readable with the sqlite3 shell: one row per
// live message (ready, scheduled, in flight or dead), views for dead letters and dedup keys, and a
// meta table (covered LSN, instance id, format version, row count and CRC sum).
//
// Integrity: every row carries a CRC32C of its authoritative columns (the message as the journal
// encodes it, the dead letter, state, due time, order and LSN), and each commit writes the row
// count and the sum of the CRCs into meta (counted by put and erase as they go), so load()
// detects a damaged row, a lost row and a foreign or future-format database
// (errc::snapshot_corrupt with a detail). Commits use synchronous=FULL: a commit that returned is
// durable before the journal it covers may be deleted.
// Thread-safety: one thread at a time.
#pragma once

#include "sluice/journal/format.hpp"
#include "sluice/journal/journal_state.hpp"
#include "sluice/snapshot/sqlite_vfs.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace sluice::snapshot {

using boost::system::error_code;

constexpr std::uint32_t snapshot_format_version = 2;  // 1 (counted by triggers) is migrated at open

struct snapshot_meta {
  std::uint64_t covered_lsn = 0;  // every journal record up to it is folded in
  journal::instance_id instance{};
  std::uint32_t format_version = snapshot_format_version;
  std::uint64_t rows = 0;
  std::uint64_t crc_sum = 0;
  std::uint64_t taken_unix_ms = 0;  // when the last commit happened
};

struct db_options {
  // Test knob: false commits with synchronous=NORMAL (not durable at commit in WAL mode); the
  // crash suite's negative test proves the oracle notices.
  bool full_sync = true;
};

class snapshot_db {
 public:
  // Opens or creates the database at `path`; a new one gets the schema and meta(instance, covered
  // 0). errc::snapshot_corrupt for a damaged file or another format; I/O errors. The caller
  // checks meta().instance.
  [[nodiscard]] static boost::system::result<std::unique_ptr<snapshot_db>> open(sqlite_vfs& vfs,
                                                                                const std::string& path,
                                                                                const journal::instance_id& instance,
                                                                                const db_options& options,
                                                                                std::string& detail);
  ~snapshot_db();
  snapshot_db(const snapshot_db&) = delete;
  snapshot_db& operator=(const snapshot_db&) = delete;

  [[nodiscard]] const snapshot_meta& meta() const noexcept { return meta_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }

  // Every row, CRC-checked, then the count and CRC sum against meta.
  error_code load(const std::function<void(journal::durable_message&&)>& each, std::string& detail);

  // A transaction: begin(), then find / put / erase, then commit(covered) or rollback().
  error_code begin();
  [[nodiscard]] boost::system::result<std::optional<journal::durable_message>> find(const message_id& id);
  error_code put(const journal::durable_message& d);
  error_code erase(const message_id& id);
  error_code commit(std::uint64_t covered_lsn);
  void rollback() noexcept;

  // Replaces this database's contents with `from`'s (SQLite's online backup), then syncs it.
  error_code copy_from(snapshot_db& from, std::string& detail);

  // SQLite's text for the last failure.
  [[nodiscard]] std::string last_error() const;

 private:
  snapshot_db() = default;
  error_code check(int rc, const char* what);
  error_code read_meta(std::string& detail);
  error_code prepare();
  void finalize() noexcept;

  sqlite_vfs* vfs_ = nullptr;
  sqlite3* db_ = nullptr;
  std::string path_;
  snapshot_meta meta_;
  sqlite3_stmt* find_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  sqlite3_stmt* update_ = nullptr;
  sqlite3_stmt* crc_of_ = nullptr;
  sqlite3_stmt* erase_ = nullptr;
  sqlite3_stmt* set_meta_ = nullptr;
  bool in_transaction_ = false;
  std::uint64_t rows_ = 0;  // the open transaction's row count and CRC sum, for meta at commit
  std::uint64_t crc_sum_ = 0;
  std::string body_;  // put()'s encoding buffer
};

}  // namespace sluice::snapshot
