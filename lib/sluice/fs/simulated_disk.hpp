// An in-memory file_system for fault and crash testing. It keeps, per file, what a reader sees
// now and what is durable (made so by sync_data), and per directory the entries a sync_dir has
// made durable. A power loss is image(damage): a new disk holding what survives, under one of the
// damage models below. Faults: fail the n-th operation of a kind with an errno, once or from then
// on; an fsyncgate mode where a failed sync drops the dirty pages and the next sync "succeeds";
// and crash_at(n): from the n-th operation on, the disk is dead (every call fails with EIO) and
// crash_image() is the power loss at that moment. A mapped file (map_shared) keeps its stores in
// memory the image folds in as unsynced writes: a process crash keeps them, a power loss may not.
// Thread-safety: every member locks one mutex; files share it.
#pragma once

#include "sluice/fs/file_system.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace sluice::fs {

enum class damage : std::uint8_t {
  process_crash,  // the process died, the kernel did not: everything written survives
  lose_unsynced,  // power loss: only synced data and synced directory entries survive
  torn_unsynced,  // power loss: a random subset of unsynced 512-byte sectors made it, in any order
  zero_extend,    // power loss: files keep their new size but unsynced bytes read back as zeros
};

enum class op_kind : std::uint8_t { any, open, write, read, sync, truncate, sync_dir, remove, rename, list };

class simulated_disk final : public file_system {
 public:
  simulated_disk();
  ~simulated_disk() override;
  simulated_disk(const simulated_disk&) = delete;
  simulated_disk& operator=(const simulated_disk&) = delete;

  // --- file_system ---
  boost::system::result<std::unique_ptr<file>> open(const std::string& path, open_mode mode) override;
  error_code sync_dir(const std::string& dir) override;
  error_code remove(const std::string& path) override;
  error_code rename(const std::string& from, const std::string& to) override;
  boost::system::result<std::vector<std::string>> list(const std::string& dir) override;
  error_code create_dir(const std::string& dir) override;
  boost::system::result<std::unique_ptr<dir_lock>> lock(const std::string& path, const std::string& holder,
                                                        std::string& current_holder) override;

  // --- faults ---
  // Fails the n-th (1-based, counted from now) operation of `kind` with `err`; with `persistent`,
  // every later one too; with `path_contains`, only operations on paths containing it count. One
  // rule at a time; clear_faults() removes it.
  void fail(op_kind kind, std::uint64_t n, int err, bool persistent, std::string path_contains = {});
  void clear_faults();
  // A failed sync drops the dirty pages (they stay readable but are no longer durable-pending) and
  // the next sync reports success: Linux's behaviour behind "fsyncgate".
  void set_fsyncgate(bool on);
  // The disk dies at the n-th operation from now (that operation and all later ones fail with EIO).
  void crash_at(std::uint64_t n);
  [[nodiscard]] bool crashed() const;
  [[nodiscard]] std::uint64_t operations() const;  // operations so far
  // Writes to paths containing `path_contains` wait until release_writes(): a writer thread that
  // has not got to them yet, frozen (a process-crash image() taken meanwhile lacks them).
  void hold_writes(std::string path_contains);
  void release_writes();

  // What survives a power loss now (or at the crash, if crash_at fired), under `model`.
  [[nodiscard]] std::unique_ptr<simulated_disk> image(damage model, std::uint64_t seed) const;

  // Test helpers: the bytes a reader would see, and direct damage.
  [[nodiscard]] std::optional<std::vector<std::uint8_t>> contents(const std::string& path) const;
  void overwrite(const std::string& path, std::vector<std::uint8_t> bytes);  // durable at once

  struct state;  // shared with open files

 private:
  std::shared_ptr<state> state_;
};

}  // namespace sluice::fs
