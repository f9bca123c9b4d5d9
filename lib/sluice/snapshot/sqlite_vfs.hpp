// A sqlite3_vfs that routes every file SQLite touches through fs::file_system, so the snapshot
// database lives under the same file layer as the journal: the real POSIX one in production, the
// simulated disk (which forgets, tears and fails writes) in the crash suites.
//
// The database is used by one connection of one process (the data directory's lock guarantees
// it), opened with `PRAGMA locking_mode=EXCLUSIVE` before WAL mode is entered, so SQLite keeps its
// WAL index in heap memory and never calls the shared-memory methods; file locks are therefore
// no-ops here. Any file created through the VFS gets its directory fsynced on its first sync (the
// entry must survive a power loss as much as the bytes). Temporary files are not supported (the
// store sets temp_store=MEMORY).
// Thread-safety: registration is internally locked by SQLite; a file is used by one connection.
#pragma once

#include "sluice/fs/file_system.hpp"

#include <memory>
#include <string>

struct sqlite3_vfs;

namespace sluice::snapshot {

class sqlite_vfs {
 public:
  // Registers a VFS (not the default one) under a unique name.
  explicit sqlite_vfs(fs::file_system& files);
  ~sqlite_vfs();  // unregisters; no connection may still use it
  sqlite_vfs(const sqlite_vfs&) = delete;
  sqlite_vfs& operator=(const sqlite_vfs&) = delete;

  // For sqlite3_open_v2's zVfs.
  [[nodiscard]] const char* name() const noexcept { return name_.c_str(); }
  // The file-layer error behind SQLite's last I/O failure through this VFS (ENOSPC, EIO, ...).
  [[nodiscard]] fs::error_code last_error() const;
  void clear_error();

  struct impl;

 private:
  std::string name_;
  std::unique_ptr<impl> impl_;
};

}  // namespace sluice::snapshot
