// Fenced leases on the manual clock: heartbeats keep a long handler's lease; without them the
// lease expires and the message returns to the queue with its attempt counted, on a replacement
// worker; explicit extension keeps it; the revoked delivery's late outcome and extensions are
// rejected (lease_lost) and never apply to the newer delivery.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <functional>
#include <optional>
#include <vector>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

struct delivery_seen {
  std::uint32_t attempt = 0;
  std::uint64_t epoch = 0;
};

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};
  gate work{ioc};  // the "long work" of the first delivery
  std::vector<delivery_seen> seen;
  // What the first delivery does besides waiting for `work` (later ones return at once).
  std::function<asio::awaitable<void>(sluice::context&)> before_work;
  std::function<asio::awaitable<void>(sluice::context&)> after_work;
  bool first_throws = false;

  void start(sluice::handler_options h) {
    sluice::queue_options q;
    q.min_workers = 1;
    q.max_workers = 1;
    BOOST_REQUIRE(!eng.declare_queue("jobs", q));
    BOOST_REQUIRE(!eng.handle<order>(
        "jobs",
        [this](order, sluice::context& ctx) -> asio::awaitable<void> {
          seen.push_back({ctx.attempt(), ctx.lease_epoch()});
          if (ctx.attempt() > 1) co_return;
          if (before_work) co_await before_work(ctx);
          co_await work.wait_ignoring_cancellation();
          if (after_work) co_await after_work(ctx);
          if (first_throws) throw std::runtime_error("late failure");
        },
        h));
    BOOST_REQUIRE(!eng.start());
  }
  static sluice::handler_options lease_only(std::chrono::milliseconds lease, bool heartbeat) {
    auto h = fixed_backoff(3, 0ms);
    h.timeout = 0ms;
    h.lease_duration = lease;
    h.heartbeat = heartbeat;
    return h;
  }
  ~fixture() {
    work.open();
    stop_engine(eng, ioc);
  }
  void advance(std::chrono::milliseconds d) { sluice_test::advance(clock, ioc, d); }
  sluice::queue_stats q() { return queue(eng.stats(), "jobs"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_lease_suite, fixture)

BOOST_AUTO_TEST_CASE(heartbeats_keep_a_long_handlers_lease) {
  start(lease_only(3s, true));
  BOOST_REQUIRE(eng.try_enqueue("jobs", order{1, "x"}).has_value());
  drain(ioc);
  for (int i = 0; i < 10; ++i) advance(1s);  // ten seconds of work on a three-second lease
  BOOST_TEST(q().lease_expired == 0U);
  BOOST_TEST(q().heartbeats >= 4U);
  work.open();
  drain(ioc);
  const auto s = q();
  BOOST_TEST(s.processed == 1U);
  BOOST_TEST(s.lease_lost == 0U);
  BOOST_TEST(seen.size() == 1U);
}

BOOST_AUTO_TEST_CASE(without_heartbeat_an_expired_lease_returns_the_message_with_the_attempt_counted) {
  start(lease_only(3s, false));
  BOOST_REQUIRE(eng.try_enqueue("jobs", order{1, "x"}).has_value());
  drain(ioc);
  advance(2999ms);
  BOOST_TEST(seen.size() == 1U);
  advance(1ms);
  auto s = q();
  BOOST_TEST(s.lease_expired == 1U);
  BOOST_REQUIRE(seen.size() == 2U);  // redelivered on the replacement worker
  BOOST_TEST(seen[1].attempt == 2U);
  BOOST_TEST(seen[1].epoch > seen[0].epoch);
  BOOST_TEST(s.processed == 1U);
  BOOST_TEST(s.workers == 1U);
  BOOST_REQUIRE(!s.recent_failures.empty());
  BOOST_TEST(s.recent_failures[0].cause.error_type == "sluice::lease_expired");

  work.open();  // the old delivery finishes: rejected
  drain(ioc);
  s = q();
  BOOST_TEST(s.lease_lost == 1U);
  BOOST_TEST(s.processed == 1U);
}

BOOST_AUTO_TEST_CASE(a_stale_failure_does_not_retry_or_dead_letter_the_message) {
  first_throws = true;
  start(lease_only(1s, false));
  BOOST_REQUIRE(eng.try_enqueue("jobs", order{1, "x"}).has_value());
  drain(ioc);
  advance(1s);
  BOOST_TEST(q().processed == 1U);  // the newer delivery acknowledged it
  const auto failed_before = q().failed;
  work.open();
  drain(ioc);
  const auto s = q();
  BOOST_TEST(s.failed == failed_before);  // the stale throw applied nowhere
  BOOST_TEST(s.lease_lost == 1U);
  BOOST_TEST(s.scheduled == 0U);
  BOOST_TEST(s.dead_letters == 0U);
  BOOST_TEST(seen.size() == 2U);
}

BOOST_AUTO_TEST_CASE(explicit_extension_keeps_the_lease_without_heartbeat) {
  before_work = [](sluice::context& ctx) -> asio::awaitable<void> {
    co_await ctx.async_extend_lease(10s, asio::use_awaitable);
  };
  start(lease_only(2s, false));
  BOOST_REQUIRE(eng.try_enqueue("jobs", order{1, "x"}).has_value());
  drain(ioc);
  advance(9999ms);
  BOOST_TEST(q().lease_expired == 0U);
  advance(1ms);
  BOOST_TEST(q().lease_expired == 1U);  // the extension ran out
}

BOOST_AUTO_TEST_CASE(an_extension_after_revocation_is_rejected_as_lease_lost) {
  std::optional<error_code> extension;
  after_work = [&](sluice::context& ctx) -> asio::awaitable<void> {
    auto [ec] = co_await ctx.async_extend_lease(10s, asio::as_tuple(asio::use_awaitable));
    extension = ec;
  };
  start(lease_only(1s, false));
  BOOST_REQUIRE(eng.try_enqueue("jobs", order{1, "x"}).has_value());
  drain(ioc);
  advance(1s);
  work.open();
  drain(ioc);
  BOOST_REQUIRE(extension.has_value());
  BOOST_TEST(*extension == sluice::errc::lease_lost);
  BOOST_TEST(q().lease_lost == 2U);  // the extension and the late acknowledgement
}

BOOST_AUTO_TEST_CASE(extension_moves_the_timeout_too) {
  before_work = [](sluice::context& ctx) -> asio::awaitable<void> {
    co_await ctx.async_extend_lease(5s, asio::use_awaitable);
  };
  auto h = fixed_backoff(0, 0ms);
  h.timeout = 1s;
  start(h);
  BOOST_REQUIRE(eng.try_enqueue("jobs", order{1, "x"}).has_value());
  drain(ioc);
  advance(4999ms);
  BOOST_TEST(q().timed_out == 0U);
  advance(1ms);
  BOOST_TEST(q().timed_out == 1U);
}

BOOST_AUTO_TEST_CASE(expired_leases_spend_the_retry_budget_then_dead_letter) {
  auto h = lease_only(1s, false);
  h.max_retries = 0;
  start(h);
  const auto id = eng.try_enqueue("jobs", order{1, "x"});
  BOOST_REQUIRE(id.has_value());
  drain(ioc);
  advance(1s);
  const auto letter = eng.find_dead_letter(*id);
  BOOST_REQUIRE(letter.has_value());
  BOOST_TEST(letter->cause.error_type == "sluice::lease_expired");
  BOOST_TEST(letter->envelope.attempt == 1U);
  BOOST_TEST(seen.size() == 1U);
}

BOOST_AUTO_TEST_CASE(handlers_without_timeout_or_lease_run_unwatched) {
  auto h = lease_only(0ms, true);
  start(h);
  BOOST_REQUIRE(eng.try_enqueue("jobs", order{1, "x"}).has_value());
  drain(ioc);
  advance(std::chrono::hours(24));
  BOOST_TEST(q().lease_expired == 0U);
  BOOST_TEST(q().heartbeats == 0U);
  BOOST_TEST(eng.stats().timer_expiries == 0U);  // nothing was armed
  work.open();
  drain(ioc);
  BOOST_TEST(q().processed == 1U);
}

BOOST_AUTO_TEST_SUITE_END()
