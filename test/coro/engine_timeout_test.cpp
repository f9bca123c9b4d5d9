// Handler timeouts and stuck handlers, on the manual clock: the timeout cancels the awaited
// operation through the handler's cancellation slot; a handler that ignores it is declared stuck
// after the grace, its message retried on a replacement worker (parallelism kept, attempt
// counted), and its late outcome rejected as lease_lost.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

enum class mode { cancellable, ignores_cancellation, swallows_cancellation };

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};
  gate hang{ioc};
  mode behaviour = mode::cancellable;
  int hang_attempts = 1;                  // attempts up to this one wait on `hang`
  std::map<std::uint32_t, int> finished;  // attempt -> handlers that returned or threw
  std::optional<error_code> stale_extension;
  bool extend_after_hang = false;

  explicit fixture(std::uint32_t max_retries = 3) {
    auto h = fixed_backoff(max_retries, 0ms);
    h.timeout = 1s;
    h.stuck_grace = 500ms;
    sluice::queue_options q;
    q.min_workers = 1;
    q.max_workers = 1;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>(
        "orders",
        [this](order, sluice::context& ctx) -> asio::awaitable<void> {
          const auto attempt = ctx.attempt();
          struct count {
            std::map<std::uint32_t, int>& m;
            std::uint32_t a;
            ~count() { ++m[a]; }
          } counted{finished, attempt};
          if (static_cast<int>(attempt) > hang_attempts) co_return;
          switch (behaviour) {
            case mode::cancellable:
              co_await hang.wait();
              break;
            case mode::ignores_cancellation:
              co_await hang.wait_ignoring_cancellation();
              if (extend_after_hang) {
                auto [ec] = co_await ctx.async_extend_lease(10s, asio::as_tuple(asio::use_awaitable));
                stale_extension = ec;
              }
              break;
            case mode::swallows_cancellation:
              try {
                co_await hang.wait();
              } catch (const boost::system::system_error&) {
                // gave up cleanly: returning normally acknowledges the message
              }
              break;
          }
        },
        h));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() {
    hang.open();
    stop_engine(eng, ioc);
  }
  void advance(std::chrono::milliseconds d) { sluice_test::advance(clock, ioc, d); }
  sluice::queue_stats q() { return queue(eng.stats(), "orders"); }
};

struct one_attempt_fixture : fixture {
  one_attempt_fixture() : fixture(0) {}
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_timeout_suite, fixture)

BOOST_AUTO_TEST_CASE(the_timeout_cancels_the_awaited_operation_and_the_message_is_retried) {
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  drain(ioc);
  advance(999ms);
  BOOST_TEST(finished.empty());  // still waiting
  BOOST_TEST(q().in_flight == 1U);
  advance(1ms);
  BOOST_TEST(finished[1] == 1);  // the wait completed with operation_aborted and the handler threw
  BOOST_TEST(finished[2] == 1);  // retried at once (zero backoff) and succeeded
  const auto s = q();
  BOOST_TEST(s.timed_out == 1U);
  BOOST_TEST(s.stuck == 0U);
  BOOST_TEST(s.failed == 1U);
  BOOST_TEST(s.processed == 1U);
  BOOST_REQUIRE(s.recent_failures.size() == 1U);
  BOOST_TEST(s.recent_failures[0].cause.error_type == "sluice::handler_timeout");
  BOOST_TEST(s.recent_failures[0].cause.what.find("timed out after 1000 ms") != std::string::npos);
  BOOST_TEST(s.recent_failures[0].cause.what.find("system_error") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_handler_that_returns_after_the_cancellation_is_acknowledged) {
  behaviour = mode::swallows_cancellation;
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  drain(ioc);
  advance(1s);
  const auto s = q();
  BOOST_TEST(s.timed_out == 1U);
  BOOST_TEST(s.processed == 1U);
  BOOST_TEST(s.failed == 0U);
  BOOST_TEST(finished.size() == 1U);
}

BOOST_AUTO_TEST_CASE(a_handler_ignoring_cancellation_is_stuck_replaced_and_its_message_retried) {
  behaviour = mode::ignores_cancellation;
  extend_after_hang = true;
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  drain(ioc);
  advance(1s);  // timeout: cancellation raised, ignored
  BOOST_TEST(q().timed_out == 1U);
  BOOST_TEST(q().stuck == 0U);
  advance(499ms);
  BOOST_TEST(q().stuck == 0U);
  BOOST_TEST(finished.empty());
  advance(1ms);  // the grace is over
  auto s = q();
  BOOST_TEST(s.stuck == 1U);
  BOOST_TEST(s.stuck_running == 1U);
  BOOST_TEST(s.workers == 1U);   // the replacement keeps the queue's parallelism
  BOOST_TEST(finished[2] == 1);  // attempt 2 ran on the replacement while attempt 1 hangs
  BOOST_TEST(s.processed == 1U);
  BOOST_TEST(s.failed == 1U);
  BOOST_REQUIRE(!s.recent_failures.empty());
  BOOST_TEST(s.recent_failures[0].cause.error_type == "sluice::handler_stuck");
  BOOST_TEST(s.recent_failures[0].attempt == 1U);

  hang.open();  // the hung handler finally returns: its outcome is stale
  drain(ioc);
  s = q();
  BOOST_TEST(finished[1] == 1);
  BOOST_REQUIRE(stale_extension.has_value());
  BOOST_TEST(*stale_extension == sluice::errc::lease_lost);
  BOOST_TEST(s.lease_lost == 2U);  // the extension and the acknowledgement
  BOOST_TEST(s.processed == 1U);   // acknowledged once, by the newer delivery
  BOOST_TEST(s.stuck_running == 0U);
  BOOST_TEST(s.workers == 1U);
  BOOST_TEST(s.in_flight == 0U);
}

BOOST_AUTO_TEST_CASE(stop_waits_for_a_stuck_handler) {
  behaviour = mode::ignores_cancellation;
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  drain(ioc);
  advance(1500ms);  // stuck and replaced
  BOOST_TEST(q().stuck_running == 1U);
  bool stopped = false;
  eng.async_stop(100ms, [&](error_code) { stopped = true; });
  advance(200ms);  // past the stop deadline: cancelled again, still ignoring it
  BOOST_TEST(!stopped);
  hang.open();
  BOOST_TEST(run_until(ioc, [&] { return stopped; }));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(engine_timeout_dead_letter_suite, one_attempt_fixture)

BOOST_AUTO_TEST_CASE(a_stuck_handler_without_retries_left_dead_letters_its_message) {
  behaviour = mode::ignores_cancellation;
  const auto id = eng.try_enqueue("orders", order{1, "x"});
  BOOST_REQUIRE(id.has_value());
  drain(ioc);
  advance(1500ms);
  const auto letter = eng.find_dead_letter(*id);
  BOOST_REQUIRE(letter.has_value());
  BOOST_TEST(letter->cause.error_type == "sluice::handler_stuck");
  BOOST_TEST(letter->envelope.attempt == 1U);
  BOOST_TEST(q().processed == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
