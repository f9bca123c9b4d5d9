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

// A file's bytes mapped shared and writable (fs::file::map_shared). Stores must go through
// std::atomic_ref on the words (the memory may be read by another thread, or by a simulated
// disk's image). What is stored survives a crash of the process, like a write(): the kernel has
// it. Only a power loss can lose it (nothing syncs a mapping). Unmapped on destruction.
class shared_mapping {
 public:
  virtual ~shared_mapping() = default;
  [[nodiscard]] std::span<std::uint64_t> words() const noexcept { return words_; }

 protected:
  std::span<std::uint64_t> words_;
};

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
  // Maps the first `bytes` (a multiple of 8; the file is at least that long) shared and
  // writable, locked in memory so that a store never faults (and a failing disk cannot turn into
  // SIGBUS). The file object may be destroyed before the mapping. Errors: ENOMEM/EPERM when the
  // memory cannot be locked (RLIMIT_MEMLOCK), operation_not_supported by default.
  [[nodiscard]] virtual boost::system::result<std::unique_ptr<shared_mapping>> map_shared(std::size_t /*bytes*/) {
    return boost::system::errc::make_error_code(boost::system::errc::operation_not_supported);
  }
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
