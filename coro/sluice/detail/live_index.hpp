// The operators' view of a queue's live messages (pending, scheduled, in flight), kept beside the
// structures that own the messages (the lock-free ring, the timekeeper's heap, the workers),
// because the ring cannot be walked while producers and workers use it.
//
// The index is intrusive: each message carries its links and the fields that change while it is
// live (message::hook), so indexing allocates nothing and copies no strings. Messages are spread
// over 16 shards by id; each shard links its pending messages (in the order they became ready,
// in-flight ones staying in place) and its scheduled ones in two lists. Becoming pending or
// scheduled is one short critical section on one shard; a worker taking a message marks it in
// flight with relaxed stores, no lock; leaving the queue unlinks it (one more critical section).
// Listings lock one shard at a time and read a message's immutable fields (id, type,
// correlation, enqueue time) and its hook while it is linked: its owner unlinks it before it
// changes or frees them.
// Thread-safety: every member is safe from any thread; a message is linked in one index at most.
#pragma once

#include "sluice/message/message.hpp"
#include "sluice/message_info.hpp"

#include <array>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>

namespace sluice::detail {

class live_index {
 public:
  explicit live_index(bool enabled) noexcept : enabled_(enabled) {}
  live_index(const live_index&) = delete;
  live_index& operator=(const live_index&) = delete;
  [[nodiscard]] bool enabled() const noexcept { return enabled_; }

  // m became ready (published, or held behind its ordering key) at `since`: it moves to the end
  // of its shard's pending list.
  void pending(message& m, sys_time since) noexcept;
  // m waits until `due` (a delayed enqueue, a retry, a snooze).
  void scheduled(message& m, sys_time due) noexcept;
  // A worker started delivery `m.attempt` of m at `since` (m stays where it is in its list).
  static void in_flight(message& m, sys_time since) noexcept;
  // m's payload was replaced while it waits (deduplication).
  static void resized(message& m) noexcept;
  // m left the queue (acknowledged, dead-lettered, superseded, dropped, revoked): unlinked if
  // linked. Call before changing or freeing it.
  void erase(message& m) noexcept;

  [[nodiscard]] std::optional<message_info> find(const message_id& id) const;
  // Calls fn for every live message (the queue name is left empty); one shard locked at a time.
  void for_each(const std::function<void(const message_info&)>& fn) const;
  // When the longest-waiting pending message became ready; nullopt when none is pending.
  [[nodiscard]] std::optional<sys_time> oldest_pending() const;

 private:
  static constexpr std::size_t shard_count = 16;
  enum list_id : std::uint8_t { none = 0, pending_list = 1, scheduled_list = 2 };
  struct list {
    message* head = nullptr;
    message* tail = nullptr;
  };
  struct alignas(64) shard {
    mutable std::mutex mutex;
    std::array<list, 3> lists;  // [pending_list], [scheduled_list]; [none] unused
  };
  static std::size_t shard_index(const message_id& id) noexcept { return message_id_hash{}(id) % shard_count; }
  void place(message& m, list_id to, message_state state, sys_time since) noexcept;
  static void unlink_locked(shard& s, message& m) noexcept;
  static void link_back_locked(shard& s, message& m, list_id to) noexcept;
  static message_info info_of(const message& m);

  const bool enabled_;
  std::array<shard, shard_count> shards_;
};

}  // namespace sluice::detail
