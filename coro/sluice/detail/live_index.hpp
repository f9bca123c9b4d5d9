// The operators' view of a queue's live messages (pending, scheduled, in flight): a summary per
// message, kept beside the structures that own the messages (the lock-free ring, the timekeeper's
// heap, the workers), because the ring cannot be walked while producers and workers use it.
// Each change is one short critical section on one of 16 shards chosen by the message id, so
// producers and workers of different messages rarely meet; listing locks one shard at a time.
// Thread-safety: every member is safe from any thread.
#pragma once

#include "sluice/message/message.hpp"
#include "sluice/message_info.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace sluice::detail {

class live_index {
 public:
  explicit live_index(bool enabled) noexcept : enabled_(enabled) {}
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

  // m became pending (published or held behind its key), scheduled until `since`, or in flight
  // since `since`. Inserts the message's summary if it is new to the index.
  void set(const message& m, message_state state, sys_time since) noexcept;
  // m left the queue (acknowledged, dead-lettered, superseded, dropped).
  void erase(const message_id& id) noexcept;

  [[nodiscard]] std::optional<message_info> find(const message_id& id) const;
  // Calls fn for every live summary (the queue name is left empty); one shard locked at a time.
  void for_each(const std::function<void(const message_info&)>& fn) const;
  // When the longest-waiting pending message became ready; nullopt when none is pending.
  [[nodiscard]] std::optional<sys_time> oldest_pending() const;

 private:
  static constexpr std::size_t shard_count = 16;
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<message_id, message_info, message_id_hash> live;
  };
  shard& shard_of(const message_id& id) noexcept { return shards_[message_id_hash{}(id) % shard_count]; }
  const shard& shard_of(const message_id& id) const noexcept { return shards_[message_id_hash{}(id) % shard_count]; }

  const bool enabled_;
  std::array<shard, shard_count> shards_;
};

}  // namespace sluice::detail
