// Pass two of recovery on two threads: a reader thread reads the planned segments (one at a
// time, journal_recovery.hpp), checks them again and decodes every record, with its
// allocations: an enqueue straight into the heap message the engine keeps (the message and its
// payload), any other record into an event; the calling
// thread applies the events in LSN order as batches arrive. The two overlap, so recovery takes
// about as long as the slower of the two, not their sum. The reader never runs ahead by more
// than a few batches (memory stays bounded by the state being built).
// Thread-safety: a function; `apply` runs on the calling thread only.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/journal_state.hpp"
#include "sluice/journal/record_codec.hpp"

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace sluice::persist {

// Where the records go, in LSN order: an enqueue as the durable message it creates (placed by
// journal::place_enqueued), any other record as its event.
struct replay_sink {
  std::function<void(std::uint64_t lsn, journal::durable_message&& enqueued)> enqueue;
  std::function<void(std::uint64_t lsn, journal::event&& e)> other;
};

// Which thread decodes a batch of records. balanced (recovery's): the reader hands a batch over
// undecoded while the applier has little queued and decodes it itself otherwise, so decoding and
// its allocations run on both threads whichever is the slower; the others fix the choice (tests).
enum class replay_split : std::uint8_t { balanced, reader_decodes, applier_decodes, alternate };

struct replay_counts {
  std::uint64_t decoded_by_reader = 0;
  std::uint64_t decoded_by_applier = 0;
};

// A record with a valid CRC that does not decode fails the replay with errc::journal_corrupt
// (detail names its LSN), or with `salvage` is skipped and named in `notes` (in LSN order).
[[nodiscard]] boost::system::error_code replay_journal(fs::file_system& files, const std::string& dir,
                                                       journal::recovered_journal& journal, bool salvage,
                                                       const replay_sink& apply, std::vector<std::string>& notes,
                                                       std::string& detail, replay_split split = replay_split::balanced,
                                                       replay_counts* counts = nullptr);

}  // namespace sluice::persist
