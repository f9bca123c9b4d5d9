// The messages a stopped engine's data directory holds, read without repairing anything (the
// CLI's offline `list`): the newest sound snapshot generation plus the journal records after it,
// folded exactly as recovery folds them, with the journal read in inspection mode (a torn tail
// is left on disk for the engine's own recovery). The directory's lock is held meanwhile, and a
// directory an engine holds is refused (errc::directory_locked).
// Thread-safety: a function.
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/journal_state.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>

namespace sluice::snapshot {

struct data_dir_state {
  journal::recovered_state state;   // ready, scheduled, in flight (at the crash or stop), dead
  std::uint64_t snapshot_lsn = 0;   // the generation the state started from (0: the journal alone)
  std::size_t journal_records = 0;  // applied after it
};

[[nodiscard]] boost::system::result<data_dir_state> read_data_dir_state(fs::file_system& files, const std::string& dir,
                                                                        std::string& detail);

}  // namespace sluice::snapshot
