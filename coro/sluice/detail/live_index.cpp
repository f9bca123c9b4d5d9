// The operators' view of a queue's live messages (see live_index.hpp).
#include "sluice/detail/live_index.hpp"

namespace sluice::detail {

namespace {

std::int64_t ticks(sys_time t) noexcept { return t.time_since_epoch().count(); }
sys_time time_of(std::int64_t t) noexcept { return sys_time(sys_time::duration(t)); }

}  // namespace

void live_index::unlink_locked(shard& s, message& m) noexcept {
  index_hook& h = m.hook;
  list& l = s.lists[h.list];
  (h.prev ? h.prev->hook.next : l.head) = h.next;
  (h.next ? h.next->hook.prev : l.tail) = h.prev;
  h.prev = h.next = nullptr;
  h.list = none;
}

void live_index::link_back_locked(shard& s, message& m, list_id to) noexcept {
  index_hook& h = m.hook;
  list& l = s.lists[to];
  h.prev = l.tail;
  h.next = nullptr;
  (l.tail ? l.tail->hook.next : l.head) = &m;
  l.tail = &m;
  h.list = to;
}

void live_index::place(message& m, list_id to, message_state state, sys_time since) noexcept {
  index_hook& h = m.hook;
  h.state.store(static_cast<std::uint8_t>(state), std::memory_order_relaxed);
  h.attempt.store(m.attempt, std::memory_order_relaxed);
  h.since.store(ticks(since), std::memory_order_relaxed);
  h.payload_bytes.store(m.payload.size(), std::memory_order_relaxed);
  shard& s = shards_[shard_index(m.id)];
  const std::lock_guard lock(s.mutex);
  if (h.list != none) unlink_locked(s, m);
  link_back_locked(s, m, to);
}

void live_index::pending(message& m, sys_time since) noexcept { place(m, pending_list, message_state::pending, since); }

void live_index::scheduled(message& m, sys_time due) noexcept {
  place(m, scheduled_list, message_state::scheduled, due);
}

void live_index::in_flight(message& m, sys_time since) noexcept {
  index_hook& h = m.hook;
  h.attempt.store(m.attempt, std::memory_order_relaxed);
  h.since.store(ticks(since), std::memory_order_relaxed);
  h.state.store(static_cast<std::uint8_t>(message_state::in_flight), std::memory_order_relaxed);
}

void live_index::resized(message& m) noexcept {
  m.hook.payload_bytes.store(m.payload.size(), std::memory_order_relaxed);
}

void live_index::erase(message& m) noexcept {
  shard& s = shards_[shard_index(m.id)];
  const std::lock_guard lock(s.mutex);
  if (m.hook.list != none) unlink_locked(s, m);
}

message_info live_index::info_of(const message& m) {
  message_info i;
  i.id = m.id;
  i.type = m.type;
  i.correlation_id = m.effective_correlation_id();
  i.enqueued_at = m.enqueued_at;
  i.replays = m.replays;
  i.state = static_cast<message_state>(m.hook.state.load(std::memory_order_relaxed));
  i.attempt = m.hook.attempt.load(std::memory_order_relaxed);
  i.since = time_of(m.hook.since.load(std::memory_order_relaxed));
  i.payload_bytes = m.hook.payload_bytes.load(std::memory_order_relaxed);
  return i;
}

std::optional<message_info> live_index::find(const message_id& id) const {
  const shard& s = shards_[shard_index(id)];
  const std::lock_guard lock(s.mutex);
  for (const list& l : s.lists) {
    for (const message* m = l.head; m; m = m->hook.next) {
      if (m->id == id) return info_of(*m);
    }
  }
  return std::nullopt;
}

void live_index::for_each(const std::function<void(const message_info&)>& fn) const {
  for (const shard& s : shards_) {
    const std::lock_guard lock(s.mutex);
    for (const list& l : s.lists) {
      for (const message* m = l.head; m; m = m->hook.next) fn(info_of(*m));
    }
  }
}

std::optional<sys_time> live_index::oldest_pending() const {
  std::optional<sys_time> oldest;
  for (const shard& s : shards_) {
    const std::lock_guard lock(s.mutex);
    // Ready order: the first entry still pending is the shard's oldest (the ones before it are
    // in flight, at most one per worker).
    for (const message* m = s.lists[pending_list].head; m; m = m->hook.next) {
      if (m->hook.state.load(std::memory_order_relaxed) != static_cast<std::uint8_t>(message_state::pending)) continue;
      const sys_time since = time_of(m->hook.since.load(std::memory_order_relaxed));
      if (!oldest || since < *oldest) oldest = since;
      break;
    }
  }
  return oldest;
}

}  // namespace sluice::detail
