// Durable state rebuilt from journal events (see journal_state.hpp).
#include "sluice/journal/journal_state.hpp"

#include <algorithm>
#include <type_traits>

namespace sluice::journal {

void journal_state::index_pending() {
  if (indexed_ == slots_.size()) return;
  if (index_.empty()) index_.reserve(slots_.capacity());  // what reserve() asked for, if it did
  // Every slot not yet indexed is live (erase() indexes first) and its id is new (load() checked).
  for (; indexed_ < slots_.size(); ++indexed_)
    index_.emplace(slots_[indexed_].m->id, static_cast<std::uint32_t>(indexed_));
}

durable_message* journal_state::lookup(const message_id& id) {
  index_pending();
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &slots_[it->second];
}

durable_message* journal_state::find(const message_id& id) {
  durable_message* d = lookup(id);
  if (d == nullptr) ++contradictions_;
  return d;
}

void journal_state::reserve(std::size_t more) {
  slots_.reserve(slots_.size() + more);
  if (!index_.empty()) index_.reserve(size() + more);  // else reserved when first built, if ever
}

void journal_state::erase(const message_id& id) {
  index_pending();
  auto it = index_.find(id);
  if (it == index_.end()) {
    ++contradictions_;  // done, or purged from the dead letters, already
    return;
  }
  auto& ended = slots_[it->second];  // freed now; the slot goes at the next compaction
  ended.m.reset();
  ended.letter.reset();
  std::string().swap(ended.queue);
  index_.erase(it);
  if (++ended_ > 1024 && ended_ * 2 > slots_.size()) compact();
}

// Drops the slots of ended messages (keeping arrival order) once they are half of all slots.
void journal_state::compact() {
  std::erase_if(slots_, [](const durable_message& d) { return d.m == nullptr; });
  ended_ = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) index_[slots_[i].m->id] = static_cast<std::uint32_t>(i);
  indexed_ = slots_.size();
}

bool journal_state::apply_if_newer(std::uint64_t lsn, const checkout_event& c) {
  durable_message* d = lookup(c.id);  // a finished message is no contradiction here
  if (d == nullptr || d->place == message_place::dead || c.lease_epoch <= d->m->lease_epoch) return false;
  apply_to(*d, lsn, event{c});
  return true;
}

void apply_to(durable_message& d, std::uint64_t lsn, const event& e) {
  d.last_lsn = std::max(d.last_lsn, lsn);
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, checkout_event>) {
          d.m->attempt = std::max(d.m->attempt, ev.attempt);
          d.m->lease_epoch = std::max(d.m->lease_epoch, ev.lease_epoch);
          d.place = message_place::in_flight;
        } else if constexpr (std::is_same_v<T, reschedule_event>) {
          d.m->attempt = std::max(d.m->attempt, ev.attempt);
          d.m->snoozes = ev.snoozes;
          d.m->first_failure_at = ev.first_failure_at;
          d.place = message_place::scheduled;
          d.due = ev.due;
          d.order = lsn;
        } else if constexpr (std::is_same_v<T, dead_letter_event>) {
          d.place = message_place::dead;
          if (!d.letter) d.letter = std::make_unique<dead_letter>();
          d.letter->queue = d.queue;
          d.letter->reason = ev.reason;
          d.letter->cause = ev.cause;
          d.letter->first_failure_at = ev.first_failure_at;
          d.letter->last_failure_at = ev.last_failure_at;
          d.letter->dead_lettered_at = ev.dead_lettered_at;
          d.m->first_failure_at = ev.first_failure_at;
        } else if constexpr (std::is_same_v<T, replay_event>) {
          ++d.m->replays;
          if (ev.reset_attempts) {
            d.m->attempt = 0;
            d.m->snoozes = 0;
            d.m->first_failure_at = {};
          }
          d.place = message_place::ready;
          d.order = lsn;
        } else if constexpr (std::is_same_v<T, replace_event>) {
          d.m->payload = ev.payload;
          d.m->headers = ev.headers;
        } else if constexpr (std::is_same_v<T, lease_event>) {
          d.m->lease_epoch = std::max(d.m->lease_epoch, ev.lease_epoch);
        } else {
          static_assert(std::is_same_v<T, enqueue_event> || std::is_same_v<T, ack_event> ||
                        std::is_same_v<T, purge_event>);
        }
      },
      e);
}

durable_message durable_message::clone() const {
  durable_message d;
  d.queue = queue;
  *d.m = *m;
  d.place = place;
  d.due = due;
  d.order = order;
  d.last_lsn = last_lsn;
  if (letter) d.letter = std::make_unique<dead_letter>(*letter);
  return d;
}

durable_message enqueued(std::uint64_t lsn, enqueue_event e) {
  durable_message d;
  d.queue = std::move(e.queue);
  *d.m = std::move(e.m);
  place_enqueued(d, lsn);
  return d;
}

void place_enqueued(durable_message& d, std::uint64_t lsn) {
  d.order = lsn;
  d.last_lsn = lsn;
  d.place = d.m->not_before != sys_time{} ? message_place::scheduled : message_place::ready;
  d.due = d.m->not_before;
}

void journal_state::load(durable_message d) {
  if (largest_ < d.m->id || slots_.empty()) {
    largest_ = std::max(largest_, d.m->id);  // above every id loaded: cannot repeat one
  } else {
    index_pending();
    if (index_.contains(d.m->id)) {
      ++contradictions_;
      return;
    }
  }
  slots_.push_back(std::move(d));
}

void journal_state::apply(std::uint64_t lsn, event&& e) {
  if (auto* enq = std::get_if<enqueue_event>(&e)) {
    load(enqueued(lsn, std::move(*enq)));
    return;
  }
  apply(lsn, static_cast<const event&>(e));
}

void journal_state::apply(std::uint64_t lsn, const event& e) {
  if (const auto* enq = std::get_if<enqueue_event>(&e)) {
    load(enqueued(lsn, *enq));
    return;
  }
  const message_id& id = event_id(e);
  if (std::holds_alternative<ack_event>(e) || std::holds_alternative<purge_event>(e)) {
    erase(id);
    return;
  }
  if (auto* d = find(id)) apply_to(*d, lsn, e);
}

recovered_state journal_state::recovered() const {
  journal_state copy;
  copy.reserve(index_.size());
  for (const auto& d : slots_) {
    if (d.m) copy.load(d.clone());
  }
  copy.contradictions_ = contradictions_;
  copy.largest_ = largest_;
  return copy.take();
}

recovered_state journal_state::take() {
  recovered_state out;
  out.contradictions = contradictions_;
  out.largest_id = largest_;
  // The slots are in arrival order, and most messages are ready: they are compacted to the front
  // in place and the slot vector becomes `ready` (sorted only where a replay gave a message a
  // later order). The others are moved into their vectors and sorted there.
  std::size_t kept = 0;
  for (auto& d : slots_) {
    if (!d.m) continue;
    switch (d.place) {
      case message_place::ready:
        if (&slots_[kept] != &d) slots_[kept] = std::move(d);
        ++kept;
        break;
      case message_place::scheduled:
        out.scheduled.push_back(std::move(d));
        break;
      case message_place::in_flight:
        out.in_flight.push_back(std::move(d));
        break;
      case message_place::dead:
        out.dead.push_back(std::move(d));
        break;
    }
  }
  slots_.resize(kept);
  auto by_order = [](const durable_message& a, const durable_message& b) { return a.order < b.order; };
  auto sort_unless_sorted = [](std::vector<durable_message>& v, auto less) {
    if (!std::is_sorted(v.begin(), v.end(), less)) std::sort(v.begin(), v.end(), less);
  };
  sort_unless_sorted(slots_, by_order);
  sort_unless_sorted(out.in_flight, by_order);
  sort_unless_sorted(out.scheduled,
                     [](const auto& a, const auto& b) { return a.due != b.due ? a.due < b.due : a.order < b.order; });
  sort_unless_sorted(out.dead, [](const auto& a, const auto& b) {
    return a.letter->dead_lettered_at != b.letter->dead_lettered_at
               ? a.letter->dead_lettered_at < b.letter->dead_lettered_at
               : a.order < b.order;
  });
  for (auto& d : out.dead) d.letter->envelope = *d.m;
  out.ready = std::move(slots_);
  slots_ = std::vector<durable_message>();
  index_.clear();
  indexed_ = 0;
  ended_ = 0;
  contradictions_ = 0;
  return out;
}

}  // namespace sluice::journal
