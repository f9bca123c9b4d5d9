// What the command implementations share: failures reported as "sluice: <why>" with the exit
// code they map to, replies that must be JSON objects, tolerant readers for the server's JSON
// fields (shapes in sluice/http/admin_routes.cpp), and the JSON output of --format json.
// Thread-safety: as command_context.
#pragma once

#include "sluice/cli/commands.hpp"
#include "sluice/cli/exit_codes.hpp"
#include "sluice/cli/query_string.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice::cli {

// Prints why `r` failed (a hint for 401 and 403) and returns its exit code. Precondition: !r.ok().
[[nodiscard]] int report_failure(const command_context& ctx, const admin_result& r);
// Prints "sluice: <message>" and returns `code`.
[[nodiscard]] int report_error(const command_context& ctx, std::string_view message, int code = exit_failed);

// A reply that had to be a 2xx with a JSON object body.
struct object_reply {
  admin_result result;
  int exit = exit_ok;  // exit_ok: result holds the object; else the code to return (already reported)

  [[nodiscard]] bool ok() const noexcept { return exit == exit_ok; }
  // Precondition: ok().
  [[nodiscard]] const boost::json::object& object() const { return *result.json_object(); }
};
[[nodiscard]] object_reply get_object(const command_context& ctx, std::string_view target);
[[nodiscard]] object_reply post_object(const command_context& ctx, std::string_view target);

// The server's JSON on one line, for scripts.
void print_json(const command_context& ctx, const boost::json::value& value);

// Query parameters selecting dead letters: queue= and error= (empty ones left out).
[[nodiscard]] query_string selection_query(const dead_letter_selection& selection);
// The sum of the counts in {"error_type": count, ...} (GET /api/dead-letters/stats).
[[nodiscard]] std::uint64_t sum_counts(const boost::json::object& error_types);

// Field readers: a missing or mistyped field reads as empty or 0, never throws.
[[nodiscard]] std::string_view text_of(const boost::json::string& s) noexcept;
[[nodiscard]] std::uint64_t count_of(const boost::json::value& v) noexcept;
[[nodiscard]] std::string text_field(const boost::json::object& o, std::string_view key);
[[nodiscard]] std::uint64_t count_field(const boost::json::object& o, std::string_view key);
[[nodiscard]] std::int64_t int_field(const boost::json::object& o, std::string_view key);
[[nodiscard]] double number_field(const boost::json::object& o, std::string_view key);
[[nodiscard]] bool flag_field(const boost::json::object& o, std::string_view key);
[[nodiscard]] const boost::json::array& array_field(const boost::json::object& o, std::string_view key);
[[nodiscard]] const boost::json::object& object_field(const boost::json::object& o, std::string_view key);

}  // namespace sluice::cli
