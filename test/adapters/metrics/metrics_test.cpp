// Metrics exposition: a real engine's figures (successes, retries, dead letters, a snooze) in the
// Prometheus text format, accepted by Prometheus's own `promtool check metrics`; label values
// escaped; the JSON view carries the same counters, the failure rate and the latency summaries.
#include "../../coro/test_support.hpp"

#include <sluice/metrics/metrics_json.hpp>
#include <sluice/metrics/prometheus_text.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;

namespace {

// Runs 20 orders through a queue whose handler fails every 4th first attempt and dead-letters
// order 7; returns the engine's figures.
sluice::engine_stats busy_engine_stats() {
  sluice::manual_clock clock;
  asio::io_context ioc;
  auto o = manual_options(clock);
  o.default_handler = fixed_backoff(1, 10ms);
  o.default_handler.timeout = 0ms;
  sluice::engine eng(ioc.get_executor(), o);
  BOOST_REQUIRE(!eng.handle<order>("orders", [](order x, sluice::context& ctx) -> asio::awaitable<void> {
    if (x.id == 7) throw sluice::permanent_error("card declined");
    if (x.id % 4 == 0 && ctx.attempt() == 1) throw std::runtime_error("gateway timeout");
    co_return;
  }));
  BOOST_REQUIRE(!eng.start());
  for (int i = 1; i <= 20; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}).has_value());
  drain(ioc);
  clock.advance(20ms);
  drain(ioc);
  auto s = eng.stats();
  stop_engine(eng, ioc);
  return s;
}

// promtool's verdict on `text` (exit status and what it printed).
std::pair<int, std::string> promtool_check(const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / ("sluice-promtool-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "metrics.txt") << text; }
  const std::string cmd =
      "promtool check metrics < '" + (dir / "metrics.txt").string() + "' > '" + (dir / "out.txt").string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  std::stringstream printed;
  printed << std::ifstream(dir / "out.txt").rdbuf();
  std::filesystem::remove_all(dir);
  return {status, printed.str()};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_suite)

BOOST_AUTO_TEST_CASE(a_busy_engine_exposes_metrics_promtool_accepts) {
  const auto s = busy_engine_stats();
  const auto text = sluice::metrics::prometheus_text(s);
  // Published into the ring: 20 enqueues and 5 retries.
  BOOST_TEST(text.find("sluice_enqueued_total{queue=\"orders\"} 25\n") != std::string::npos, text);
  BOOST_TEST(text.find("sluice_processed_total{queue=\"orders\"} 19\n") != std::string::npos);
  BOOST_TEST(text.find("sluice_dead_lettered_total{queue=\"orders\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("sluice_retried_total{queue=\"orders\"} 5\n") != std::string::npos);
  BOOST_TEST(text.find("sluice_dead_letter_messages{queue=\"orders\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("sluice_processing_seconds{queue=\"orders\",quantile=\"0.95\"} ") != std::string::npos);
  BOOST_TEST(text.find("sluice_processing_seconds_count{queue=\"orders\"} 25\n") != std::string::npos);
  BOOST_TEST(text.find("# TYPE sluice_message_age_at_start_seconds summary\n") != std::string::npos);
  const auto [status, printed] = promtool_check(text);
  BOOST_TEST(status == 0, "promtool check metrics failed (is Debian's prometheus package installed?):\n"
                              << printed << "\n"
                              << text);
}

BOOST_AUTO_TEST_CASE(promtool_rejects_a_malformed_exposition) {
  // The check above can fail: an unescaped quote in a label value and a sample of no family.
  BOOST_TEST(promtool_check("# TYPE x counter\nx_total{queue=\"a\"b\"} 1\n").first != 0);
}

BOOST_AUTO_TEST_CASE(label_values_are_escaped) {
  sluice::engine_stats s;
  s.queues.emplace_back();
  s.queues.back().name = "a\"b\\c\nd";
  s.queues.back().enqueued = 3;
  const auto text = sluice::metrics::prometheus_text(s);
  BOOST_TEST(text.find("sluice_enqueued_total{queue=\"a\\\"b\\\\c\\nd\"} 3\n") != std::string::npos, text);
  BOOST_TEST(promtool_check(text).first == 0);
}

BOOST_AUTO_TEST_CASE(journal_and_snapshot_figures_pass_promtool_too) {
  sluice::engine_stats s;
  s.journal.enabled = true;
  s.journal.batches = 4;
  s.journal.enqueue_to_durable.count = 10;
  s.journal.enqueue_to_durable.p99 = std::chrono::microseconds(300);
  s.snapshot.enabled = true;
  s.snapshot.snapshots = 2;
  s.snapshot.covered_lsn = 1234;
  const auto text = sluice::metrics::prometheus_text(s);
  BOOST_TEST(text.find("sluice_enqueue_durable_seconds{quantile=\"0.99\"} 3e-04\n") != std::string::npos, text);
  BOOST_TEST(text.find("sluice_enqueue_durable_seconds_count 10\n") != std::string::npos);
  BOOST_TEST(text.find("sluice_snapshot_covered_lsn 1234\n") != std::string::npos);
  const auto [status, printed] = promtool_check(text);
  BOOST_TEST(status == 0, printed);
}

BOOST_AUTO_TEST_CASE(the_json_view_carries_counters_failure_rate_and_latencies) {
  const auto s = busy_engine_stats();
  const auto parsed = boost::json::parse(boost::json::serialize(sluice::metrics::metrics_json(s)));
  const auto& q = parsed.at("queues").at(0);
  BOOST_TEST(q.at("name").as_string() == "orders");
  BOOST_TEST(q.at("enqueued").to_number<std::uint64_t>() == 25U);
  BOOST_TEST(q.at("failed").to_number<std::uint64_t>() == 6U);  // 5 retried + 1 permanent
  BOOST_TEST(q.at("failure_rate").as_double() == 6.0 / 25.0, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(q.at("processing").at("count").to_number<std::uint64_t>() == 25U);
  BOOST_TEST(q.at("processing").as_object().contains("p95_ms"));
  BOOST_TEST(q.at("recent_failures").as_array().size() >= 1U);
  BOOST_TEST(q.at("recent_failures").at(0).as_object().contains("error_type"));
  BOOST_TEST(!q.at("recent_failures").at(0).as_object().contains("payload"));  // never payloads
  BOOST_TEST(!parsed.as_object().contains("journal"));                         // in memory
}

BOOST_AUTO_TEST_SUITE_END()
