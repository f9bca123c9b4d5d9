// The admin API: routes answered directly (authorization, dead-letter list/get/replay/purge/stats,
// scaling, snapshots, dedup keys, metrics, health, and 4xx JSON errors for bad input), and the
// HTTP server over a real socket on 127.0.0.1 (keep-alive, 400 for a malformed request, 413 for
// an oversized body).
#include "../../coro/test_support.hpp"

#include <sluice/http/admin_routes.hpp>
#include <sluice/http/admin_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <set>

namespace asio = boost::asio;
namespace json = boost::json;
using namespace sluice_test;
using namespace std::chrono_literals;

namespace {

// An engine with a queue whose handler dead-letters orders 1..3 at once (permanent failure).
struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  std::unique_ptr<sluice::engine> eng;
  sluice::http::admin_options admin{"s3cret", false};
  std::set<int> fail{1, 2, 3};
  int ran = 0;

  fixture() {
    auto o = manual_options(clock);
    o.default_handler = fixed_backoff(0, 10ms);
    o.default_handler.timeout = 0ms;
    eng = std::make_unique<sluice::engine>(ioc.get_executor(), o);
    BOOST_REQUIRE(!eng->handle<order>("orders", [this](order x, sluice::context&) -> asio::awaitable<void> {
      ++ran;
      if (fail.contains(x.id)) throw sluice::permanent_error("card declined for " + std::to_string(x.id));
      co_return;
    }));
    BOOST_REQUIRE(!eng->start());
    for (int i = 1; i <= 3; ++i) BOOST_REQUIRE(eng->try_enqueue("orders", order{i, "x"}).has_value());
    drain(ioc);
  }
  ~fixture() { stop_engine(*eng, ioc); }

  sluice::http::admin_reply call(std::string_view method, std::string_view target, std::string_view auth = {}) {
    std::optional<sluice::http::admin_reply> out;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          out = co_await sluice::http::handle_admin_request(*eng, admin, {method, target, auth, {}});
        },
        asio::detached);
    run_until(ioc, [&] { return out.has_value(); });
    BOOST_REQUIRE(out.has_value());
    return *out;
  }
  sluice::http::admin_reply post(std::string_view target) { return call("POST", target, "Bearer s3cret"); }
  static json::value body(const sluice::http::admin_reply& r) { return json::parse(r.body); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_routes_suite)

BOOST_AUTO_TEST_CASE(mutations_need_the_bearer_token_compared_in_constant_time) {
  fixture f;
  BOOST_TEST(f.call("POST", "/api/dead-letters/purge").status == 401U);
  BOOST_TEST(f.call("POST", "/api/dead-letters/purge", "Bearer wrong!").status == 401U);
  BOOST_TEST(f.call("POST", "/api/dead-letters/purge", "Basic s3cret").status == 401U);
  BOOST_TEST(f.call("GET", "/api/dead-letters").status == 200U);  // reads are open by default
  f.admin.token_for_reads = true;
  BOOST_TEST(f.call("GET", "/api/dead-letters").status == 401U);
  f.admin.token.clear();  // no token configured: mutations disabled, not open
  BOOST_TEST(f.call("POST", "/api/dead-letters/purge", "Bearer ").status == 403U);
  BOOST_TEST(sluice::http::tokens_equal("abc", "abc"));
  BOOST_TEST(!sluice::http::tokens_equal("abd", "abc"));
  BOOST_TEST(!sluice::http::tokens_equal("ab", "abc"));
  BOOST_TEST(!sluice::http::tokens_equal("abcd", "abc"));
}

BOOST_AUTO_TEST_CASE(dead_letters_are_listed_inspected_replayed_and_purged) {
  fixture f;
  auto list = f.body(f.call("GET", "/api/dead-letters?queue=orders"));
  const auto& letters = list.at("dead_letters").as_array();
  BOOST_REQUIRE(letters.size() == 3U);
  BOOST_TEST(!letters[0].as_object().contains("payload"));  // lists carry no payloads
  const std::string id(letters[0].at("id").as_string());
  auto one = f.call("GET", "/api/dead-letters/" + id);
  BOOST_TEST(one.status == 200U);
  BOOST_TEST(f.body(one).at("payload").as_string().find("\"id\":1") != json::string::npos);
  BOOST_TEST(f.body(f.call("GET", "/api/dead-letters/stats")).at("error_types").at("sluice::permanent_error") == 3);
  BOOST_TEST(f.body(f.call("GET", "/api/dead-letters?error=for%202")).at("dead_letters").as_array().size() == 1U);

  f.fail.clear();
  BOOST_TEST(f.post("/api/dead-letters/" + id + "/replay?reset_attempts=1").status == 200U);
  drain(f.ioc);
  BOOST_TEST(f.ran == 4);
  BOOST_TEST(f.post("/api/dead-letters/" + id + "/replay").status == 404U);  // gone
  auto dry = f.body(f.post("/api/dead-letters/replay?dry_run=1"));
  BOOST_TEST(dry.at("replayed") == 2);
  BOOST_TEST(dry.at("dry_run") == true);
  BOOST_TEST(f.body(f.post("/api/dead-letters/purge?error=for%203")).at("purged") == 1);
  BOOST_TEST(f.body(f.post("/api/dead-letters/replay")).at("replayed") == 1);
  drain(f.ioc);
  BOOST_TEST(f.ran == 5);
  BOOST_TEST(f.eng->dead_letters().empty());
}

BOOST_AUTO_TEST_CASE(messages_are_listed_by_state_and_found_by_id) {
  fixture f;
  auto r = f.call("GET", "/api/messages?state=dlq&limit=2");
  BOOST_TEST(r.status == 200U);
  const auto list = fixture::body(r).at("messages").as_array();
  BOOST_REQUIRE_EQUAL(list.size(), 2U);
  BOOST_TEST(list[0].at("state").as_string() == "dlq");
  BOOST_TEST(list[0].at("queue").as_string() == "orders");
  const std::string id(list[0].at("id").as_string());
  r = f.call("GET", "/api/messages/" + id);
  BOOST_TEST(r.status == 200U);
  BOOST_TEST(fixture::body(r).at("attempt").as_int64() == 1);
  BOOST_TEST(r.body.find("payload\"") == std::string::npos);  // summaries carry no payload
  BOOST_TEST(fixture::body(f.call("GET", "/api/messages?state=pending")).at("messages").as_array().empty());
  BOOST_TEST(fixture::body(f.call("GET", "/api/messages?state=all&queue=orders")).at("messages").as_array().size() ==
             3U);
  BOOST_TEST(f.call("GET", "/api/messages?state=flying").status == 400U);
  BOOST_TEST(f.call("GET", "/api/messages?limit=99999").status == 400U);
  BOOST_TEST(f.call("GET", "/api/messages/not-an-id").status == 400U);
  BOOST_TEST(f.call("GET", "/api/messages/00000000000000000000000001").status == 404U);
  BOOST_TEST(f.post("/api/messages").status == 405U);
}

BOOST_AUTO_TEST_CASE(the_dashboard_is_served_without_a_token) {
  fixture f;
  f.admin.token_for_reads = true;
  const auto r = f.call("GET", "/");
  BOOST_TEST(r.status == 200U);
  BOOST_TEST(r.content_type.find("text/html") == 0U);
  BOOST_TEST(r.body.find("<html") != std::string::npos);
  BOOST_TEST(r.body.find("api/metrics") != std::string::npos);
  BOOST_TEST(f.call("GET", "/dashboard").status == 200U);
  BOOST_TEST(f.call("GET", "/api/metrics").status == 401U);  // data still needs the token
}

BOOST_AUTO_TEST_CASE(bad_input_gets_a_4xx_with_a_json_error) {
  fixture f;
  auto expect = [&](sluice::http::admin_reply r, unsigned status, std::string_view code) {
    BOOST_TEST(r.status == status, r.body);
    BOOST_TEST(f.body(r).at("error").as_string() == code);
    BOOST_TEST(!f.body(r).at("message").as_string().empty());
  };
  expect(f.call("GET", "/nope"), 404, "not_found");
  expect(f.call("DELETE", "/api/dead-letters"), 405, "method_not_allowed");
  expect(f.call("POST", "/metrics", "Bearer s3cret"), 405, "method_not_allowed");
  expect(f.call("GET", "/api/dead-letters?limit=abc"), 400, "invalid_argument");
  expect(f.call("GET", "/api/dead-letters?limit=20000"), 400, "invalid_argument");
  expect(f.call("GET", "/api/dead-letters?reset_attempts=maybe"), 400, "invalid_argument");
  expect(f.call("GET", "/api/dead-letters/not-an-id"), 400, "invalid_argument");
  expect(f.call("GET", "/api/dead-letters/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "not_found");
  expect(f.call("GET", "/api/dead%zz"), 400, "invalid_argument");
  expect(f.post("/api/queues/orders/scale"), 400, "invalid_argument");
  expect(f.post("/api/queues/orders/scale?workers=-1"), 400, "invalid_argument");
  expect(f.post("/api/queues/nosuch/scale?workers=2"), 404, "not_found");
  expect(f.post("/api/snapshot"), 409, "no_snapshots");  // in memory
}

BOOST_AUTO_TEST_CASE(scale_metrics_health_and_dedup_keys) {
  fixture f;
  BOOST_TEST(f.post("/api/queues/orders/scale?workers=3").status == 200U);
  drain(f.ioc);
  BOOST_TEST(queue(f.eng->stats(), "orders").workers == 3U);
  auto metrics = f.call("GET", "/metrics");
  BOOST_TEST(metrics.content_type.find("text/plain") == 0U);
  BOOST_TEST(metrics.body.find("sluice_dead_letter_messages{queue=\"orders\"} 3") != std::string::npos);
  BOOST_TEST(f.body(f.call("GET", "/api/metrics")).at("queues").at(0).at("dead_letters") == 3);
  auto health = f.call("GET", "/healthz");
  BOOST_TEST(health.status == 200U);
  BOOST_TEST(f.body(health).at("status").as_string() == "ok");
  BOOST_TEST(f.body(f.call("GET", "/api/dedup/orders/k1")).at("state").as_string() == "free");
}

BOOST_AUTO_TEST_CASE(a_metrics_reset_restarts_counters_and_latencies_but_not_gauges) {
  fixture f;
  auto before = queue(f.eng->stats(), "orders");
  BOOST_TEST(before.failed == 3U);
  BOOST_TEST(before.processing.count == 3U);
  BOOST_TEST(!before.recent_failures.empty());
  BOOST_TEST(f.call("POST", "/api/metrics/reset").status == 401U);
  BOOST_TEST(f.post("/api/metrics/reset").status == 200U);
  auto after = queue(f.eng->stats(), "orders");
  BOOST_TEST(after.failed == 0U);
  BOOST_TEST(after.enqueued == 0U);
  BOOST_TEST(after.dead_lettered == 0U);
  BOOST_TEST(after.processing.count == 0U);
  BOOST_TEST(after.recent_failures.empty());
  BOOST_TEST(after.dead_letters == 3U);  // a gauge: still three letters
  BOOST_REQUIRE(f.eng->try_enqueue("orders", order{10, "x"}).has_value());
  drain(f.ioc);
  after = queue(f.eng->stats(), "orders");
  BOOST_TEST(after.enqueued == 1U);
  BOOST_TEST(after.processed == 1U);
  BOOST_TEST(after.processing.count == 1U);
  BOOST_TEST(after.queue_wait.count == 1U);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

// One raw HTTP exchange over a fresh connection; returns what the server sent back.
std::string exchange(asio::io_context& ioc, std::uint16_t port, const std::string& request) {
  std::string response;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        asio::ip::tcp::socket socket(ioc);
        co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), port}, asio::use_awaitable);
        co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);
        char buf[4096];
        for (;;) {
          auto [ec, n] = co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
          response.append(buf, n);
          if (ec) break;
        }
        done = true;
      },
      asio::detached);
  run_until(ioc, [&] { return done; });
  return response;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(admin_server_suite)

BOOST_AUTO_TEST_CASE(the_server_answers_on_loopback_and_refuses_bad_requests) {
  fixture f;
  sluice::http::admin_server_options o;
  o.port = 0;
  o.admin = f.admin;
  o.max_body_bytes = 1024;
  sluice::http::admin_server server(*f.eng, f.ioc.get_executor(), o);
  BOOST_REQUIRE(!server.listen());
  BOOST_REQUIRE(server.port() != 0);

  // Two requests on one connection (keep-alive), the second closing it.
  const auto two = exchange(f.ioc, server.port(),
                            "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /api/dead-letters?limit=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  BOOST_TEST(two.find("HTTP/1.1 200 OK") == 0U, two);
  BOOST_TEST(two.find("\"status\":\"ok\"") != std::string::npos);
  BOOST_TEST(two.find("\"dead_letters\":[{") != std::string::npos);

  const auto unauthorized =
      exchange(f.ioc, server.port(), "POST /api/dead-letters/purge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  BOOST_TEST(unauthorized.find("HTTP/1.1 401") == 0U, unauthorized);

  const auto malformed = exchange(f.ioc, server.port(), "GARBAGE\r\n\r\n");
  BOOST_TEST(malformed.find("HTTP/1.1 400") == 0U, malformed);
  BOOST_TEST(malformed.find("\"error\":\"bad_request\"") != std::string::npos);

  const auto too_large = exchange(f.ioc, server.port(),
                                  "POST /api/snapshot HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\n"
                                  "Content-Length: 5000\r\n\r\n" +
                                      std::string(5000, 'x'));
  BOOST_TEST(too_large.find("HTTP/1.1 413") == 0U, too_large);
  server.stop();
  drain(f.ioc);
}

BOOST_AUTO_TEST_SUITE_END()
