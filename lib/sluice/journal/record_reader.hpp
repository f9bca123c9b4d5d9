// Reads journaled records back by position: the snapshot thread's way to get an enqueue's message
// when it writes it into a snapshot, instead of keeping a second copy of every pending message
// in memory from the moment it became durable (coro/sluice/persist/group_commit.hpp,
// durable_batch). Each read checks the record's header CRC, its LSN and type, and its payload
// CRC, so a record that changed on disk or in the page cache is an error (journal_corrupt), never
// a wrong row. Reads go through a window of `window` bytes per segment: a snapshot asks for rows
// in id order, which is the journal's order, so one read serves many records.
// Thread-safety: one thread.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/format.hpp"
#include "sluice/journal/journal_state.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::journal {

// Where a record is: the segment (named by its base LSN) and the record's file offset, with its
// LSN and payload length to check it by.
struct record_locator {
  std::uint64_t segment_base = 0;
  std::uint64_t offset = 0;
  std::uint64_t lsn = 0;
  std::uint32_t payload_size = 0;
};

class record_reader {
 public:
  record_reader(fs::file_system& files, std::string journal_dir, std::size_t window = 1U << 20);

  // The message the enqueue record at `where` puts in the durable state (journal::enqueued).
  // errc::journal_corrupt when the record is not that enqueue intact (detail says why), I/O
  // errors as they come.
  [[nodiscard]] boost::system::result<durable_message> enqueued(const record_locator& where, std::string& detail);

  // Closes the open segment and frees the window (between snapshots).
  void release();

 private:
  // Makes [offset, offset + bytes) of the segment readable in window_; false with `ec` set.
  bool load(std::uint64_t segment_base, std::uint64_t offset, std::size_t bytes, boost::system::error_code& ec,
            std::string& detail);

  fs::file_system& files_;
  const std::string dir_;
  const std::size_t window_size_;
  std::unique_ptr<fs::file> file_;
  std::uint64_t file_base_ = 0;  // the open segment's base LSN (file_ set)
  std::vector<std::uint8_t> window_;
  std::uint64_t window_offset_ = 0;  // file offset of window_[0]
};

}  // namespace sluice::journal
