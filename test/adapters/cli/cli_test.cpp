// The sluice CLI's pure parts, without sockets: --url parsing (and https refused), percent-
// encoding of query values and path segments, table alignment and truncation, the human forms
// of durations, times, sizes and counts, progress bars, and HTTP statuses mapped to exit codes.
#include <sluice/cli/exit_codes.hpp>
#include <sluice/cli/format.hpp>
#include <sluice/cli/progress_bar.hpp>
#include <sluice/cli/query_string.hpp>
#include <sluice/cli/table.hpp>
#include <sluice/http/endpoint.hpp>

#include <boost/test/unit_test.hpp>

#include <limits>
#include <sstream>
#include <vector>

namespace cli = sluice::cli;

BOOST_AUTO_TEST_SUITE(cli_suite)

BOOST_AUTO_TEST_CASE(endpoint_with_port_and_prefix_is_split_into_its_parts) {
  const auto e = sluice::http::parse_endpoint("http://engine.internal:9090/sluice/admin/");
  BOOST_REQUIRE_MESSAGE(e.value.has_value(), e.error);
  BOOST_TEST(e.value->host == "engine.internal");
  BOOST_TEST(e.value->port == 9090);
  BOOST_TEST(e.value->prefix == "/sluice/admin");  // trailing '/' dropped
  BOOST_TEST(e.value->to_string() == "http://engine.internal:9090/sluice/admin");
  BOOST_TEST(e.error.empty());
}

BOOST_AUTO_TEST_CASE(endpoint_without_port_or_prefix_gets_the_defaults) {
  const auto e = sluice::http::parse_endpoint("HTTP://127.0.0.1");
  BOOST_REQUIRE_MESSAGE(e.value.has_value(), e.error);
  BOOST_TEST(e.value->host == "127.0.0.1");
  BOOST_TEST(e.value->port == 80);
  BOOST_TEST(e.value->prefix.empty());
  const auto slash = sluice::http::parse_endpoint("http://localhost:8080/");
  BOOST_REQUIRE_MESSAGE(slash.value.has_value(), slash.error);
  BOOST_TEST(slash.value->prefix.empty());
}

BOOST_AUTO_TEST_CASE(ipv6_endpoint_is_written_in_brackets) {
  const auto e = sluice::http::parse_endpoint("http://[::1]:8080");
  BOOST_REQUIRE_MESSAGE(e.value.has_value(), e.error);
  BOOST_TEST(e.value->host == "::1");
  BOOST_TEST(e.value->port == 8080);
  BOOST_TEST(e.value->to_string() == "http://[::1]:8080");
  BOOST_TEST(!sluice::http::parse_endpoint("http://::1:8080").value.has_value());  // ambiguous without brackets
}

BOOST_AUTO_TEST_CASE(https_is_refused_with_a_reason) {
  const auto e = sluice::http::parse_endpoint("https://engine:8443");
  BOOST_TEST(!e.value.has_value());
  BOOST_CHECK_MESSAGE(e.error.find("https is not supported") != std::string::npos, e.error);
}

BOOST_AUTO_TEST_CASE(malformed_endpoints_are_refused_with_a_reason) {
  for (const char* url :
       {"", "localhost:8080", "ftp://host", "http://", "http://:8080", "http://host:", "http://host:0",
        "http://host:65536", "http://host:80x", "http://host:-1", "http://user:pw@host", "http://host/?x=1",
        "http://host#top", "http://ho st", "http://[::1", "http://[::1]x"}) {
    const auto e = sluice::http::parse_endpoint(url);
    BOOST_CHECK_MESSAGE(!e.value.has_value(), "accepted '" << url << "'");
    BOOST_CHECK_MESSAGE(!e.error.empty(), "no reason for '" << url << "'");
  }
}

BOOST_AUTO_TEST_CASE(percent_encoding_keeps_unreserved_characters_only) {
  BOOST_TEST(cli::percent_encode("orders-v2.eu_1~x") == "orders-v2.eu_1~x");
  BOOST_TEST(cli::percent_encode("a b+c/d?e&f=g%") == "a%20b%2Bc%2Fd%3Fe%26f%3Dg%25");
  BOOST_TEST(cli::percent_encode("caf\xC3\xA9") == "caf%C3%A9");
  BOOST_TEST(cli::percent_encode("").empty());
}

BOOST_AUTO_TEST_CASE(query_string_leaves_out_empty_values_and_unset_flags) {
  cli::query_string q;
  BOOST_TEST(q.str().empty());
  q.add("queue", "").add("error", "timed out: 5s").add_number("limit", 100).add_flag("force", false);
  q.add_flag("dry_run", true);
  BOOST_TEST(q.str() == "?error=timed%20out%3A%205s&limit=100&dry_run=1");
}

BOOST_AUTO_TEST_CASE(table_aligns_text_left_and_numbers_right) {
  cli::table t({{"NAME"}, {"N", cli::align::right}});
  t.add_row({"a", "1"});
  t.add_row({"bbb", "100"});
  BOOST_TEST(t.str() == "NAME    N\na       1\nbbb   100\n");
}

BOOST_AUTO_TEST_CASE(table_cuts_long_cells_with_an_ellipsis_and_trims_trailing_blanks) {
  cli::table t({{"MESSAGE", cli::align::left, 8}, {"NOTE"}});
  t.add_row({"a very long message", ""});
  t.add_row({"short"});  // the missing cell prints empty
  BOOST_TEST(t.str() == "MESSAGE   NOTE\na very \xE2\x80\xA6\nshort\n");
}

BOOST_AUTO_TEST_CASE(table_cells_cannot_carry_terminal_escapes) {
  cli::table t(std::vector<cli::column>{cli::column("ERROR")});
  t.add_row({"bad\x1b[31m\nthing"});
  BOOST_TEST(t.str() == "ERROR\nbad?[31m thing\n");
}

BOOST_AUTO_TEST_CASE(truncation_counts_code_points_and_never_splits_one) {
  BOOST_TEST(cli::truncate("abcdefgh", 5) == "abcd\xE2\x80\xA6");
  BOOST_TEST(cli::truncate("abcde", 5) == "abcde");
  BOOST_TEST(cli::truncate("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9", 3) == "\xC3\xA9\xC3\xA9\xE2\x80\xA6");
  BOOST_TEST(cli::truncate("abc", 0).empty());
  BOOST_TEST(cli::display_width("\xC3\xA9t\xC3\xA9") == 3U);
  BOOST_TEST(cli::display_width(cli::truncate("01ARZ3NDEKTSV4RRFFQ69G5FAV-and-more", 26)) == 26U);
}

BOOST_AUTO_TEST_CASE(sanitize_replaces_control_characters) {
  BOOST_TEST(cli::sanitize("a\x1b[2Jb\tc\r\nd\x7f") == "a?[2Jb c  d?");
  BOOST_TEST(cli::sanitize("line 1\n\tline 2", cli::newlines::keep) == "line 1\n\tline 2");
  BOOST_TEST(cli::sanitize("x\xC2\x9B"
                           "31my") == "x?31my");  // C1 CSI
  BOOST_TEST(cli::sanitize("caf\xC3\xA9") == "caf\xC3\xA9");
}

BOOST_AUTO_TEST_CASE(durations_read_in_the_largest_sensible_unit) {
  BOOST_TEST(cli::format_duration_ms(0.12) == "0.12ms");
  BOOST_TEST(cli::format_duration_ms(3.4) == "3.4ms");
  BOOST_TEST(cli::format_duration_ms(9.96) == "10ms");
  BOOST_TEST(cli::format_duration_ms(850) == "850ms");
  BOOST_TEST(cli::format_duration_ms(999.6) == "1.0s");
  BOOST_TEST(cli::format_duration_ms(3'200) == "3.2s");
  BOOST_TEST(cli::format_duration_ms(42'000) == "42s");
  BOOST_TEST(cli::format_duration_ms(59'600) == "1m00s");
  BOOST_TEST(cli::format_duration_ms(312'000) == "5m12s");
  BOOST_TEST(cli::format_duration_ms(2'700'000) == "45m");
  BOOST_TEST(cli::format_duration_ms(11'100'000) == "3h05m");
  BOOST_TEST(cli::format_duration_ms(187'200'000) == "2d04h");
  BOOST_TEST(cli::format_duration_ms(-5) == "0.00ms");
  BOOST_TEST(cli::format_duration_ms(std::numeric_limits<double>::quiet_NaN()) == "-");
}

BOOST_AUTO_TEST_CASE(ages_and_times_come_from_unix_milliseconds) {
  BOOST_TEST(cli::format_age(10'000, 6'800) == "3.2s");
  BOOST_TEST(cli::format_age(10'000, 0) == "-");  // never set
  BOOST_TEST(cli::format_iso_utc(1'714'564'800'000) == "2024-05-01T12:00:00Z");
  BOOST_TEST(cli::format_iso_utc(951'868'799'999) == "2000-02-29T23:59:59Z");
  BOOST_TEST(cli::format_iso_utc(0) == "-");
}

BOOST_AUTO_TEST_CASE(sizes_counts_and_percentages_stay_short) {
  BOOST_TEST(cli::format_bytes(512) == "512B");
  BOOST_TEST(cli::format_bytes(1'024) == "1.0KiB");
  BOOST_TEST(cli::format_bytes(1'536) == "1.5KiB");
  BOOST_TEST(cli::format_bytes(20 * 1'024) == "20KiB");
  BOOST_TEST(cli::format_bytes(3 * 1'024 * 1'024) == "3.0MiB");
  BOOST_TEST(cli::format_count(99'999) == "99999");
  BOOST_TEST(cli::format_count(123'456) == "123k");
  BOOST_TEST(cli::format_count(999'600) == "1.0M");
  BOOST_TEST(cli::format_count(1'234'567) == "1.2M");
  BOOST_TEST(cli::format_count(45'000'000) == "45M");
  BOOST_TEST(cli::format_percent(0) == "0%");
  BOOST_TEST(cli::format_percent(0.0001) == "<0.1%");
  BOOST_TEST(cli::format_percent(0.004) == "0.4%");
  BOOST_TEST(cli::format_percent(0.125) == "12.5%");
  BOOST_TEST(cli::format_percent(1) == "100%");
}

BOOST_AUTO_TEST_CASE(progress_bar_renders_done_of_total) {
  BOOST_TEST(cli::render_progress(50, 100, 10) == "[#####.....] 50/100 50%");
  BOOST_TEST(cli::render_progress(150, 100, 4) == "[####] 100/100 100%");
  BOOST_TEST(cli::render_progress(0, 0, 4) == "[####] 0/0 100%");
  std::ostringstream off;
  {
    cli::progress_bar bar(off, "replaying", 10, cli::progress_display::off);
    bar.update(5);
  }
  BOOST_TEST(off.str().empty());
  std::ostringstream on;
  {
    cli::progress_bar bar(on, "replaying", 10, cli::progress_display::on);
    bar.update(5);
  }
  BOOST_TEST(on.str().find("replaying [###############...............] 5/10 50%") != std::string::npos);
  BOOST_TEST(on.str().back() == '\n');  // the line is ended when the bar goes
}

BOOST_AUTO_TEST_CASE(http_statuses_map_to_exit_codes) {
  BOOST_TEST(cli::exit_code_for_status(200) == cli::exit_ok);
  BOOST_TEST(cli::exit_code_for_status(204) == cli::exit_ok);
  BOOST_TEST(cli::exit_code_for_status(400) == cli::exit_usage);
  BOOST_TEST(cli::exit_code_for_status(401) == cli::exit_unauthorized);
  BOOST_TEST(cli::exit_code_for_status(403) == cli::exit_unauthorized);
  BOOST_TEST(cli::exit_code_for_status(404) == cli::exit_failed);
  BOOST_TEST(cli::exit_code_for_status(409) == cli::exit_failed);
  BOOST_TEST(cli::exit_code_for_status(500) == cli::exit_failed);
  BOOST_TEST(cli::exit_code_for_status(503) == cli::exit_failed);
  static_assert(cli::exit_code_for_status(401) == 4, "exit codes are a public contract");
}

BOOST_AUTO_TEST_SUITE_END()
