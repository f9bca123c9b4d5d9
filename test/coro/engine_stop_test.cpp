// Graceful stop: refuse new work, let in-flight handlers finish, cancel them through their
// cancellation slot at the deadline, complete when drained.
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
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
  asio::steady_timer* parked = nullptr;  // the in-flight handler's wait
  int finished = 0;
  error_code wait_result;
  bool chain_child = false;
  error_code child_result = sluice::errc::io_error;

  fixture() {
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context& ctx) -> asio::awaitable<void> {
      asio::steady_timer t(ctx.get_executor(), 1h);  // real time: only a cancel or release ends it
      parked = &t;
      auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
      parked = nullptr;
      wait_result = ec;
      if (ec == asio::error::operation_aborted && o.item == "strict") {
        throw boost::system::system_error(ec, "cancelled");
      }
      if (chain_child) {
        const payment p{o.id};
        auto [cec, id] = co_await ctx.async_enqueue("payments", p, asio::as_tuple(asio::use_awaitable));
        child_result = cec;
      }
      ++finished;
    }));
    BOOST_REQUIRE(
        !eng.handle<payment>("payments", [](payment, sluice::context&) -> asio::awaitable<void> { co_return; }));
  }

  void start_one_in_flight(std::string item = "x") {
    BOOST_REQUIRE(!eng.start());
    BOOST_REQUIRE(eng.try_enqueue("orders", order{1, std::move(item)}).has_value());
    BOOST_REQUIRE(run_until(ioc, [&] { return parked != nullptr; }));
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_stop_suite, fixture)

BOOST_AUTO_TEST_CASE(stop_before_start_completes_at_once) {
  bool stopped = false;
  eng.async_stop(1s, [&](error_code ec) { stopped = !ec; });
  BOOST_TEST(run_until(ioc, [&] { return stopped; }));
  BOOST_TEST(eng.try_enqueue("orders", order{1, "x"}).error() == sluice::errc::shutting_down);
  BOOST_TEST(eng.start() == sluice::errc::shutting_down);
}

BOOST_AUTO_TEST_CASE(in_flight_handlers_finish_and_new_work_is_refused) {
  start_one_in_flight();
  bool stopped = false;
  eng.async_stop(5s, [&](error_code ec) { stopped = !ec; });
  drain(ioc);
  BOOST_TEST(!stopped);  // waits for the handler
  BOOST_TEST(eng.try_enqueue("orders", order{2, "x"}).error() == sluice::errc::shutting_down);
  error_code async_result;
  const order third{3, "x"};  // a local, not a temporary: sluice/detail/coawait_temporaries.hpp
  eng.async_enqueue("orders", third, [&](error_code ec, sluice::message_id) { async_result = ec; });
  parked->cancel();  // the handler's own work completes (it treats abort as done)
  BOOST_TEST(run_until(ioc, [&] { return stopped; }));
  BOOST_TEST(finished == 1);
  BOOST_TEST(async_result == sluice::errc::shutting_down);
}

BOOST_AUTO_TEST_CASE(the_deadline_cancels_handlers_through_their_slot) {
  start_one_in_flight("strict");
  bool stopped = false;
  eng.async_stop(5s, [&](error_code ec) { stopped = !ec; });
  drain(ioc);
  clock.advance(4s);
  drain(ioc);
  BOOST_TEST(!stopped);
  BOOST_TEST(parked != nullptr);
  clock.advance(1s);  // deadline
  BOOST_TEST(run_until(ioc, [&] { return stopped; }));
  BOOST_TEST(wait_result == asio::error::operation_aborted);  // the timer saw the cancellation
  const auto q = queue(eng.stats(), "orders");
  BOOST_TEST(q.failed == 1U);
  BOOST_TEST(eng.stats().timer_expiries == 1U);
}

BOOST_AUTO_TEST_CASE(handlers_may_chain_while_the_engine_drains) {
  chain_child = true;
  start_one_in_flight();
  bool stopped = false;
  eng.async_stop(5s, [&](error_code) { stopped = true; });
  drain(ioc);
  parked->cancel();
  BOOST_TEST(run_until(ioc, [&] { return stopped; }));
  BOOST_TEST(!child_result);
  BOOST_TEST(finished == 1);
}

BOOST_AUTO_TEST_CASE(stop_called_twice_completes_both) {
  start_one_in_flight();
  int completions = 0;
  eng.async_stop(5s, [&](error_code) { ++completions; });
  eng.async_stop(5s, [&](error_code) { ++completions; });
  parked->cancel();
  BOOST_TEST(run_until(ioc, [&] { return completions == 2; }));
  eng.async_stop(5s, [&](error_code) { ++completions; });  // already stopped
  BOOST_TEST(run_until(ioc, [&] { return completions == 3; }));
}

BOOST_AUTO_TEST_SUITE_END()
