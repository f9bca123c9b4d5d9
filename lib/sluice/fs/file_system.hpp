// The file layer under the journal and the data directory: every byte sluice persists goes
// through these calls, so tests can swap the real POSIX layer for a simulated disk that forgets
// unsynced writes, tears them, drops directory entries and injects errors (simulated_disk.hpp).
// Errors are boost::system error_codes in the system category (ENOSPC, EIO, ...). A short read at
// the end of a file is not an error; any other failed read is.
// Thread-safety: one file object is used by one thread at a time; file_system members are safe
// from any thread.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace sluice::fs {

using boost::system::error_code;

class file {
 public:
  virtual ~file() = default;
  // Writes all of `data` at `offset` (extending the file), or fails.
  virtual error_code write_at(std::uint64_t offset, std::span<const std::uint8_t> data) = 0;
  // Reads up to out.size() bytes at `offset`; `got` < out.size() only at the end of the file.
  virtual error_code read_at(std::uint64_t offset, std::span<std::uint8_t> out, std::size_t& got) = 0;
  virtual error_code sync_data() = 0;  // fdatasync: the file's data (and size) are durable
  // Starts writing [offset, offset + length) to the disk without waiting (sync_file_range), so a
  // later sync_data finds it written. Durability is still sync_data's: by default nothing.
  virtual error_code start_writeback(std::uint64_t /*offset*/, std::uint64_t /*length*/) { return {}; }
  virtual error_code truncate(std::uint64_t size) = 0;
  [[nodiscard]] virtual boost::system::result<std::uint64_t> size() = 0;
};

enum class open_mode : std::uint8_t {
  read_only,
  read_write,        // must exist
  create,            // read-write, created (0600) if missing
  create_exclusive,  // read-write, fails with EEXIST if it exists
};

// Held while alive; released (and the lock file left in place) on destruction.
class dir_lock {
 public:
  virtual ~dir_lock() = default;
};

class file_system {
 public:
  virtual ~file_system() = default;
  [[nodiscard]] virtual boost::system::result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) = 0;
  virtual error_code sync_dir(const std::string& dir) = 0;  // makes creations, removals, renames in dir durable
  virtual error_code remove(const std::string& path) = 0;
  virtual error_code rename(const std::string& from, const std::string& to) = 0;
  [[nodiscard]] virtual boost::system::result<std::vector<std::string>> list(const std::string& dir) = 0;  // names
  virtual error_code create_dir(const std::string& dir) = 0;  // 0700; success if it exists
  // Exclusive lock on `path` (created if missing) holding `holder` (e.g. "pid 1234 on host");
  // errc::directory_locked with `current_holder` set when another process or engine has it.
  [[nodiscard]] virtual boost::system::result<std::unique_ptr<dir_lock>> lock(const std::string& path,
                                                                              const std::string& holder,
                                                                              std::string& current_holder) = 0;
};

// The real thing: POSIX calls (fdatasync, fsync on directories, flock).
[[nodiscard]] file_system& posix();

// Reads a whole file; an error if any read fails.
[[nodiscard]] boost::system::result<std::vector<std::uint8_t>> read_all(file& f);

}  // namespace sluice::fs
