// The operators' view of a queue's live messages (see live_index.hpp).
#include "sluice/detail/live_index.hpp"

#include <algorithm>

namespace sluice::detail {

void live_index::set(const message& m, message_state state, sys_time since) noexcept {
  shard& s = shard_of(m.id);
  try {
    std::lock_guard lock(s.mutex);
    auto [it, fresh] = s.live.try_emplace(m.id);
    message_info& i = it->second;
    if (fresh) {
      i.id = m.id;
      i.type = m.type;
      i.correlation_id = m.effective_correlation_id();
      i.enqueued_at = m.enqueued_at;
    }
    i.state = state;
    i.attempt = state == message_state::in_flight ? m.attempt + 1 : m.attempt;  // the delivery starting
    i.replays = m.replays;
    i.payload_bytes = m.payload.size();
    i.since = since;
  } catch (...) {
    // Out of memory: the operators' view misses this message; the message itself is unaffected.
  }
}

void live_index::erase(const message_id& id) noexcept {
  shard& s = shard_of(id);
  std::lock_guard lock(s.mutex);
  s.live.erase(id);
}

std::optional<message_info> live_index::find(const message_id& id) const {
  const shard& s = shard_of(id);
  std::lock_guard lock(s.mutex);
  const auto it = s.live.find(id);
  if (it == s.live.end()) return std::nullopt;
  return it->second;
}

void live_index::for_each(const std::function<void(const message_info&)>& fn) const {
  for (const shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, info] : s.live) fn(info);
  }
}

std::optional<sys_time> live_index::oldest_pending() const {
  std::optional<sys_time> oldest;
  for (const shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, info] : s.live) {
      // Since it became ready: a replayed letter or a retry is not as old as its first enqueue.
      if (info.state == message_state::pending && (!oldest || info.since < *oldest)) oldest = info.since;
    }
  }
  return oldest;
}

}  // namespace sluice::detail
