// `sluice health [--detailed]`: GET /healthz, both its answers (200 ok, 503 degraded) printed;
// --detailed adds per queue the totals, p95 and failure rate from /api/metrics and the dead
// letters by error type from /api/dead-letters/stats.
#include "sluice/cli/command_support.hpp"
#include "sluice/cli/format.hpp"
#include "sluice/cli/table.hpp"

namespace sluice::cli {

namespace json = boost::json;

namespace {

void print_summary(const command_context& ctx, const json::object& health) {
  ctx.out << "status: " << sanitize(text_field(health, "status")) << '\n';
  for (const auto& problem : array_field(health, "problems")) {
    if (problem.is_string()) ctx.out << "problem: " << sanitize(text_of(problem.get_string())) << '\n';
  }
  table t({{"QUEUE", align::left, 24},
           {"PENDING", align::right},
           {"IN-FLIGHT", align::right},
           {"SCHEDULED", align::right},
           {"DLQ", align::right},
           {"WORKERS", align::right},
           {"STUCK", align::right},
           {"FAIL%", align::right},
           {"P95", align::right}});
  for (const auto& entry : array_field(health, "queues")) {
    if (!entry.is_object()) continue;
    const auto& q = entry.get_object();
    t.add_row({text_field(q, "name"), format_count(count_field(q, "pending")),
               format_count(count_field(q, "in_flight")), format_count(count_field(q, "scheduled")),
               format_count(count_field(q, "dead_letters")), format_count(count_field(q, "workers")),
               format_count(count_field(q, "stuck_handlers")), format_percent(number_field(q, "failure_rate")),
               format_duration_ms(number_field(q, "processing_p95_ms"))});
  }
  if (!t.empty()) {
    ctx.out << '\n';
    t.print(ctx.out);
  }
}

void print_totals(const command_context& ctx, const json::object& metrics) {
  table t({{"QUEUE", align::left, 24},
           {"ENQUEUED", align::right},
           {"PROCESSED", align::right},
           {"FAILED", align::right},
           {"DEAD-LETTERED", align::right},
           {"FAIL%", align::right},
           {"P95", align::right}});
  for (const auto& entry : array_field(metrics, "queues")) {
    if (!entry.is_object()) continue;
    const auto& q = entry.get_object();
    t.add_row({text_field(q, "name"), format_count(count_field(q, "enqueued")),
               format_count(count_field(q, "processed")), format_count(count_field(q, "failed")),
               format_count(count_field(q, "dead_lettered")), format_percent(number_field(q, "failure_rate")),
               format_duration_ms(number_field(object_field(q, "processing"), "p95_ms"))});
  }
  ctx.out << "\ntotals since start (or the last metrics reset):\n";
  t.print(ctx.out);
}

// {"queue": {"error_type": count, ...}, ...} for every queue in the metrics.
struct error_types_by_queue {
  json::object types;
  int exit = exit_ok;
};

error_types_by_queue fetch_error_types(const command_context& ctx, const json::object& metrics) {
  error_types_by_queue out;
  for (const auto& entry : array_field(metrics, "queues")) {
    if (!entry.is_object()) continue;
    const std::string name = text_field(entry.get_object(), "name");
    dead_letter_selection selection;
    selection.queue = name;
    const auto reply = get_object(ctx, "/api/dead-letters/stats" + selection_query(selection).str());
    if (!reply.ok()) {
      out.exit = reply.exit;
      return out;
    }
    out.types[name] = object_field(reply.object(), "error_types");
  }
  return out;
}

void print_error_types(const command_context& ctx, const json::object& by_queue) {
  table t({{"QUEUE", align::left, 24}, {"ERROR TYPE", align::left, 60}, {"LETTERS", align::right}});
  for (const auto& queue : by_queue) {
    if (!queue.value().is_object()) continue;
    for (const auto& type : queue.value().get_object()) {
      t.add_row({std::string(queue.key().data(), queue.key().size()), std::string(type.key().data(), type.key().size()),
                 format_count(count_of(type.value()))});
    }
  }
  if (t.empty()) {
    ctx.out << "\nno dead letters\n";
    return;
  }
  ctx.out << "\ndead letters by error type:\n";
  t.print(ctx.out);
}

}  // namespace

int run_health(const command_context& ctx, const health_options& options) {
  const auto r = ctx.client.get("/healthz");
  if (!r.answered() || (r.status != 200 && r.status != 503)) return report_failure(ctx, r);
  const auto* health = r.json_object();
  if (!health) return report_error(ctx, "unexpected reply from /healthz (not a JSON object)");
  const int verdict = r.status == 200 ? exit_ok : exit_failed;
  if (!options.detailed) {
    if (ctx.format == output_format::json) {
      print_json(ctx, *r.json_body);
    } else {
      print_summary(ctx, *health);
    }
    return verdict;
  }
  const auto metrics = get_object(ctx, "/api/metrics");
  if (!metrics.ok()) return metrics.exit;
  const auto types = fetch_error_types(ctx, metrics.object());
  if (types.exit != exit_ok) return types.exit;
  if (ctx.format == output_format::json) {
    print_json(ctx, json::object{
                        {"health", *health}, {"metrics", metrics.object()}, {"dead_letter_error_types", types.types}});
    return verdict;
  }
  print_summary(ctx, *health);
  print_totals(ctx, metrics.object());
  print_error_types(ctx, types.types);
  return verdict;
}

}  // namespace sluice::cli
