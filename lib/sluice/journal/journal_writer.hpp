// Writes batches to the journal and makes them durable. write() appends a batch (one write call);
// sync() makes everything written so far durable (one fdatasync). The two may run at the same
// time on two threads, so a batch is written while the previous one is being synced: the
// group-commit layer above (coro/sluice/persist) runs two I/O threads that take turns (one syncs
// what it wrote while the other writes the next batch).
// append() is write() then sync(), for one thread.
//
// Every record carries how far the journal was durable when its batch was written (format.hpp),
// which is what lets recovery tell the torn writes after the last completed sync from damage to
// acknowledged records. Segments roll at a size limit; a segment is durable to its end before the
// next one is created, and a new segment's header is synced, then its directory, before a record
// goes in: only the newest segment can be torn.
//
// Failures never leave an acknowledged-looking batch behind:
// * a failed write (ENOSPC, EIO) cuts the segment back to its last good end and seals it; the next
//   batch opens a new segment, led by a void range naming the failed LSNs;
// * a failed fdatasync is never retried on the same segment (fsyncgate): every batch written to it
//   and not yet durable fails, the segment is sealed, and the next segment's void range names the
//   failed LSNs, so recovery ignores them even if their pages reached the disk after all. Syncs
//   never overlap, and a segment whose sync failed is never synced again (a second fdatasync on
//   the same file could report success for pages the first one's failure dropped).
// After a failure the writer stays usable: the next write retries (a new segment), so the engine
// serves again once space returns.
// Thread-safety: write()/append() from one thread at a time (callers order them), sync() from
// any thread, concurrently with a write (syncs wait for each other); the accessors from any thread.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/format.hpp"

#include <boost/system/result.hpp>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace sluice::journal {

struct writer_options {
  std::string dir;
  std::uint64_t segment_bytes = 64ULL << 20;
  instance_id instance{};
  bool sync = true;  // false: no fdatasync (durability::buffered); a written batch counts as durable
  // > 0: keep each segment zero-filled this many bytes ahead of its written end (written out in
  // the background, sync_file_range), so a commit's fdatasync writes data blocks and no file size:
  // an overwrite syncs about a third faster than an append here. The segment header says so
  // (format.hpp), and recovery reads the zeros after the last batch as unused space. 0: append.
  std::uint64_t preallocate = 0;
  // LSNs the journal lacks but must never reuse (a snapshot covers them though the journal's tail
  // was lost): recorded as a void range at the head of the first segment.
  std::optional<std::pair<std::uint64_t, std::uint64_t>> initial_void;
};

struct entry {
  record_type type = record_type::enqueue;
  std::string_view payload;
};

struct writer_stats {
  std::uint64_t batches = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::uint64_t syncs = 0;
  std::uint64_t segments = 0;
  std::uint64_t write_failures = 0;
  std::uint64_t sync_failures = 0;
  std::uint64_t preallocation_failures = 0;  // zero-fills that failed (the segment then appends)
};

// The LSNs of a written batch's entries (a void range the writer put first is not among them). An
// empty batch is a barrier: last_lsn is the last LSN written before it.
struct written_batch {
  std::uint64_t first_lsn = 0;
  std::uint64_t last_lsn = 0;
  // Where the entries are: the segment (its base LSN names the file, segment_file_name) and the
  // file offset of the first entry's record; the records follow back to back, each a
  // record_header_size header and its payload. A barrier has none (segment_base 0).
  std::uint64_t segment_base = 0;
  std::uint64_t offset = 0;
};

// After a sync: every LSN up to `durable` is durable, except those of the latest failure, the
// written LSNs [lost_first, lost_last] (lost_last == 0: none), which never will be.
struct sync_result {
  std::uint64_t durable = 0;
  std::uint64_t lost_first = 0;
  std::uint64_t lost_last = 0;
  boost::system::error_code error;  // the failed sync's error, when this call failed
};

class journal_writer {
 public:
  // next_lsn: where recovery ended (everything before it is durable). Opens no file until the
  // first write.
  journal_writer(fs::file_system& fs, writer_options options, std::uint64_t next_lsn);

  // Writes the batch (consecutive LSNs, the last flagged batch_end) after everything written
  // before. On error nothing of the batch counts (and its LSNs are never reused if they might
  // have reached the disk). A roll first makes the current segment durable (or finds its sync
  // failed), waiting for a sync that another thread runs.
  [[nodiscard]] boost::system::result<written_batch> write(std::span<const entry> batch);
  // Makes everything written so far durable (no fdatasync if nothing new was written).
  [[nodiscard]] sync_result sync();
  // write() then sync(): the batch is durable or failed. Returns its first LSN.
  [[nodiscard]] boost::system::result<std::uint64_t> append(std::span<const entry> batch);

  [[nodiscard]] std::uint64_t next_lsn() const noexcept { return next_lsn_; }  // the writing thread
  [[nodiscard]] std::uint64_t durable_lsn() const;
  [[nodiscard]] writer_stats stats() const;
  [[nodiscard]] std::string current_segment() const;

 private:
  boost::system::error_code open_segment();
  // Zero-fills the current segment from `from` up to `preallocate` bytes beyond it (the writing
  // thread); a failure only stops preallocating this segment.
  void preallocate(const std::shared_ptr<fs::file>& file, std::uint64_t from);
  sync_result sync_locked(std::unique_lock<std::mutex>& lock);
  // Under mutex_: [first, last] go in the next segment's void range.
  void add_void(std::uint64_t first, std::uint64_t last);

  fs::file_system& fs_;
  const writer_options options_;
  const std::uint64_t zero_ahead_;  // options_.preallocate, at most a segment
  // The writing thread's own state.
  std::uint64_t end_ = 0;       // written end of the current segment
  std::uint64_t zero_end_ = 0;  // the current segment is zero-filled up to here
  bool preallocating_ = false;  // the current segment is preallocated (and no zero-fill failed)
  std::uint64_t next_lsn_;
  std::string buffer_;

  mutable std::mutex mutex_;
  std::condition_variable sync_done_;  // syncing_ went false
  std::shared_ptr<fs::file> file_;     // the current segment (null: open one at the next write)
  std::string segment_name_;
  std::uint64_t segment_base_ = 0;  // the current segment's base LSN
  std::uint64_t written_lsn_;       // the last LSN written to file_ (or before it)
  std::uint64_t durable_lsn_;
  bool syncing_ = false;          // a sync of file_ runs (outside the lock)
  bool sealed_ = false;           // file_ takes no more writes (a write failed)
  bool poisoned_ = false;         // a sync of file_ failed: nothing written to it counts any more
  std::uint64_t lost_first_ = 0;  // the latest failed sync's LSNs (poisoned_: up to written_lsn_)
  std::uint64_t lost_last_ = 0;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> void_;  // to record in the next segment
  writer_stats stats_;
};

}  // namespace sluice::journal
