// Traces: an order -> payment -> shipping chain with a retried payment, exported by the OTLP/HTTP
// exporter to a local receiver (which refuses the first request, so the exporter retries), and
// the bodies validated by OpenTelemetry's own generated protobuf types (test/otlp, npm
// @opentelemetry/otlp-transformer) as one trace with a retry link; a collector that is down
// costs dropped spans, never messages; sampling and the JSON form.
#include "../../coro/test_support.hpp"

#include <sluice/otel/otlp_exporter.hpp>
#include <sluice/otel/otlp_json.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
namespace json = boost::json;
using asio::ip::tcp;
using namespace sluice_test;
using namespace std::chrono_literals;

namespace {

// Runs the context (real time) until pred() holds or `limit` passes.
bool run_for_until(asio::io_context& ioc, const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    ioc.restart();
    ioc.run_for(5ms);
  }
  return pred();
}

// An OTLP/HTTP receiver on 127.0.0.1: keeps every body; answers 503 to the first `refuse` requests.
struct receiver {
  tcp::acceptor acceptor;
  std::vector<std::string> bodies;
  int requests = 0;
  int refuse = 0;

  explicit receiver(asio::io_context& ioc) : acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ioc, accept(), asio::detached);
  }
  [[nodiscard]] std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()) + "/v1/traces";
  }
  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      boost::beast::tcp_stream stream(std::move(socket));
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::string_body> req;
      auto [rec, n] = co_await bhttp::async_read(stream, buffer, req, asio::as_tuple(asio::use_awaitable));
      (void)n;
      if (rec) continue;
      const bool refused = requests++ < refuse;
      if (!refused) bodies.push_back(req.body());
      bhttp::response<bhttp::string_body> res{refused ? bhttp::status::service_unavailable : bhttp::status::ok, 11};
      res.set(bhttp::field::content_type, "application/json");
      res.body() = "{}";
      res.prepare_payload();
      auto [wec, wn] = co_await bhttp::async_write(stream, res, asio::as_tuple(asio::use_awaitable));
      (void)wec;
      (void)wn;
    }
  }
};

struct chain {
  asio::io_context ioc;
  std::unique_ptr<sluice::otel::otlp_exporter> exporter;
  std::unique_ptr<sluice::engine> eng;
  int shipped = 0;

  chain(const std::string& collector, double ratio = 1.0) {
    sluice::otel::otlp_exporter_options eo;
    eo.endpoint = collector;
    eo.service_name = "orderflow-test";
    eo.flush_interval = 50ms;
    eo.retry_initial = 20ms;
    eo.request_timeout = 1s;
    exporter = std::make_unique<sluice::otel::otlp_exporter>(ioc.get_executor(), eo);
    BOOST_REQUIRE(!exporter->start());
    sluice::engine_options o;
    o.log = [](sluice::log_level, std::string_view) {};
    o.tracing.sink = exporter->sink();
    o.tracing.sample_ratio = ratio;
    o.default_handler = fixed_backoff(3, 10ms);
    eng = std::make_unique<sluice::engine>(ioc.get_executor(), o);
    BOOST_REQUIRE(!eng->handle<order>("orders", [](order x, sluice::context& ctx) -> asio::awaitable<void> {
      const payment p{x.id};
      co_await ctx.async_enqueue("payments", p, asio::use_awaitable);
    }));
    BOOST_REQUIRE(!eng->handle<payment>("payments", [](payment p, sluice::context& ctx) -> asio::awaitable<void> {
      if (ctx.attempt() == 1) throw std::runtime_error("payment gateway timeout");  // retried: a linked span
      const order o{p.order_id, "parcel"};
      co_await ctx.async_enqueue("shipping", o, asio::use_awaitable);
    }));
    BOOST_REQUIRE(!eng->handle<order>("shipping", [this](order, sluice::context&) -> asio::awaitable<void> {
      ++shipped;
      co_return;
    }));
    BOOST_REQUIRE(!eng->start());
  }
  ~chain() {
    bool stopped = false;
    eng->async_stop(1s, [&](boost::system::error_code) { stopped = true; });
    run_for_until(ioc, [&] { return stopped; });
    exporter->stop();
    ioc.restart();
    ioc.run_for(200ms);
  }
};

std::string source_dir() { return SLUICE_SOURCE_DIR; }

}  // namespace

BOOST_AUTO_TEST_SUITE(otlp_export_suite)

BOOST_AUTO_TEST_CASE(a_chain_is_one_trace_validated_by_opentelemetry_types) {
  const std::string validator = source_dir() + "/test/otlp/validate_otlp.mjs";
  BOOST_REQUIRE_MESSAGE(
      std::filesystem::exists(source_dir() + "/test/otlp/node_modules/@opentelemetry/otlp-transformer"),
      "run scripts/install-deps.sh (npm ci in test/otlp)");
  // The receiver runs on a thread of its own, as a collector would.
  asio::io_context rx_ioc;
  auto rx = std::make_unique<receiver>(rx_ioc);
  rx->refuse = 1;  // the first batch is retried
  std::thread rx_thread([&] { rx_ioc.run(); });
  {
    chain c(rx->url());
    for (int i = 1; i <= 3; ++i) BOOST_REQUIRE(c.eng->try_enqueue("orders", order{i, "book"}).has_value());
    BOOST_REQUIRE(run_for_until(c.ioc, [&] { return c.shipped == 3; }));
    // 3 chains x (publish + process) x 3 queues + 3 retried payment attempts = 21 spans.
    BOOST_REQUIRE(run_for_until(c.ioc, [&] { return c.exporter->stats().exported >= 21; }));
    const auto st = c.exporter->stats();
    BOOST_TEST(st.exported == 21U);
    BOOST_TEST(st.failed_requests >= 1U);  // the refused one, retried
    BOOST_TEST(st.dropped_failed == 0U);
  }
  asio::post(rx_ioc, [&] { rx->acceptor.close(); });
  rx_ioc.stop();
  rx_thread.join();
  BOOST_REQUIRE(!rx->bodies.empty());

  const auto dir = std::filesystem::temp_directory_path() / ("sluice-otlp-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string files;
  for (std::size_t i = 0; i < rx->bodies.size(); ++i) {
    const auto f = dir / ("body-" + std::to_string(i) + ".json");
    std::ofstream(f) << rx->bodies[i];
    files += " " + f.string();
  }
  const std::string cmd = "node " + validator + " --expect-chain orders,payments,shipping --expect-link" + files +
                          " > " + (dir / "summary.json").string() + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::ifstream summary(dir / "summary.json");
  const std::string out((std::istreambuf_iterator<char>(summary)), std::istreambuf_iterator<char>());
  BOOST_TEST_MESSAGE("validator: " << out);
  BOOST_TEST(rc == 0, "validate_otlp.mjs failed: " << out);
  BOOST_TEST(out.find("\"chains_found\":3") != std::string::npos, out);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(a_collector_that_is_down_costs_spans_not_messages) {
  // A port nothing listens on: bind one, note it, close it.
  std::string url;
  {
    asio::io_context tmp;
    tcp::acceptor a(tmp, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    url = "http://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/v1/traces";
  }
  chain c(url);
  for (int i = 1; i <= 50; ++i) BOOST_REQUIRE(c.eng->try_enqueue("orders", order{i, "book"}).has_value());
  BOOST_REQUIRE(run_for_until(c.ioc, [&] { return c.shipped == 50; }));
  BOOST_REQUIRE(run_for_until(c.ioc, [&] { return c.exporter->stats().dropped_failed > 0; }));
  const auto st = c.exporter->stats();
  BOOST_TEST(st.exported == 0U);
  BOOST_TEST(st.failed_requests >= 3U);  // one batch, max_attempts tries
  BOOST_TEST(!st.last_error.empty());
}

BOOST_AUTO_TEST_CASE(unsampled_traces_record_nothing_but_still_propagate) {
  std::vector<sluice::trace::span> spans;
  std::mutex m;
  asio::io_context ioc;
  sluice::engine_options o;
  o.log = [](sluice::log_level, std::string_view) {};
  o.tracing.sink = [&](sluice::trace::span&& s) {
    std::lock_guard lock(m);
    spans.push_back(std::move(s));
  };
  o.tracing.sample_ratio = 0;
  sluice::engine eng(ioc.get_executor(), o);
  std::string seen;
  BOOST_REQUIRE(!eng.handle<order>("orders", [&](order, sluice::context& ctx) -> asio::awaitable<void> {
    for (const auto& [k, v] : ctx.headers()) {
      if (k == "traceparent") seen = v;
    }
    co_return;
  }));
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  drain(ioc);
  BOOST_TEST(spans.empty());
  BOOST_TEST(sluice::trace::trace_context::parse(seen).has_value(), seen);
  BOOST_TEST(seen.substr(53) == "00");  // not sampled
  // An application's own sampled traceparent is continued, sampled.
  sluice::enqueue_options with_parent;
  with_parent.headers.emplace_back("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  BOOST_REQUIRE(eng.try_enqueue("orders", order{2, "x"}, with_parent).has_value());
  drain(ioc);
  BOOST_TEST(seen.substr(3, 32) == "4bf92f3577b34da6a3ce929d0e0e4736");
  BOOST_REQUIRE_EQUAL(spans.size(), 2U);  // publish and process
  BOOST_TEST(spans[0].parent == 0x00f067aa0ba902b7ULL);
  stop_engine(eng, ioc);
}

BOOST_AUTO_TEST_CASE(the_json_form_follows_the_otlp_mapping) {
  sluice::trace::span s;
  s.trace = {0x4bf92f3577b34da6ULL, 0xa3ce929d0e0e4736ULL};
  s.id = 0xab;
  s.name = "process orders";
  s.kind = sluice::trace::span_kind::consumer;
  s.start = sluice::sys_time(std::chrono::nanoseconds(1'700'000'000'000'000'001));
  s.end = s.start + 5ms;
  s.attributes.emplace_back("sluice.attempt", std::int64_t{2});
  s.links.push_back({s.trace, 0xcd});
  s.error = true;
  s.status_message = "boom";
  const auto v = json::parse(sluice::otel::otlp_json({s}, {"svc", ""}));
  const auto& rs = v.at("resourceSpans").at(0);
  BOOST_TEST(rs.at("resource").at("attributes").at(0).at("value").at("stringValue").as_string() == "svc");
  const auto& j = rs.at("scopeSpans").at(0).at("spans").at(0);
  BOOST_TEST(j.at("traceId").as_string() == "4bf92f3577b34da6a3ce929d0e0e4736");
  BOOST_TEST(j.at("spanId").as_string() == "00000000000000ab");
  BOOST_TEST(!j.as_object().contains("parentSpanId"));
  BOOST_TEST(j.at("kind").as_int64() == 5);
  BOOST_TEST(j.at("startTimeUnixNano").as_string() == "1700000000000000001");
  BOOST_TEST(j.at("attributes").at(0).at("value").at("intValue").as_string() == "2");
  BOOST_TEST(j.at("links").at(0).at("spanId").as_string() == "00000000000000cd");
  BOOST_TEST(j.at("status").at("code").as_int64() == 2);
}

BOOST_AUTO_TEST_SUITE_END()
