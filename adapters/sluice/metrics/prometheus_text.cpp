// Prometheus text exposition (see prometheus_text.hpp).
#include "sluice/metrics/prometheus_text.hpp"

#include <charconv>
#include <cstdint>
#include <functional>
#include <string_view>

namespace sluice::metrics {

namespace {

// Label values escape backslash, double quote and newline (the format's only escapes).
void append_label_value(std::string& out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
}

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_number(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

double seconds(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e9; }

class exposition {
 public:
  explicit exposition(std::string& out) : out_(out) {}

  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  template <class V>
  void sample(std::string_view name, std::string_view queue, V value, std::string_view quantile = {}) {
    out_ += name;
    if (!queue.empty() || !quantile.empty()) {
      out_ += '{';
      if (!queue.empty()) {
        out_ += "queue=\"";
        append_label_value(out_, queue);
        out_ += '"';
      }
      if (!quantile.empty()) {
        if (!queue.empty()) out_ += ',';
        out_ += "quantile=\"";
        out_ += quantile;
        out_ += '"';
      }
      out_ += '}';
    }
    out_ += ' ';
    append_number(out_, value);
    out_ += '\n';
  }

 private:
  std::string& out_;
};

using queue_counter = std::uint64_t queue_stats::*;

struct per_queue {
  const char* name;
  const char* type;
  const char* help;
  queue_counter field;
};

constexpr per_queue per_queue_figures[] = {
    {"sluice_enqueued_total", "counter", "Messages admitted into the queue.", &queue_stats::enqueued},
    {"sluice_processed_total", "counter", "Deliveries whose handler returned (acknowledged).", &queue_stats::processed},
    {"sluice_failed_total", "counter", "Deliveries whose handler threw.", &queue_stats::failed},
    {"sluice_retried_total", "counter", "Failures scheduled for another attempt.", &queue_stats::retried},
    {"sluice_snoozed_total", "counter", "Deliveries the handler snoozed.", &queue_stats::snoozed},
    {"sluice_dead_lettered_total", "counter", "Messages moved to the dead-letter queue.", &queue_stats::dead_lettered},
    {"sluice_dead_letters_evicted_total", "counter", "Dead letters dropped from a full dead-letter queue.",
     &queue_stats::dead_letters_evicted},
    {"sluice_timed_out_total", "counter", "Deliveries cancelled by their handler's timeout.", &queue_stats::timed_out},
    {"sluice_stuck_total", "counter", "Deliveries revoked as stuck (their handler ignored the cancellation).",
     &queue_stats::stuck},
    {"sluice_lease_expired_total", "counter", "Deliveries revoked because their lease ended.",
     &queue_stats::lease_expired},
    {"sluice_lease_lost_total", "counter", "Stale outcomes or lease extensions rejected.", &queue_stats::lease_lost},
    {"sluice_heartbeats_total", "counter", "Automatic lease renewals.", &queue_stats::heartbeats},
    {"sluice_dedup_replaced_total", "counter", "Enqueues that replaced a waiting message's payload.",
     &queue_stats::dedup_replaced},
    {"sluice_dedup_rejected_total", "counter", "Enqueues rejected as duplicates.", &queue_stats::dedup_rejected},
    {"sluice_pending_messages", "gauge", "Messages ready and waiting for a worker.", &queue_stats::pending},
    {"sluice_in_flight_messages", "gauge", "Messages handed to a handler that has not finished.",
     &queue_stats::in_flight},
    {"sluice_scheduled_messages", "gauge", "Messages waiting for a moment (delay, retry backoff, snooze).",
     &queue_stats::scheduled},
    {"sluice_dead_letter_messages", "gauge", "Dead-letter queue depth.", &queue_stats::dead_letters},
    {"sluice_workers", "gauge", "Live workers (busy or idle).", &queue_stats::workers},
    {"sluice_stuck_handlers", "gauge", "Handlers revoked as stuck that are still running.",
     &queue_stats::stuck_running},
    {"sluice_dedup_keys", "gauge", "Live deduplication keys.", &queue_stats::dedup_keys},
    {"sluice_ordering_held_messages", "gauge", "Messages waiting behind an earlier one with their ordering key.",
     &queue_stats::ordering_held},
};

// The samples of one summary series (queue empty: no queue label).
void summary_samples(exposition& e, std::string_view name, std::string_view queue,
                     const latency_histogram::summary& h) {
  e.sample(name, queue, seconds(h.p50), "0.5");
  e.sample(name, queue, seconds(h.p95), "0.95");
  e.sample(name, queue, seconds(h.p99), "0.99");
  e.sample(std::string(name) + "_sum", queue, h.mean_ns * static_cast<double>(h.count) / 1e9);
  e.sample(std::string(name) + "_count", queue, h.count);
}

void summary(exposition& e, std::string_view name, std::string_view help, const std::vector<queue_stats>& queues,
             latency_histogram::summary queue_stats::*field) {
  e.family(name, "summary", help);
  for (const auto& q : queues) summary_samples(e, name, q.name, q.*field);
}

}  // namespace

std::string prometheus_text(const engine_stats& s) {
  std::string out;
  out.reserve(4096 + s.queues.size() * 3072);
  exposition e(out);
  for (const auto& f : per_queue_figures) {
    e.family(f.name, f.type, f.help);
    for (const auto& q : s.queues) e.sample(f.name, q.name, q.*(f.field));
  }
  e.family("sluice_queue_oldest_age_seconds", "gauge", "Age of the oldest pending message (0 when none is pending).");
  for (const auto& q : s.queues) e.sample("sluice_queue_oldest_age_seconds", q.name, seconds(q.oldest_pending_age));
  summary(e, "sluice_message_age_at_start_seconds", "Time from enqueue to handler start.", s.queues,
          &queue_stats::queue_wait);
  summary(e, "sluice_processing_seconds", "Time from handler start to finish.", s.queues, &queue_stats::processing);

  e.family("sluice_timer_expiries_total", "counter", "Engine alarms that fired.");
  e.sample("sluice_timer_expiries_total", {}, s.timer_expiries);
  if (s.journal.enabled) {
    const auto& j = s.journal;
    const std::pair<const char*, std::uint64_t> counters[] = {
        {"sluice_journal_batches_total", j.batches},
        {"sluice_journal_records_total", j.records},
        {"sluice_journal_failed_batches_total", j.failed_batches},
        {"sluice_journal_record_failures_total", j.failures},
    };
    const char* helps[] = {"Group commits (one write and, in fsync mode, one fdatasync each).",
                           "Records written to the journal.", "Group commits that failed (disk full, I/O error).",
                           "Fire-and-forget records (acks, retries) that could not be written."};
    for (std::size_t i = 0; i < std::size(counters); ++i) {
      e.family(counters[i].first, "counter", helps[i]);
      e.sample(counters[i].first, {}, counters[i].second);
    }
    e.family("sluice_journal_pending_submissions", "gauge", "Submissions waiting for the disk now.");
    e.sample("sluice_journal_pending_submissions", {}, j.pending);
    e.family("sluice_enqueue_durable_seconds", "summary", "Time from an enqueue's journal submission to durable.");
    summary_samples(e, "sluice_enqueue_durable_seconds", {}, j.enqueue_to_durable);
  }
  if (s.snapshot.enabled) {
    const auto& n = s.snapshot;
    e.family("sluice_snapshots_total", "counter", "Snapshots committed.");
    e.sample("sluice_snapshots_total", {}, n.snapshots);
    e.family("sluice_snapshot_failures_total", "counter", "Snapshots not committed (retried; the journal is kept).");
    e.sample("sluice_snapshot_failures_total", {}, n.failures);
    e.family("sluice_journal_segments_deleted_total", "counter", "Journal segments both snapshot generations cover.");
    e.sample("sluice_journal_segments_deleted_total", {}, n.segments_deleted);
    e.family("sluice_snapshot_covered_lsn", "gauge", "Journal LSN the newest snapshot covers.");
    e.sample("sluice_snapshot_covered_lsn", {}, n.covered_lsn);
    e.family("sluice_snapshot_behind_records", "gauge", "Durable journal records not yet in the newest snapshot.");
    e.sample("sluice_snapshot_behind_records", {}, n.behind_records);
    e.family("sluice_snapshot_last_duration_seconds", "gauge", "How long the last snapshot took.");
    e.sample("sluice_snapshot_last_duration_seconds", {}, std::chrono::duration<double>(n.last_took).count());
  }
  return out;
}

}  // namespace sluice::metrics
