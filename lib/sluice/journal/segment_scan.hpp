// Reads one journal segment from its bytes and says exactly what it holds: the records of every
// complete batch, and how the segment ends: cleanly, in a torn tail (an unfinished last batch the
// writer never acknowledged, cut and reported), or in corruption (fail closed, naming the offset
// and LSNs).
//
// The rule that separates the two: every record says how far the journal was durable when its
// batch was written (format.hpp, durable_lag). The writer keeps writing while a sync runs, so the
// batches written after the last completed sync may all be torn, in any order; a batch that had
// been synced cannot be. Damage is a torn tail when no whole valid record after it proves the
// damaged batch durable; damage in a sealed segment, a CRC-valid record out of place, or damage
// followed by such a proof is corruption. Zero-filled tails (a file extended by a crash) are torn
// tails, except in a preallocated segment (format.hpp), where zeros from a batch end to the end of
// the file are its unused rest: a clean end, sealed or newest. A length is used only after the header CRC that covers
// it has been verified. Thread-safety: a pure function.
#pragma once

#include "sluice/journal/format.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::journal {

struct scanned_record {
  record_header header;
  std::span<const std::uint8_t> payload;  // into the scanned bytes
  std::size_t offset = 0;
};

struct corruption {
  std::size_t offset = 0;       // where the damage starts
  std::uint64_t after_lsn = 0;  // the last good LSN before it (0: none)
  std::string reason;
};

struct torn_tail {
  std::size_t offset = 0;       // cut here (the end of the last complete batch)
  std::size_t bytes = 0;        // bytes cut
  std::uint64_t first_lsn = 0;  // LSNs of the unfinished batch, when readable (0: none)
  std::string reason;
};

struct segment_scan {
  std::optional<segment_header> header;
  std::vector<scanned_record> records;  // complete batches only, in LSN order
  std::size_t durable_end = 0;          // end of the last complete batch
  std::uint64_t next_lsn = 0;           // the LSN after the last complete batch
  std::optional<torn_tail> torn;
  std::optional<corruption> corrupt;
};

// expected_first_lsn: the LSN the segment must start at (0 = take the header's). last: whether
// this is the newest segment (the only one allowed a torn tail).
[[nodiscard]] segment_scan scan_segment(std::span<const std::uint8_t> bytes, std::uint64_t expected_first_lsn,
                                        bool last);
// The same into `out`, which keeps the capacity of its record vector (recovery scans segment
// after segment into one).
void scan_segment(std::span<const std::uint8_t> bytes, std::uint64_t expected_first_lsn, bool last, segment_scan& out);

}  // namespace sluice::journal
