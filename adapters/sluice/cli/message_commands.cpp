// `sluice list` (GET /api/messages, one row per message; offline, the data directory's state as
// of its last stop) and `sluice show ID` (GET /api/messages/{id}, and for a dead letter GET
// /api/dead-letters/{id}: reason, error, payload).
#include "sluice/cli/command_support.hpp"
#include "sluice/cli/exit_codes.hpp"
#include "sluice/cli/format.hpp"
#include "sluice/cli/table.hpp"

#include <sluice/error.hpp>
#include <sluice/snapshot/data_dir_state.hpp>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

namespace sluice::cli {

namespace json = boost::json;

namespace {

std::string list_target(const list_options& options) {
  query_string q;
  q.add("state", options.state)
      .add("queue", options.queue)
      .add("type", options.type)
      .add("correlation_id", options.correlation_id)
      .add_number("limit", options.limit)
      .add_number("offset", options.offset);
  return "/api/messages" + q.str();
}

void print_messages(const command_context& ctx, const list_options& options, const json::array& messages) {
  if (messages.empty()) {
    ctx.out << (options.offset == 0 ? "no messages match\n" : "no messages past that offset\n");
    return;
  }
  table t({{"ID", align::left, 26},
           {"QUEUE", align::left, 14},
           {"TYPE", align::left, 14},
           {"STATE", align::left, 9},
           {"ATT", align::right},
           {"SIZE", align::right},
           {"AGE", align::right},
           {"IN STATE", align::right},
           {"CORRELATION", align::left, 14}});
  for (const auto& entry : messages) {
    if (!entry.is_object()) continue;
    const auto& m = entry.get_object();
    t.add_row({text_field(m, "id"), text_field(m, "queue"), text_field(m, "type"), text_field(m, "state"),
               std::to_string(count_field(m, "attempt")), format_bytes(count_field(m, "payload_bytes")),
               format_age(ctx.now_unix_ms, int_field(m, "enqueued_at_unix_ms")),
               format_age(ctx.now_unix_ms, int_field(m, "since_unix_ms")), text_field(m, "correlation_id")});
  }
  t.print(ctx.out);
  ctx.out << messages.size() << (messages.size() == 1 ? " message" : " messages");
  if (options.offset > 0) ctx.out << " from offset " << options.offset;
  if (messages.size() >= options.limit) ctx.out << "; more may follow: --offset " << options.offset + messages.size();
  ctx.out << '\n';
}

// "2024-05-01T12:00:00Z (5m12s ago)".
std::string when(const command_context& ctx, std::int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  return format_iso_utc(unix_ms) + " (" + format_age(ctx.now_unix_ms, unix_ms) + " ago)";
}

void print_message(const command_context& ctx, const json::object& m) {
  print_fields(ctx.out, {{"id", text_field(m, "id")},
                         {"queue", text_field(m, "queue")},
                         {"type", text_field(m, "type")},
                         {"state", text_field(m, "state")},
                         {"attempt", std::to_string(count_field(m, "attempt"))},
                         {"replays", std::to_string(count_field(m, "replays"))},
                         {"correlation id", text_field(m, "correlation_id")},
                         {"payload", format_bytes(count_field(m, "payload_bytes"))},
                         {"enqueued", when(ctx, int_field(m, "enqueued_at_unix_ms"))},
                         {"in state since", when(ctx, int_field(m, "since_unix_ms"))}});
}

void print_dead_letter(const command_context& ctx, const json::object& d) {
  ctx.out << '\n';
  print_fields(ctx.out, {{"reason", text_field(d, "reason")},
                         {"error type", text_field(d, "error_type")},
                         {"error", text_field(d, "error")},
                         {"attempts", std::to_string(count_field(d, "attempts"))},
                         {"first failure", when(ctx, int_field(d, "first_failure_at_unix_ms"))},
                         {"dead-lettered", when(ctx, int_field(d, "dead_lettered_at_unix_ms"))}});
  ctx.out << "\npayload (" << format_bytes(count_field(d, "payload_bytes")) << "):\n"
          << sanitize(text_field(d, "payload"), newlines::keep) << '\n';
}

}  // namespace

int run_list(const command_context& ctx, const list_options& options) {
  const auto reply = get_object(ctx, list_target(options));
  if (!reply.ok()) return reply.exit;
  if (ctx.format == output_format::json) {
    print_json(ctx, reply.object());
  } else {
    print_messages(ctx, options, array_field(reply.object(), "messages"));
  }
  return exit_ok;
}

int run_list_offline(const command_context& ctx, const std::string& data_dir, const list_options& options) {
  std::string detail;
  auto read = snapshot::read_data_dir_state(fs::posix(), data_dir, detail);
  if (!read) {
    ctx.err << "sluice: " << (detail.empty() ? read.error().message() : detail) << '\n';
    return read.error() == errc::directory_locked ? exit_unreachable : exit_failed;
  }
  auto unix_ms = [](sys_time t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  struct row {
    std::int64_t enqueued;
    json::object o;
  };
  std::vector<row> rows;
  auto add = [&](const journal::durable_message& d, const char* state, sys_time since) {
    if (options.state != "all" && options.state != state) return;
    if (!options.queue.empty() && options.queue != d.queue) return;
    if (!options.type.empty() && options.type != d.m->type) return;
    const std::string correlation = d.m->effective_correlation_id();
    if (!options.correlation_id.empty() && options.correlation_id != correlation) return;
    rows.push_back({unix_ms(d.m->enqueued_at), json::object{{"id", d.m->id.to_string()},
                                                            {"queue", d.queue},
                                                            {"type", d.m->type},
                                                            {"state", state},
                                                            {"attempt", d.m->attempt},
                                                            {"replays", d.m->replays},
                                                            {"correlation_id", correlation},
                                                            {"payload_bytes", d.m->payload.size()},
                                                            {"enqueued_at_unix_ms", unix_ms(d.m->enqueued_at)},
                                                            {"since_unix_ms", unix_ms(since)}}});
  };
  const auto& st = read->state;
  for (const auto& d : st.ready) add(d, "pending", d.m->enqueued_at);
  for (const auto& d : st.scheduled) add(d, "scheduled", d.due);
  for (const auto& d : st.in_flight) add(d, "inflight", d.m->enqueued_at);
  for (const auto& d : st.dead) add(d, "dlq", d.letter->dead_lettered_at);
  std::stable_sort(rows.begin(), rows.end(), [](const row& a, const row& b) { return a.enqueued < b.enqueued; });
  json::array page;
  for (std::size_t i = options.offset; i < rows.size() && page.size() < options.limit; ++i) {
    page.push_back(std::move(rows[i].o));
  }
  if (ctx.format == output_format::json) {
    ctx.out << json::serialize(json::object{{"messages", std::move(page)}, {"offline", true}}) << '\n';
  } else {
    print_messages(ctx, options, page);
    ctx.out << "(offline: " << data_dir << " as of its last stop; in-flight messages run again at the next start)\n";
  }
  return exit_ok;
}

int run_show(const command_context& ctx, const std::string& id) {
  const auto message = get_object(ctx, "/api/messages/" + percent_encode(id));
  if (!message.ok()) return message.exit;
  const bool dead = text_field(message.object(), "state") == "dlq";
  std::optional<object_reply> letter;
  if (dead) {
    letter = get_object(ctx, "/api/dead-letters/" + percent_encode(id));
    if (!letter->ok()) return letter->exit;
  }
  if (ctx.format == output_format::json) {
    json::object out{{"message", message.object()}};
    out["dead_letter"] = letter ? json::value(letter->object()) : json::value(nullptr);
    print_json(ctx, out);
    return exit_ok;
  }
  print_message(ctx, message.object());
  if (letter) print_dead_letter(ctx, letter->object());
  return exit_ok;
}

}  // namespace sluice::cli
