// `sluice metrics [--reset]`: the per-queue figures of GET /api/metrics as one table, with the
// journal and snapshot lines below it; --reset first POSTs /api/metrics/reset and says so.
#include "sluice/cli/command_support.hpp"
#include "sluice/cli/format.hpp"
#include "sluice/cli/table.hpp"

#include <optional>

namespace sluice::cli {

namespace json = boost::json;

namespace {

void print_queues(const command_context& ctx, const json::object& metrics) {
  table t({{"QUEUE", align::left, 18},
           {"PENDING", align::right},
           {"IN-FL", align::right},
           {"SCHED", align::right},
           {"DLQ", align::right},
           {"WRK", align::right},
           {"PROCESSED", align::right},
           {"FAILED", align::right},
           {"FAIL%", align::right},
           {"P50", align::right},
           {"P95", align::right},
           {"P99", align::right},
           {"OLDEST", align::right}});
  for (const auto& entry : array_field(metrics, "queues")) {
    if (!entry.is_object()) continue;
    const auto& q = entry.get_object();
    const auto& processing = object_field(q, "processing");
    const bool waiting = count_field(q, "pending") > 0;
    t.add_row({text_field(q, "name"), format_count(count_field(q, "pending")),
               format_count(count_field(q, "in_flight")), format_count(count_field(q, "scheduled")),
               format_count(count_field(q, "dead_letters")), format_count(count_field(q, "workers")),
               format_count(count_field(q, "processed")), format_count(count_field(q, "failed")),
               format_percent(number_field(q, "failure_rate")), format_duration_ms(number_field(processing, "p50_ms")),
               format_duration_ms(number_field(processing, "p95_ms")),
               format_duration_ms(number_field(processing, "p99_ms")),
               waiting ? format_duration_ms(number_field(q, "oldest_age_ms")) : "-"});
  }
  if (t.empty()) {
    ctx.out << "no queues\n";
    return;
  }
  t.print(ctx.out);
}

void print_journal(const command_context& ctx, const json::object& journal) {
  ctx.out << "journal: " << format_count(count_field(journal, "records")) << " records in "
          << format_count(count_field(journal, "batches")) << " batches (largest "
          << format_count(count_field(journal, "largest_batch")) << "), "
          << format_count(count_field(journal, "failed_batches")) << " failed, "
          << format_count(count_field(journal, "pending")) << " pending; enqueue to durable p99 "
          << format_duration_ms(number_field(object_field(journal, "enqueue_to_durable"), "p99_ms")) << '\n';
}

void print_snapshot(const command_context& ctx, const json::object& snapshot) {
  ctx.out << "snapshots: " << format_count(count_field(snapshot, "snapshots")) << " taken, "
          << format_count(count_field(snapshot, "failures")) << " failed, last took "
          << format_duration_ms(number_field(snapshot, "last_took_ms")) << ", "
          << format_count(count_field(snapshot, "behind_records")) << " records behind\n";
  const std::string last_error = text_field(snapshot, "last_error");
  if (!last_error.empty()) ctx.out << "snapshot error: " << sanitize(last_error) << '\n';
}

}  // namespace

int run_metrics(const command_context& ctx, const metrics_options& options) {
  std::optional<object_reply> reset;
  if (options.reset) {
    reset = post_object(ctx, "/api/metrics/reset");
    if (!reset->ok()) return reset->exit;
  }
  const auto metrics = get_object(ctx, "/api/metrics");
  if (!metrics.ok()) return metrics.exit;
  if (ctx.format == output_format::json) {
    if (reset) {
      print_json(ctx, json::object{{"reset", true}, {"metrics", metrics.object()}});
    } else {
      print_json(ctx, metrics.object());
    }
    return exit_ok;
  }
  if (reset) ctx.out << "metrics reset: counters and latencies count from now on\n\n";
  print_queues(ctx, metrics.object());
  const auto& m = metrics.object();
  if (m.contains("journal")) print_journal(ctx, object_field(m, "journal"));
  if (m.contains("snapshot")) print_snapshot(ctx, object_field(m, "snapshot"));
  return exit_ok;
}

}  // namespace sluice::cli
