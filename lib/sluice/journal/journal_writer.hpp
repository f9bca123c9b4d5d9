// Appends batches to the journal: one write and one fdatasync per batch, so a batch is durable (or
// failed) as a whole; the group-commit layer above decides what goes in a batch. Segments roll at
// a size limit; a new segment's header is synced, then its directory, before a record goes in.
//
// Failures never leave an acknowledged-looking batch behind:
// * a failed write (ENOSPC, EIO) cuts the segment back to its last good end and syncs the cut;
//   if the cut itself fails, the segment is sealed as after a failed sync;
// * a failed fdatasync is never retried on the same segment (fsyncgate): the segment is sealed
//   and the next batch opens a new one, led by a void range naming the failed LSNs, so recovery
//   ignores them even if their pages reached the disk after all.
// After a failure the writer stays usable: the next append retries (a new segment if needed), so
// the engine serves again once space returns.
// Thread-safety: one thread at a time (the journal's I/O thread).
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/format.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
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
  bool sync = true;  // false: no fdatasync (durability::buffered)
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
};

class journal_writer {
 public:
  // next_lsn: where recovery ended. Opens no file until the first append.
  journal_writer(fs::file_system& fs, writer_options options, std::uint64_t next_lsn);

  // Writes the batch (consecutive LSNs, the last flagged batch_end) and syncs it. Returns the
  // first LSN; on error nothing of the batch counts (and its LSNs are never reused if they might
  // have reached the disk).
  [[nodiscard]] boost::system::result<std::uint64_t> append(std::span<const entry> batch);

  [[nodiscard]] std::uint64_t next_lsn() const noexcept { return next_lsn_; }
  [[nodiscard]] const writer_stats& stats() const noexcept { return stats_; }
  [[nodiscard]] std::string current_segment() const;

 private:
  boost::system::error_code open_segment();
  void seal(std::uint64_t first, std::uint64_t last);

  fs::file_system& fs_;
  writer_options options_;
  std::unique_ptr<fs::file> file_;
  std::string segment_name_;
  std::uint64_t end_ = 0;  // durable end of the current segment
  std::uint64_t next_lsn_;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> void_;  // to record in the next segment
  std::string buffer_;
  writer_stats stats_;
};

}  // namespace sluice::journal
