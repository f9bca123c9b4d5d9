// Reads a journal directory back: every segment in LSN order, each scanned (segment_scan.hpp),
// the chain checked (no LSN gaps, one instance), void ranges applied, and the newest segment's
// torn tail cut on disk (truncated and synced before anything new is appended).
//
// Two passes, so that recovery holds one segment's bytes at a time and never a copy of the whole
// journal: scan_journal() reads and checks every segment and keeps only what it learned (which
// segments to replay, up to which LSN, the void ranges: a void range is written in a later
// segment than the records it voids, so no record can be handed out before every segment was
// seen); read_journal() then reads the planned segments again, one at a time into one buffer,
// and hands each surviving record to a visitor straight from that buffer. recover() does both
// and collects the records (tools and tests). Corruption fails
// closed with errc::journal_corrupt and a detail naming segment, offset and the last good LSN,
// unless `salvage` asks for everything before it (and a list of what could not be read). A read
// error is an error, never the end of the journal.
//
// Gaps and torn tails in older segments are accepted exactly where the writer explains them: a
// void range (written first in the next segment after a failed write or fsync) covering the gap,
// or no complete batch anywhere after the damage (nothing after it was ever acknowledged).
// Thread-safety: a function; the directory must not be written meanwhile.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/format.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::journal {

struct recovered_record {
  std::uint64_t lsn = 0;
  record_type type = record_type::enqueue;
  std::string payload;
};

struct recovery_options {
  bool salvage = false;                 // on corruption, keep what precedes it instead of failing
  bool repair = true;                   // cut a torn tail on disk (false: read-only inspection)
  std::optional<instance_id> instance;  // segments must belong to this instance
  // Records up to this LSN are in a snapshot: a segment whose successor starts at or below
  // covered + 1 holds nothing needed; it is not read (and removed when repairing: a truncation
  // that a power loss half undid).
  std::uint64_t covered = 0;
};

// The buffer both passes read segments into, one at a time (scan_journal leaves it allocated in
// recovered_journal for read_journal, which releases it). Copies share it.
class segment_buffer {
 public:
  boost::system::error_code read(fs::file_system& fs, const std::string& path, std::span<const std::uint8_t>& out);
  void release() noexcept {
    bytes_.reset();
    capacity_ = 0;
  }

 private:
  std::shared_ptr<std::uint8_t[]> bytes_;  // allocated without zeroing: each byte is written by the read
  std::size_t capacity_ = 0;
};

// A segment read_journal() replays: its records up to `last_lsn`, where the scan ended at
// `next_lsn` (checked again when it is read the second time).
struct segment_plan {
  std::string name;
  std::uint64_t last_lsn = 0;
  std::uint64_t next_lsn = 0;
};

struct recovered_journal {
  std::vector<recovered_record> records;  // recover() only: LSN order; void ranges and their records removed
  std::uint64_t next_lsn = 1;
  std::optional<instance_id> instance;  // of the segments read (none when the journal is empty)
  std::vector<std::string> segments;    // names, oldest first
  std::uint64_t first_lsn = 0;          // base of the first segment read (0: none)
  std::vector<std::string> notes;       // torn tails cut, voided LSNs, leftovers removed
  std::vector<std::string> unreadable;  // salvage: what could not be recovered
  std::uint64_t voided = 0;             // records dropped by void ranges (counted by read_journal)
  std::uint64_t bytes_read = 0;
  std::uint64_t records_seen = 0;   // complete records in the segments read (an upper bound on what replays)
  std::uint64_t enqueues_seen = 0;  // of which enqueues (an upper bound on the messages recovery builds)
  std::vector<segment_plan> plan;   // what read_journal() reads, oldest first
  std::map<std::uint64_t, std::uint64_t> voids;  // first -> last
  segment_buffer buffer;                         // pass one's, reused by pass two
};

// Called for each record that survives, in LSN order; the payload lives until the call returns.
// An error stops the replay and is returned.
using record_visitor =
    std::function<boost::system::error_code(std::uint64_t lsn, record_type type, std::string_view payload)>;

// Pass one. `detail` receives the reason for a failure (segment, offset, LSN, cause).
[[nodiscard]] boost::system::result<recovered_journal> scan_journal(fs::file_system& fs, const std::string& dir,
                                                                    const recovery_options& options,
                                                                    std::string& detail);
// Pass two: hands every record of `journal.plan` outside the void ranges to `visit`. A segment
// that reads differently from pass one (it cannot, while the directory is locked) is
// errc::journal_corrupt.
// `segment_done`, when given, runs after the last record of each segment was visited and before
// the buffer is read over: a visitor that keeps payload views past its call (handing them to
// another thread) waits there until they are consumed; an error from it ends the replay.
[[nodiscard]] boost::system::error_code read_journal(
    fs::file_system& fs, const std::string& dir, recovered_journal& journal, const record_visitor& visit,
    std::string& detail, const std::function<boost::system::error_code()>& segment_done = {});

// Both, with the records collected in `records`.
[[nodiscard]] boost::system::result<recovered_journal> recover(fs::file_system& fs, const std::string& dir,
                                                               const recovery_options& options, std::string& detail);

// Payload of a void_range record.
[[nodiscard]] std::string encode_void_range(std::uint64_t first, std::uint64_t last);
[[nodiscard]] std::optional<std::pair<std::uint64_t, std::uint64_t>> decode_void_range(std::string_view payload);

}  // namespace sluice::journal
