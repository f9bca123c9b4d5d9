// A backup of a stopped engine's data directory, never a file copy of a live database: the sound
// snapshot generations are copied with SQLite's online backup API into fresh databases, the
// journal segments and the instance id are copied byte for byte, and everything is fsynced
// (files, then directories). The source's lock is held throughout, so no engine starts meanwhile.
// The result is a data directory an engine starts from (restore = put it in place).
// Thread-safety: a function.
#pragma once

#include "sluice/fs/file_system.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <string>

namespace sluice::snapshot {

struct backup_report {
  std::string out;
  int generations = 0;  // snapshot generations copied (the sound ones)
  std::uint64_t newest_covered_lsn = 0;
  std::size_t segments = 0;
  std::uint64_t bytes = 0;  // journal bytes copied
};

// `out` must not exist yet (or be an empty directory). errc::directory_locked while an engine
// holds `dir`; I/O errors with detail naming the file.
[[nodiscard]] boost::system::result<backup_report> backup_data_dir(fs::file_system& files, const std::string& dir,
                                                                   const std::string& out, std::string& detail);

}  // namespace sluice::snapshot
