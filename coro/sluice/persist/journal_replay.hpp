// Pass two of recovery on two threads: a reader thread reads the planned segments (one at a
// time, journal_recovery.hpp), checks them again and decodes every record into an event, with
// its allocations (the message and its payload, the memory the engine keeps); the calling
// thread applies the events in LSN order as batches arrive. The two overlap, so recovery takes
// about as long as the slower of the two, not their sum. The reader never runs ahead by more
// than a few batches (memory stays bounded by the state being built).
// Thread-safety: a function; `apply` runs on the calling thread only.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/journal_recovery.hpp"
#include "sluice/journal/record_codec.hpp"

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sluice::persist {

using event_sink = std::function<void(std::uint64_t lsn, journal::event&& e)>;

// A record with a valid CRC that does not decode fails the replay with errc::journal_corrupt
// (detail names its LSN), or with `salvage` is skipped and named in `notes`.
[[nodiscard]] boost::system::error_code replay_journal(fs::file_system& files, const std::string& dir,
                                                       journal::recovered_journal& journal, bool salvage,
                                                       const event_sink& apply, std::vector<std::string>& notes,
                                                       std::string& detail);

}  // namespace sluice::persist
