// Durable state rebuilt from journal events (see journal_state.hpp).
#include "sluice/journal/journal_state.hpp"

#include <algorithm>
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

void journal_state::load(durable_message d) {
  if (largest_ < d.m.id) largest_ = d.m.id;
  const message_id id = d.m.id;
  if (!messages_.emplace(id, std::move(d)).second) ++contradictions_;
}

void journal_state::apply(std::uint64_t lsn, const event& e) {
  if (const auto* enq = std::get_if<enqueue_event>(&e)) {
    durable_message d;
    d.queue = enq->queue;
    d.m = enq->m;
    d.order = lsn;
    d.last_lsn = lsn;
    d.place = d.m.not_before != sys_time{} ? message_place::scheduled : message_place::ready;
    d.due = d.m.not_before;
    load(std::move(d));
    return;
  }
  const message_id& id = event_id(e);
  if (std::holds_alternative<ack_event>(e) || std::holds_alternative<purge_event>(e)) {
    if (messages_.erase(id) == 0) ++contradictions_;  // done, or purged from the dead letters
    return;
  }
  if (auto* d = find(id)) apply_to(*d, lsn, e);
}

recovered_state journal_state::recovered() const {
  recovered_state out;
  out.contradictions = contradictions_;
  out.largest_id = largest_;
  for (const auto& [id, d] : messages_) {
    switch (d.place) {
      case message_place::ready:
        out.ready.push_back(d);
        break;
      case message_place::scheduled:
        out.scheduled.push_back(d);
        break;
      case message_place::in_flight:
        out.in_flight.push_back(d);
        break;
      case message_place::dead:
        out.dead.push_back(d);
        out.dead.back().letter.envelope = d.m;
        break;
    }
  }
  auto by_order = [](const durable_message& a, const durable_message& b) { return a.order < b.order; };
  std::sort(out.ready.begin(), out.ready.end(), by_order);
  std::sort(out.in_flight.begin(), out.in_flight.end(), by_order);
  std::sort(out.scheduled.begin(), out.scheduled.end(),
            [](const auto& a, const auto& b) { return a.due != b.due ? a.due < b.due : a.order < b.order; });
  std::sort(out.dead.begin(), out.dead.end(), [](const auto& a, const auto& b) {
    return a.letter.dead_lettered_at != b.letter.dead_lettered_at
               ? a.letter.dead_lettered_at < b.letter.dead_lettered_at
               : a.order < b.order;
  });
  return out;
}

}  // namespace sluice::journal
