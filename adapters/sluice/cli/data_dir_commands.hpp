// The CLI's offline commands, on a stopped engine's data directory (no admin API): `stats` shows
// what the directory holds, `backup` copies it safely (SQLite's backup API for the snapshots).
// Both refuse a directory an engine holds (exit 3, naming the holder).
#pragma once

#include "sluice/cli/commands.hpp"

#include <ostream>
#include <string>

namespace sluice::cli {

[[nodiscard]] int run_data_dir_stats(const std::string& data_dir, output_format format, std::int64_t now_unix_ms,
                                     std::ostream& out, std::ostream& err);
[[nodiscard]] int run_backup(const std::string& data_dir, const std::string& out_dir, output_format format,
                             std::ostream& out, std::ostream& err);

}  // namespace sluice::cli
