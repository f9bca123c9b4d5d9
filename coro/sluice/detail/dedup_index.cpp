// Deduplication keys of a queue (see dedup_index.hpp for the rules).
#include "sluice/detail/dedup_index.hpp"

#include "sluice/detail/live_index.hpp"

namespace sluice::detail {

dedup_index::~dedup_index() = default;

void dedup_index::expire_locked(sys_time now) {
  while (!retained_.empty() && retained_.front().first <= now) {
    const auto it = keys_.find(retained_.front().second);
    if (it != keys_.end() && it->second.retained_until == retained_.front().first && !it->second.pending &&
        it->second.in_flight.empty()) {
      keys_.erase(it);
    }
    retained_.pop_front();
  }
}

dedup_index::enqueue_result dedup_index::on_enqueue(std::unique_ptr<message>& m, dedup_mode mode, sys_time now) {
  std::lock_guard lock(mutex_);
  expire_locked(now);
  auto [it, fresh] = keys_.try_emplace(m->dedup_key);
  entry& e = it->second;
  const bool retained = e.retained_until != sys_time{};
  if (fresh || (retained && e.retained_until <= now)) {
    e = entry{};
    e.pending = m.get();
    e.pending_id = m->id;
    return {verdict::proceed, {}};
  }
  if (retained || mode == dedup_mode::reject) {
    ++rejected_;
    return {verdict::rejected, {}};
  }
  if (e.pending) {  // not yet taken: the newest payload wins, the place and id stay
    e.pending->payload = std::move(m->payload);
    e.pending->headers = std::move(m->headers);
    live_index::resized(*e.pending);
    ++replaced_;
    return {verdict::replaced, e.pending_id};
  }
  // In flight.
  if (mode == dedup_mode::replace_pending) {
    e.pending = m.get();
    e.pending_id = m->id;
    return {verdict::proceed, {}};
  }
  if (e.follow_up) {
    e.follow_up->payload = std::move(m->payload);
    e.follow_up->headers = std::move(m->headers);
    ++replaced_;
    return {verdict::replaced, e.follow_up->id};
  }
  const message_id id = m->id;
  e.follow_up = std::move(m);
  return {verdict::held, id};
}

void dedup_index::restore(message& m) {
  std::lock_guard lock(mutex_);
  entry& e = keys_[m.dedup_key];
  e.pending = &m;
  e.pending_id = m.id;
}

void dedup_index::forget(const message& m) noexcept {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(m.dedup_key);
  if (it == keys_.end() || it->second.pending != &m) return;
  it->second.pending = nullptr;
  it->second.pending_id = {};
  if (it->second.in_flight.empty() && !it->second.follow_up) keys_.erase(it);
}

void dedup_index::on_take(const message& m) noexcept {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(m.dedup_key);
  if (it == keys_.end() || it->second.pending != &m) return;  // e.g. a replayed dead letter
  it->second.in_flight = m.id;
  it->second.pending = nullptr;
  it->second.pending_id = {};
}

dedup_index::requeue_result dedup_index::on_requeue(message& m) noexcept {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(m.dedup_key);
  if (it == keys_.end() || it->second.in_flight != m.id) return {};
  entry& e = it->second;
  e.in_flight = {};
  if (e.pending) return {true, nullptr};  // a newer message is already queued
  if (e.follow_up) {
    requeue_result r{true, std::move(e.follow_up)};
    e.pending = r.release.get();
    e.pending_id = r.release->id;
    return r;
  }
  e.pending = &m;  // waits again: a replacement may still update it
  e.pending_id = m.id;
  return {};
}

std::unique_ptr<message> dedup_index::on_settled(const message& m, sys_time now) noexcept {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(m.dedup_key);
  if (it == keys_.end() || it->second.in_flight != m.id) return nullptr;
  entry& e = it->second;
  e.in_flight = {};
  if (e.follow_up) {
    std::unique_ptr<message> next = std::move(e.follow_up);
    e.pending = next.get();
    e.pending_id = next->id;
    return next;
  }
  if (e.pending) return nullptr;  // a successor is queued already
  if (window_.count() > 0) {
    e.retained_until = now + window_;
    try {
      retained_.emplace_back(e.retained_until, m.dedup_key);
    } catch (...) {
      keys_.erase(it);  // cannot track its expiry: release it now
    }
  } else {
    keys_.erase(it);
  }
  return nullptr;
}

std::optional<dedup_key_state> dedup_index::inspect(const std::string& key, sys_time now) const {
  std::lock_guard lock(mutex_);
  const auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  const entry& e = it->second;
  dedup_key_state info;
  if (!e.in_flight.empty()) {
    info.what = dedup_key_state::phase::in_flight;
    info.message = e.in_flight;
  } else if (e.pending) {
    info.what = dedup_key_state::phase::pending;
    info.message = e.pending_id;
  } else if (e.retained_until > now) {
    info.what = dedup_key_state::phase::retained;
    info.retained_until = e.retained_until;
  } else {
    return std::nullopt;  // expired, not yet swept
  }
  info.follow_up_held = e.follow_up != nullptr;
  info.successor_pending = !e.in_flight.empty() && e.pending != nullptr;
  return info;
}

std::size_t dedup_index::size() const {
  std::lock_guard lock(mutex_);
  return keys_.size();
}

std::uint64_t dedup_index::replaced() const {
  std::lock_guard lock(mutex_);
  return replaced_;
}

std::uint64_t dedup_index::rejected() const {
  std::lock_guard lock(mutex_);
  return rejected_;
}

}  // namespace sluice::detail
