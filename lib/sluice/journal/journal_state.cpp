// Durable state rebuilt from journal events (see journal_state.hpp).
#include "sluice/journal/journal_state.hpp"

#include <algorithm>
#include <array>
#include <type_traits>

namespace sluice::journal {

durable_message* journal_state::find(const message_id& id) {
  auto it = messages_.find(id);
  if (it == messages_.end()) {
    ++contradictions_;
    return nullptr;
  }
  return &it->second;
}

void apply_to(durable_message& d, std::uint64_t lsn, const event& e) {
  d.last_lsn = std::max(d.last_lsn, lsn);
  std::visit(
      [&](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, checkout_event>) {
          d.m.attempt = std::max(d.m.attempt, ev.attempt);
          d.m.lease_epoch = std::max(d.m.lease_epoch, ev.lease_epoch);
          d.place = message_place::in_flight;
        } else if constexpr (std::is_same_v<T, reschedule_event>) {
          d.m.attempt = std::max(d.m.attempt, ev.attempt);
          d.m.snoozes = ev.snoozes;
          d.m.first_failure_at = ev.first_failure_at;
          d.place = message_place::scheduled;
          d.due = ev.due;
          d.order = lsn;
        } else if constexpr (std::is_same_v<T, dead_letter_event>) {
          d.place = message_place::dead;
          d.letter.queue = d.queue;
          d.letter.reason = ev.reason;
          d.letter.cause = ev.cause;
          d.letter.first_failure_at = ev.first_failure_at;
          d.letter.last_failure_at = ev.last_failure_at;
          d.letter.dead_lettered_at = ev.dead_lettered_at;
          d.m.first_failure_at = ev.first_failure_at;
        } else if constexpr (std::is_same_v<T, replay_event>) {
          ++d.m.replays;
          if (ev.reset_attempts) {
            d.m.attempt = 0;
            d.m.snoozes = 0;
            d.m.first_failure_at = {};
          }
          d.place = message_place::ready;
          d.order = lsn;
        } else if constexpr (std::is_same_v<T, replace_event>) {
          d.m.payload = ev.payload;
          d.m.headers = ev.headers;
        } else if constexpr (std::is_same_v<T, lease_event>) {
          d.m.lease_epoch = std::max(d.m.lease_epoch, ev.lease_epoch);
        } else {
          static_assert(std::is_same_v<T, enqueue_event> || std::is_same_v<T, ack_event> ||
                        std::is_same_v<T, purge_event>);
        }
      },
      e);
}

durable_message enqueued(std::uint64_t lsn, enqueue_event e) {
  durable_message d;
  d.queue = std::move(e.queue);
  d.m = std::move(e.m);
  d.order = lsn;
  d.last_lsn = lsn;
  d.place = d.m.not_before != sys_time{} ? message_place::scheduled : message_place::ready;
  d.due = d.m.not_before;
  return d;
}

void journal_state::load(durable_message d) {
  if (largest_ < d.m.id) largest_ = d.m.id;
  const message_id id = d.m.id;
  if (!messages_.emplace(id, std::move(d)).second) ++contradictions_;
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
    if (messages_.erase(id) == 0) ++contradictions_;  // done, or purged from the dead letters
    return;
  }
  if (auto* d = find(id)) apply_to(*d, lsn, e);
}

recovered_state journal_state::recovered() const { return journal_state(*this).take(); }

recovered_state journal_state::take() {
  recovered_state out;
  out.contradictions = contradictions_;
  out.largest_id = largest_;
  // Sort pointers, then move each message once: a durable_message is large (two envelopes).
  std::array<std::vector<durable_message*>, 4> by_place;
  for (auto& [id, d] : messages_) by_place[static_cast<std::size_t>(d.place)].push_back(&d);
  auto by_order = [](const durable_message* a, const durable_message* b) { return a->order < b->order; };
  auto& ready = by_place[static_cast<std::size_t>(message_place::ready)];
  auto& scheduled = by_place[static_cast<std::size_t>(message_place::scheduled)];
  auto& in_flight = by_place[static_cast<std::size_t>(message_place::in_flight)];
  auto& dead = by_place[static_cast<std::size_t>(message_place::dead)];
  std::sort(ready.begin(), ready.end(), by_order);
  std::sort(in_flight.begin(), in_flight.end(), by_order);
  std::sort(scheduled.begin(), scheduled.end(),
            [](const auto* a, const auto* b) { return a->due != b->due ? a->due < b->due : a->order < b->order; });
  std::sort(dead.begin(), dead.end(), [](const auto* a, const auto* b) {
    return a->letter.dead_lettered_at != b->letter.dead_lettered_at
               ? a->letter.dead_lettered_at < b->letter.dead_lettered_at
               : a->order < b->order;
  });
  auto move_all = [](const std::vector<durable_message*>& from, std::vector<durable_message>& to) {
    to.reserve(from.size());
    for (auto* d : from) to.push_back(std::move(*d));
  };
  move_all(ready, out.ready);
  move_all(scheduled, out.scheduled);
  move_all(in_flight, out.in_flight);
  move_all(dead, out.dead);
  for (auto& d : out.dead) d.letter.envelope = d.m;
  messages_.clear();
  contradictions_ = 0;
  return out;
}

}  // namespace sluice::journal
