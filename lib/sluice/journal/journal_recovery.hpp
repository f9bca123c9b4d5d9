// Reads a journal directory back: every segment in LSN order, each scanned (segment_scan.hpp),
// the chain checked (no LSN gaps, one instance), void ranges applied, and the newest segment's
// torn tail cut on disk (truncated and synced before anything new is appended). Corruption fails
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
#include <optional>
#include <string>
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

struct recovered_journal {
  std::vector<recovered_record> records;  // LSN order; void ranges and their records removed
  std::uint64_t next_lsn = 1;
  std::optional<instance_id> instance;  // of the segments read (none when the journal is empty)
  std::vector<std::string> segments;    // names, oldest first
  std::uint64_t first_lsn = 0;          // base of the first segment read (0: none)
  std::vector<std::string> notes;       // torn tails cut, voided LSNs, leftovers removed
  std::vector<std::string> unreadable;  // salvage: what could not be recovered
  std::uint64_t voided = 0;             // records dropped by void ranges
  std::uint64_t bytes_read = 0;
};

// `detail` receives the reason for a failure (segment, offset, LSN, cause).
[[nodiscard]] boost::system::result<recovered_journal> recover(fs::file_system& fs, const std::string& dir,
                                                               const recovery_options& options, std::string& detail);

// Payload of a void_range record.
[[nodiscard]] std::string encode_void_range(std::uint64_t first, std::uint64_t last);
[[nodiscard]] std::optional<std::pair<std::uint64_t, std::uint64_t>> decode_void_range(std::string_view payload);

}  // namespace sluice::journal
