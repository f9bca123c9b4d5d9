// The checkout ledger: where a delivery's checkout is noted before its handler runs, without a
// system call or a wait for the journal's writer thread. The ledger is a small file in the data
// directory (CHECKOUTS) mapped shared and locked in memory: a store into it survives a crash of
// the process exactly as a write() does (the kernel has the page), so a handler that takes the
// whole process down still has its attempt counted at the next start, and a poison message
// reaches the dead-letter queue after max_retries. The checkout record is still journaled (fire
// and forget); the ledger only covers the moments before the writer thread has written it.
//
// Layout (docs/journal-format.md, "Checkout ledger"): 4096 lines of 64 bytes, little-endian
// words. Line 0 is the header (magic, version, slot count, the instance id, a CRC32C); each
// further line is one slot, used by one worker at a time, holding two entries of four words
// (message id hi, lo, lease epoch, attempt | CRC32C << 32). A worker writes its two entries in
// turn, so the one before stays whole while the next is being stored: a process killed in the
// middle of a store tears only an entry whose handler had not started.
//
// Recovery applies an entry only when its lease epoch is above the recovered message's (epochs
// only grow, per message, and survive snapshots): then its checkout record never reached the
// journal. Any other entry is stale and ignored, so the file never needs clearing.
// Thread-safety: acquire(), release and hold()/unhold() from any thread; a slot's note() only from
// the thread that holds it (one writer per slot).
#pragma once

#include "sluice/fs/file_system.hpp"
#include "sluice/journal/format.hpp"
#include "sluice/journal/record_codec.hpp"

#include <boost/system/result.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sluice::journal {

struct ledger_entry {
  std::uint32_t slot = 0;
  checkout_event checkout;
};

class checkout_ledger : public std::enable_shared_from_this<checkout_ledger> {
 public:
  static constexpr std::size_t line_bytes = 64;
  static constexpr std::size_t file_bytes = 4096 * line_bytes;
  static constexpr std::uint32_t slot_count = file_bytes / line_bytes - 1;
  static constexpr std::uint32_t format_version = 1;  // in the header line; another one is rebuilt

  // A worker's slot; released (and its entries left in place, stale or not) on destruction.
  class slot {
   public:
    slot(std::shared_ptr<checkout_ledger> ledger, std::uint32_t index) noexcept
        : ledger_(std::move(ledger)), index_(index) {}
    ~slot();
    slot(slot&& other) noexcept = default;
    slot& operator=(slot&&) = delete;
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

    // Stores the checkout in the entry not written last. Returns once the stores are done (a
    // compiler fence: none of them sinks below a handler that runs after this call).
    void note(const checkout_event& c) noexcept;
    [[nodiscard]] std::uint32_t index() const noexcept { return index_; }

   private:
    std::shared_ptr<checkout_ledger> ledger_;  // null once moved from
    std::uint32_t index_;
    std::uint32_t half_ = 0;
  };

  // Opens `path` (creating it, or rebuilding one that is damaged or another instance's) and maps
  // it. `left` receives the valid entries a previous process left, `note` says what was rebuilt.
  // Errors: I/O errors, and those of fs::file::map_shared (the caller then journals checkouts
  // the slow way, waiting until each is written).
  [[nodiscard]] static boost::system::result<std::shared_ptr<checkout_ledger>> open(
      fs::file_system& files, const std::string& path, const instance_id& instance, std::vector<ledger_entry>& left,
      std::string& note, std::string& detail);

  // The valid entries in a ledger file's bytes; nullopt when its header is missing, damaged, of
  // another instance or another version (`why` says which).
  [[nodiscard]] static std::optional<std::vector<ledger_entry>> read(std::span<const std::uint8_t> bytes,
                                                                     const instance_id& instance, std::string& why);

  // A free slot, or nullopt when every one is taken or held.
  [[nodiscard]] std::optional<slot> acquire();
  // A held slot is not handed out: its entry is a recovered checkout whose record is not yet
  // written to the new journal.
  void hold(std::uint32_t index);
  void unhold(std::span<const std::uint32_t> indexes);
  [[nodiscard]] std::size_t in_use() const;

  checkout_ledger(std::unique_ptr<fs::shared_mapping> map, std::vector<std::uint32_t> free);  // open() makes it

 private:
  void release(std::uint32_t index) noexcept;

  std::unique_ptr<fs::shared_mapping> map_;
  mutable std::mutex mutex_;
  std::vector<std::uint32_t> free_;  // under mutex_
  std::vector<bool> held_;           // under mutex_, by slot index
};

}  // namespace sluice::journal
