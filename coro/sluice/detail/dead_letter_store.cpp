// A queue's dead letters (see dead_letter_store.hpp).
#include "sluice/detail/dead_letter_store.hpp"

#include <algorithm>

namespace sluice::detail {

std::optional<message_id> dead_letter_store::add(dead_letter letter) {
  std::lock_guard lock(mutex_);
  std::optional<message_id> dropped;
  if (letters_.size() >= capacity_) {
    dropped = letters_.front().envelope.id;
    letters_.pop_front();
    ++evicted_;
  }
  letter.sequence = next_sequence_++;
  // Replays and clock steps can make times go back a little: keep the deque sorted.
  const auto at = std::upper_bound(letters_.begin(), letters_.end(), letter.dead_lettered_at,
                                   [](sys_time t, const dead_letter& d) { return t < d.dead_lettered_at; });
  letters_.insert(at, std::move(letter));
  ++total_;
  return dropped;
}

std::vector<dead_letter> dead_letter_store::list(const dead_letter_filter& filter, std::size_t limit,
                                                 std::size_t offset) const {
  std::vector<dead_letter> out;
  std::lock_guard lock(mutex_);
  for (const auto& d : letters_) {
    if (out.size() >= limit) break;
    if (!filter.matches(d)) continue;
    if (offset > 0) {
      --offset;
      continue;
    }
    out.push_back(d);
  }
  return out;
}

std::optional<dead_letter> dead_letter_store::get(const message_id& id) const {
  std::lock_guard lock(mutex_);
  for (const auto& d : letters_) {
    if (d.envelope.id == id) return d;
  }
  return std::nullopt;
}

namespace {

bool in_scope(const dead_letter& d, const dead_letter_filter& filter, const replay_scope& scope) {
  return d.sequence < scope.before && filter.matches(d);
}

}  // namespace

std::vector<dead_letter> dead_letter_store::take(const dead_letter_filter& filter, const replay_scope& scope,
                                                 std::size_t limit) {
  std::vector<dead_letter> out;
  std::lock_guard lock(mutex_);
  for (auto it = letters_.begin(); it != letters_.end() && out.size() < limit;) {
    if (in_scope(*it, filter, scope) && it->envelope.replays < scope.quarantine_at) {
      out.push_back(std::move(*it));
      it = letters_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

replay_count dead_letter_store::count(const dead_letter_filter& filter, const replay_scope& scope) const {
  replay_count c;
  std::lock_guard lock(mutex_);
  for (const auto& d : letters_) {
    if (!in_scope(d, filter, scope)) continue;
    ++(d.envelope.replays < scope.quarantine_at ? c.replayable : c.quarantined);
  }
  return c;
}

std::uint64_t dead_letter_store::next_sequence() const {
  std::lock_guard lock(mutex_);
  return next_sequence_;
}

std::optional<dead_letter> dead_letter_store::take(const message_id& id) {
  std::lock_guard lock(mutex_);
  for (auto it = letters_.begin(); it != letters_.end(); ++it) {
    if (it->envelope.id == id) {
      dead_letter d = std::move(*it);
      letters_.erase(it);
      return d;
    }
  }
  return std::nullopt;
}

std::size_t dead_letter_store::purge(const dead_letter_filter& filter, std::vector<message_id>* ids) {
  std::lock_guard lock(mutex_);
  const auto before = letters_.size();
  std::erase_if(letters_, [&](const dead_letter& d) {
    if (!filter.matches(d)) return false;
    if (ids) ids->push_back(d.envelope.id);
    return true;
  });
  return before - letters_.size();
}

void dead_letter_store::count_error_types(const dead_letter_filter& filter,
                                          std::map<std::string, std::uint64_t>& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& d : letters_) {
    if (filter.matches(d)) ++out[d.cause.error_type];
  }
}

std::size_t dead_letter_store::size() const {
  std::lock_guard lock(mutex_);
  return letters_.size();
}

std::uint64_t dead_letter_store::total() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::uint64_t dead_letter_store::evicted() const {
  std::lock_guard lock(mutex_);
  return evicted_;
}

}  // namespace sluice::detail
