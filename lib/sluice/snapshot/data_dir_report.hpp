// What a stopped engine's data directory holds (the CLI's offline `stats`, and the backup's
// source check); nothing changes but what SQLite does on opening a database, folding a snapshot's
// leftover write-ahead log into it (its contents stay the same): the instance id, the two snapshot generations
// (covered LSN, rows, when taken, or why unreadable) and the journal segments (base LSN, bytes).
// Refuses a directory an engine holds (errc::directory_locked, naming the holder): a live
// engine's snapshots use exclusive locking and must not be opened by another process.
// Thread-safety: a function; the directory must not change meanwhile (the lock ensures it).
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/format.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace sluice::snapshot {

struct generation_report {
  int generation = 0;
  std::string path;
  bool present = false;
  bool sound = false;  // opened and every row CRC-checked
  std::uint64_t covered_lsn = 0;
  std::uint64_t rows = 0;
  std::uint64_t taken_unix_ms = 0;
  std::uint64_t bytes = 0;
  std::string problem;  // why not sound
};

struct segment_report {
  std::string name;
  std::uint64_t base_lsn = 0;
  std::uint64_t bytes = 0;
};

struct data_dir_report {
  std::string dir;
  std::string instance;  // hex
  std::vector<generation_report> generations;
  std::vector<segment_report> segments;
  std::uint64_t journal_bytes = 0;
  std::vector<std::string> other_files;  // e.g. *.damaged-<ms> set aside by a recovery
};

// Reads the INSTANCE file (errc::not_found when the directory has none).
[[nodiscard]] boost::system::result<journal::instance_id> read_instance(fs::file_system& files, const std::string& dir,
                                                                        std::string& detail);

// Inspects `dir` holding its lock for the duration; `lock` receives it when the caller wants to
// keep the directory locked afterwards (the backup does). detail says why on failure.
[[nodiscard]] boost::system::result<data_dir_report> inspect_data_dir(fs::file_system& files, const std::string& dir,
                                                                      std::string& detail,
                                                                      std::unique_ptr<fs::dir_lock>* lock = nullptr);

}  // namespace sluice::snapshot
