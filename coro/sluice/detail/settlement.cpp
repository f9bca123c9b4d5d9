// Delivery outcomes (see settlement.hpp).
#include "sluice/detail/settlement.hpp"

#include "sluice/codec.hpp"
#include "sluice/detail/engine_core.hpp"
#include "sluice/detail/queue_runtime.hpp"
#include "sluice/journal/record_codec.hpp"
#include "sluice/permanent_error.hpp"
#include "sluice/persist/durable_store.hpp"

#include <boost/core/demangle.hpp>

#include <typeindex>
#include <typeinfo>
#include <unordered_map>

namespace sluice::detail {

namespace {

// Demangling allocates and walks the mangled name; failing handlers throw the same few types, so
// each thread remembers the names it has seen.
const std::string& type_name(const std::type_info& type) {
  thread_local std::unordered_map<std::type_index, std::string> names;
  auto it = names.find(type);
  if (it == names.end()) it = names.emplace(type, boost::core::demangle(type.name())).first;
  return it->second;
}

}  // namespace

classified_failure classify(const std::exception& e, failure_kind kind) noexcept {
  try {
    return {failure{type_name(typeid(e)), e.what()}, kind == failure_kind::permanent};
  } catch (...) {
    return {failure{"unknown exception", ""}, kind == failure_kind::permanent};  // out of memory
  }
}

classified_failure classify_unknown() noexcept {
  try {
    return {failure{"unknown exception", "a handler threw an object not derived from std::exception"}, false};
  } catch (...) {
    return {failure{}, false};
  }
}

classified_failure describe(const std::exception_ptr& error) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const permanent_error& e) {
    return classify(e, failure_kind::permanent);
  } catch (const decode_error& e) {
    return classify(e, failure_kind::permanent);
  } catch (const std::exception& e) {
    return classify(e, failure_kind::retryable);
  } catch (...) {
    return classify_unknown();
  }
}

void settlement::succeeded(queue_runtime& queue, delivery_stats& stats, std::unique_ptr<message> m,
                           std::chrono::nanoseconds took, const delivery_outcome& outcome) noexcept {
  stats.processing.record_single_writer(took);
  if (outcome.snooze) {
    ++m->snoozes;
    delivery_stats::bump(stats.snoozed);
    core_.observe(queue.name(), *m, settle_outcome::snoozed);
    const sys_time due = core_.clock().now() + *outcome.snooze;
    journal_reschedule(*m, due, /*snooze=*/true);
    return run_again(queue, std::move(m), due);
  }
  delivery_stats::bump(stats.processed);
  core_.observe(queue.name(), *m, settle_outcome::acknowledged);
  record_event(journal::ack_event{m->id});
  release_key(queue, *m);
  queue.recycle(std::move(m));
}

void settlement::failed(queue_runtime& queue, delivery_stats& stats, random_source& random, std::unique_ptr<message> m,
                        classified_failure why, std::chrono::nanoseconds took,
                        const delivery_outcome& outcome) noexcept {
  stats.processing.record_single_writer(took);
  retry_or_dead_letter(queue, stats, random, std::move(m), std::move(why.cause), why.permanent || outcome.permanent);
}

void settlement::revoked(queue_runtime& queue, delivery_stats& stats, random_source& random, std::unique_ptr<message> m,
                         failure cause) noexcept {
  retry_or_dead_letter(queue, stats, random, std::move(m), std::move(cause), false);
}

void settlement::retry_or_dead_letter(queue_runtime& queue, delivery_stats& stats, random_source& random,
                                      std::unique_ptr<message> m, failure cause, bool permanent) noexcept {
  delivery_stats::bump(stats.failed);
  const sys_time now = core_.clock().now();
  if (m->first_failure_at == sys_time{}) m->first_failure_at = now;
  try {
    queue.record_failure(failure_record{m->id, m->type, m->attempt, cause, now});
  } catch (...) {
    core_.log(log_level::warn, "could not record a handler failure (out of memory)");
  }
  const handler_options& options = queue.handler_at(m->handler_index).options;
  if (permanent) return dead_letter_now(queue, std::move(m), dead_letter_reason::permanent_failure, std::move(cause));
  if (m->spent_attempts() > options.max_retries) {
    return dead_letter_now(queue, std::move(m), dead_letter_reason::retries_exhausted, std::move(cause));
  }
  const auto delay = backoff_delay(options.backoff, m->spent_attempts(), random);
  delivery_stats::bump(stats.retried);
  core_.observe(queue.name(), *m, settle_outcome::retry_scheduled);
  journal_reschedule(*m, now + delay, /*snooze=*/false);
  run_again(queue, std::move(m), now + delay);
}

void settlement::run_again(queue_runtime& queue, std::unique_ptr<message> m, sys_time due) noexcept {
  if (!m->dedup_key.empty()) {
    auto r = queue.dedup().on_requeue(*m);
    if (r.release) queue.publish_forced(std::move(r.release));
    if (r.superseded) {  // a newer message for its key will run
      core_.observe(queue.name(), *m, settle_outcome::superseded);
      record_event(journal::ack_event{m->id});  // done: the newer one runs
      queue.release_ordering(*m);
      return queue.recycle(std::move(m));
    }
  }
  if (due <= core_.clock().now()) return queue.publish_forced(std::move(m));  // no wait: skip the timekeeper
  try {
    queue.timers().schedule(std::move(m), due);
  } catch (...) {
    core_.log(log_level::error, "out of memory rescheduling a message");
  }
}

void settlement::journal_reschedule(const message& m, sys_time due, bool snooze) noexcept {
  if (core_.store())
    record_event(journal::reschedule_event{m.id, due, m.attempt, m.snoozes, m.first_failure_at, snooze});
}

void settlement::record_event(const journal::event& e) noexcept {
  auto* store = core_.store();
  if (!store) return;
  try {
    store->record(e);
  } catch (...) {
    core_.log(log_level::error, "out of memory journaling an event");
  }
}

void settlement::release_key(queue_runtime& queue, const message& m) noexcept {
  queue.release_ordering(m);
  if (m.dedup_key.empty()) return;
  if (auto next = queue.dedup().on_settled(m, core_.clock().now())) queue.publish_forced(std::move(next));
}

void settlement::dead_letter_now(queue_runtime& queue, std::unique_ptr<message> m, dead_letter_reason reason,
                                 failure cause) noexcept {
  try {
    const sys_time now = core_.clock().now();
    dead_letter letter;
    letter.queue = queue.name();
    letter.reason = reason;
    letter.cause = std::move(cause);
    letter.first_failure_at = m->first_failure_at == sys_time{} ? now : m->first_failure_at;
    letter.last_failure_at = now;
    letter.dead_lettered_at = now;
    release_key(queue, *m);
    core_.observe(queue.name(), *m, settle_outcome::dead_lettered);
    record_event(journal::dead_letter_event{m->id, reason, letter.cause, letter.first_failure_at,
                                            letter.last_failure_at, letter.dead_lettered_at});
    if (queue.live().enabled()) queue.live().erase(*m);
    letter.envelope = std::move(*m);
    if (auto evicted = queue.dead_letters().add(std::move(letter))) {
      record_event(journal::purge_event{*evicted});  // gone for good: a restart must not bring it back
      core_.log(log_level::warn, "dead-letter queue of '" + queue.name() + "' is full: evicted the oldest letter " +
                                     evicted->to_string());
    }
  } catch (...) {
    core_.log(log_level::error, "out of memory dead-lettering a message");
  }
}

}  // namespace sluice::detail
