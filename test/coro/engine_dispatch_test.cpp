// Dispatch: idle workers are woken, never polled; chaining carries correlation and causation;
// handler failures are recorded with the exception's type and text.
#include "test_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};

  void stop() { BOOST_TEST(stop_engine(eng, ioc)); }
};

struct not_a_std_exception {};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_dispatch_suite, fixture)

BOOST_AUTO_TEST_CASE(an_idle_engine_runs_nothing_over_a_simulated_minute) {
  int handled = 0;
  sluice::queue_options q;
  q.min_workers = 3;
  q.max_workers = 3;
  BOOST_REQUIRE(!eng.declare_queue("orders", q));
  BOOST_REQUIRE(!eng.handle<order>("orders", [&](order, sluice::context&) -> asio::awaitable<void> {
    ++handled;
    co_return;
  }));
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "warm-up"}).has_value());
  BOOST_TEST(run_until(ioc, [&] { return handled == 1; }));
  drain(ioc);
  const auto before = eng.stats();
  std::size_t ran = 0;
  for (int second = 0; second < 60; ++second) {
    clock.advance(1s);
    ran += drain(ioc);
  }
  const auto after = eng.stats();
  BOOST_TEST(ran == 0U);  // not one handler ran: no polling loop, no timer
  BOOST_TEST(queue(after, "orders").worker_wakeups == queue(before, "orders").worker_wakeups);
  BOOST_TEST(after.timer_expiries == before.timer_expiries);
  BOOST_TEST(queue(after, "orders").workers == 3U);
  // ...and it still wakes for new work.
  BOOST_REQUIRE(eng.try_enqueue("orders", order{2, "after-idle"}).has_value());
  BOOST_TEST(run_until(ioc, [&] { return handled == 2; }));
  stop();
}

BOOST_AUTO_TEST_CASE(a_chain_carries_correlation_and_causation) {
  struct seen {
    sluice::message_id id, causation;
    std::string correlation;
  };
  seen o_seen, p_seen, n_seen;
  BOOST_REQUIRE(!eng.handle<order>("orders", [&](order o, sluice::context& ctx) -> asio::awaitable<void> {
    o_seen = {ctx.id(), ctx.causation_id(), ctx.correlation_id()};
    const payment p{o.id};
    co_await ctx.async_enqueue("payments", p, asio::use_awaitable);
  }));
  BOOST_REQUIRE(!eng.handle<payment>("payments", [&](payment, sluice::context& ctx) -> asio::awaitable<void> {
    p_seen = {ctx.id(), ctx.causation_id(), ctx.correlation_id()};
    const sluice::enqueue_options opts;  // a local: g++ 12 mis-destroys temporaries inside co_await
    co_await ctx.async_enqueue_raw("notifications", "test.note", "sent", opts, asio::use_awaitable);
  }));
  BOOST_REQUIRE(!eng.handle_raw("notifications", "test.note",
                                [&](std::string_view, sluice::context& ctx) -> asio::awaitable<void> {
                                  n_seen = {ctx.id(), ctx.causation_id(), ctx.correlation_id()};
                                  co_return;
                                }));
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(eng.try_enqueue("orders", order{7, "lamp"}).has_value());
  BOOST_TEST(run_until(ioc, [&] { return !n_seen.id.empty(); }));
  BOOST_TEST(o_seen.causation.empty());
  BOOST_TEST(o_seen.correlation == o_seen.id.to_string());  // a root correlates with itself
  BOOST_TEST((p_seen.causation == o_seen.id));
  BOOST_TEST((n_seen.causation == p_seen.id));
  BOOST_TEST(p_seen.correlation == o_seen.correlation);
  BOOST_TEST(n_seen.correlation == o_seen.correlation);
  stop();
}

BOOST_AUTO_TEST_CASE(an_explicit_correlation_id_is_kept_through_the_chain) {
  std::string child_correlation;
  BOOST_REQUIRE(!eng.handle<order>("orders", [&](order o, sluice::context& ctx) -> asio::awaitable<void> {
    const payment p{o.id};
    co_await ctx.async_enqueue("payments", p, asio::use_awaitable);
  }));
  BOOST_REQUIRE(!eng.handle<payment>("payments", [&](payment, sluice::context& ctx) -> asio::awaitable<void> {
    child_correlation = ctx.correlation_id();
    co_return;
  }));
  BOOST_REQUIRE(!eng.start());
  sluice::enqueue_options opts;
  opts.correlation_id = "checkout-42";
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}, opts).has_value());
  BOOST_TEST(run_until(ioc, [&] { return !child_correlation.empty(); }));
  BOOST_TEST(child_correlation == "checkout-42");
  stop();
}

BOOST_AUTO_TEST_CASE(failures_are_recorded_with_exception_type_and_text) {
  int calls = 0;
  BOOST_REQUIRE(!eng.handle<order>("orders", [&](order o, sluice::context&) -> asio::awaitable<void> {
    ++calls;
    if (o.id == 1) throw std::runtime_error("card declined");
    if (o.id == 2) throw not_a_std_exception{};
    co_return;
  }));
  BOOST_REQUIRE(!eng.handle_raw("orders", "test.order.v0",
                                [&](std::string_view, sluice::context&) -> asio::awaitable<void> { co_return; }));
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  BOOST_REQUIRE(eng.try_enqueue("orders", order{2, "x"}).has_value());
  BOOST_REQUIRE(eng.try_enqueue_raw("orders", "test.order", "{not json").has_value());
  BOOST_REQUIRE(eng.try_enqueue("orders", order{3, "x"}).has_value());
  BOOST_TEST(run_until(ioc, [&] {
    const auto q = queue(eng.stats(), "orders");
    return q.processed + q.failed == 4;
  }));
  const auto q = queue(eng.stats(), "orders");
  BOOST_TEST(q.processed == 1U);
  BOOST_TEST(q.failed == 3U);
  BOOST_REQUIRE(q.recent_failures.size() == 3U);
  // Newest first.
  BOOST_TEST(q.recent_failures[2].cause.error_type == "std::runtime_error");
  BOOST_TEST(q.recent_failures[2].cause.what == "card declined");
  BOOST_TEST(q.recent_failures[2].attempt == 1U);
  BOOST_TEST(q.recent_failures[1].cause.error_type == "unknown exception");
  BOOST_TEST(q.recent_failures[0].cause.error_type == "sluice::decode_error");
  BOOST_TEST(calls == 3);  // the undecodable payload never reached the handler
  stop();
}

BOOST_AUTO_TEST_SUITE_END()
