// Engine figures as JSON (see metrics_json.hpp).
#include "sluice/metrics/metrics_json.hpp"

#include <boost/json/array.hpp>

#include <chrono>

namespace sluice::metrics {

namespace {

namespace json = boost::json;

double ms(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }

json::object latency(const latency_histogram::summary& h) {
  return {{"count", h.count},    {"p50_ms", ms(h.p50)}, {"p95_ms", ms(h.p95)},
          {"p99_ms", ms(h.p99)}, {"max_ms", ms(h.max)}, {"mean_ms", h.mean_ns / 1e6}};
}

std::int64_t unix_ms(sys_time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

json::object queue(const queue_stats& q) {
  const std::uint64_t finished = q.processed + q.failed;
  json::array failures;
  for (const auto& f : q.recent_failures) {
    failures.push_back(json::object{{"id", f.id.to_string()},
                                    {"message_type", f.message_type},
                                    {"attempt", f.attempt},
                                    {"error_type", f.cause.error_type},
                                    {"error", f.cause.what},
                                    {"at_unix_ms", unix_ms(f.at)}});
  }
  return {
      {"name", q.name},
      {"enqueued", q.enqueued},
      {"processed", q.processed},
      {"failed", q.failed},
      {"retried", q.retried},
      {"snoozed", q.snoozed},
      {"dead_lettered", q.dead_lettered},
      {"dead_letters_evicted", q.dead_letters_evicted},
      {"timed_out", q.timed_out},
      {"stuck", q.stuck},
      {"lease_expired", q.lease_expired},
      {"lease_lost", q.lease_lost},
      {"heartbeats", q.heartbeats},
      {"dedup_replaced", q.dedup_replaced},
      {"dedup_rejected", q.dedup_rejected},
      {"pending", q.pending},
      {"in_flight", q.in_flight},
      {"scheduled", q.scheduled},
      {"dead_letters", q.dead_letters},
      {"workers", q.workers},
      {"stuck_running", q.stuck_running},
      {"dedup_keys", q.dedup_keys},
      {"ordering_held", q.ordering_held},
      {"oldest_age_ms", ms(q.oldest_pending_age)},
      // Of the deliveries that ended in a handler outcome, the share that threw.
      {"failure_rate", finished == 0 ? 0.0 : static_cast<double>(q.failed) / static_cast<double>(finished)},
      {"message_age_at_start", latency(q.queue_wait)},
      {"processing", latency(q.processing)},
      {"recent_failures", std::move(failures)},
  };
}

}  // namespace

json::object metrics_json(const engine_stats& s) {
  json::array queues;
  for (const auto& q : s.queues) queues.push_back(queue(q));
  json::object out{{"queues", std::move(queues)}, {"timer_expiries", s.timer_expiries}};
  if (s.journal.enabled) {
    const auto& j = s.journal;
    out["journal"] = json::object{{"batches", j.batches},
                                  {"records", j.records},
                                  {"failed_batches", j.failed_batches},
                                  {"largest_batch", j.largest_batch},
                                  {"pending", j.pending},
                                  {"record_failures", j.failures},
                                  {"enqueue_to_durable", latency(j.enqueue_to_durable)}};
  }
  if (s.snapshot.enabled) {
    const auto& n = s.snapshot;
    out["snapshot"] = json::object{{"snapshots", n.snapshots},
                                   {"failures", n.failures},
                                   {"covered_lsn", n.covered_lsn},
                                   {"segments_deleted", n.segments_deleted},
                                   {"behind_records", n.behind_records},
                                   {"last_took_ms", static_cast<double>(n.last_took.count()) / 1e3},
                                   {"longest_took_ms", static_cast<double>(n.longest_took.count()) / 1e3},
                                   {"last_error", n.last_error}};
  }
  return out;
}

}  // namespace sluice::metrics
