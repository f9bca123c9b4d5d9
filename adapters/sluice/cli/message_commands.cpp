// `sluice list` (GET /api/messages, one row per message) and `sluice show ID` (GET
// /api/messages/{id}, and for a dead letter GET /api/dead-letters/{id}: reason, error, payload).
#include "sluice/cli/command_support.hpp"
#include "sluice/cli/format.hpp"
#include "sluice/cli/table.hpp"

#include <optional>

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
