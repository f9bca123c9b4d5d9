// Shared pieces of the CLI commands (see command_support.hpp).
#include "sluice/cli/command_support.hpp"

#include "sluice/cli/format.hpp"

#include <boost/json/serialize.hpp>

#include <utility>

namespace sluice::cli {

namespace json = boost::json;

namespace {

std::string hint_for(unsigned status) {
  if (status == 401) return " (set SLUICE_ADMIN_TOKEN to the engine's admin token)";
  if (status == 403) return " (the server refuses changes: start the engine's admin server with a token)";
  return {};
}

object_reply expect_object(const command_context& ctx, admin_result r) {
  object_reply reply;
  reply.result = std::move(r);
  if (!reply.result.ok()) {
    reply.exit = report_failure(ctx, reply.result);
  } else if (!reply.result.json_object()) {
    reply.exit = report_error(ctx, "unexpected reply (HTTP " + std::to_string(reply.result.status) +
                                       ", not a JSON object): " + reply.result.body.substr(0, 200));
  }
  return reply;
}

const json::value* member_of(const json::object& o, std::string_view key) {
  return o.if_contains(json::string_view(key.data(), key.size()));
}

}  // namespace

int report_failure(const command_context& ctx, const admin_result& r) {
  if (!r.answered()) {
    ctx.err << "sluice: " << sanitize(r.error_message()) << '\n';
    return exit_unreachable;
  }
  ctx.err << "sluice: " << sanitize(r.error_message()) << hint_for(r.status) << '\n';
  const int code = exit_code_for_status(r.status);
  return code == exit_ok ? exit_failed : code;  // a 2xx that still failed us (a malformed body)
}

int report_error(const command_context& ctx, std::string_view message, int code) {
  ctx.err << "sluice: " << sanitize(message) << '\n';
  return code;
}

object_reply get_object(const command_context& ctx, std::string_view target) {
  return expect_object(ctx, ctx.client.get(target));
}

object_reply post_object(const command_context& ctx, std::string_view target) {
  return expect_object(ctx, ctx.client.post(target));
}

void print_json(const command_context& ctx, const json::value& value) { ctx.out << json::serialize(value) << '\n'; }

query_string selection_query(const dead_letter_selection& selection) {
  query_string q;
  q.add("queue", selection.queue).add("error", selection.error);
  return q;
}

std::uint64_t sum_counts(const json::object& error_types) {
  std::uint64_t total = 0;
  for (const auto& entry : error_types) total += count_of(entry.value());
  return total;
}

std::string_view text_of(const json::string& s) noexcept { return {s.data(), s.size()}; }

std::uint64_t count_of(const json::value& v) noexcept {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64()) return v.get_int64() < 0 ? 0 : static_cast<std::uint64_t>(v.get_int64());
  // Doubles out of range would make the conversion undefined: 2^63 is beyond any real count.
  if (v.is_double() && v.get_double() > 0 && v.get_double() < 9.2e18) {
    return static_cast<std::uint64_t>(v.get_double());
  }
  return 0;
}

std::string text_field(const json::object& o, std::string_view key) {
  const auto* v = member_of(o, key);
  if (!v || !v->is_string()) return {};
  return std::string(text_of(v->get_string()));
}

std::uint64_t count_field(const json::object& o, std::string_view key) {
  const auto* v = member_of(o, key);
  return v ? count_of(*v) : 0;
}

std::int64_t int_field(const json::object& o, std::string_view key) {
  const auto* v = member_of(o, key);
  if (!v) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  if (v->is_double() && v->get_double() > -9.2e18 && v->get_double() < 9.2e18) {
    return static_cast<std::int64_t>(v->get_double());
  }
  return 0;
}

double number_field(const json::object& o, std::string_view key) {
  const auto* v = member_of(o, key);
  if (!v) return 0;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return 0;
}

bool flag_field(const json::object& o, std::string_view key) {
  const auto* v = member_of(o, key);
  return v && v->is_bool() && v->get_bool();
}

const json::array& array_field(const json::object& o, std::string_view key) {
  static const json::array none;
  const auto* v = member_of(o, key);
  return v && v->is_array() ? v->get_array() : none;
}

const json::object& object_field(const json::object& o, std::string_view key) {
  static const json::object none;
  const auto* v = member_of(o, key);
  return v && v->is_object() ? v->get_object() : none;
}

}  // namespace sluice::cli
