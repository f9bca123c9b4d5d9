// Backpressure: a full queue makes async_enqueue wait or fail, per option; a waiting enqueue
// can be cancelled, and stop releases it with shutting_down.
#include "test_support.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>
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
  int handled = 0;

  fixture() {
    sluice::queue_options q;
    q.capacity = 2;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order, sluice::context&) -> asio::awaitable<void> {
      ++handled;
      co_return;
    }));
    // Not started: nothing consumes, so the queue fills.
    BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "a"}).has_value());
    BOOST_REQUIRE(eng.try_enqueue("orders", order{2, "b"}).has_value());
  }
  ~fixture() { stop_engine(eng, ioc); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_backpressure_suite, fixture)

BOOST_AUTO_TEST_CASE(a_full_queue_fails_at_once_when_asked_to) {
  BOOST_TEST(eng.try_enqueue("orders", order{3, "c"}).error() == sluice::errc::queue_full);
  sluice::enqueue_options fail;
  fail.on_full = sluice::full_policy::fail;
  error_code result;
  const order third{3, "c"};  // locals, not temporaries: sluice/detail/coawait_temporaries.hpp
  eng.async_enqueue("orders", third, fail, [&](error_code ec, sluice::message_id) { result = ec; });
  drain(ioc);
  BOOST_TEST(result == sluice::errc::queue_full);
}

BOOST_AUTO_TEST_CASE(a_waiting_enqueue_completes_when_space_frees) {
  bool done = false;
  error_code result = sluice::errc::io_error;
  const order third{3, "c"};
  eng.async_enqueue("orders", third, [&](error_code ec, sluice::message_id) { result = ec, done = true; });
  drain(ioc);
  BOOST_TEST(!done);  // parked on the space signal
  BOOST_REQUIRE(!eng.start());
  BOOST_TEST(run_until(ioc, [&] { return done && handled == 3; }));
  BOOST_TEST(!result);
}

BOOST_AUTO_TEST_CASE(a_waiting_enqueue_is_cancelled_through_its_slot_and_enqueues_nothing) {
  asio::cancellation_signal cancel;
  error_code result;
  bool done = false;
  const order third{3, "c"};
  eng.async_enqueue("orders", third,
                    asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec, sluice::message_id) {
                      result = ec;
                      done = true;
                    }));
  drain(ioc);
  BOOST_TEST(!done);
  cancel.emit(asio::cancellation_type::terminal);
  BOOST_TEST(run_until(ioc, [&] { return done; }));
  BOOST_TEST(result == asio::error::operation_aborted);
  BOOST_REQUIRE(!eng.start());
  BOOST_TEST(run_until(ioc, [&] { return handled == 2; }));
  drain(ioc);
  BOOST_TEST(queue(eng.stats(), "orders").enqueued == 2U);
}

BOOST_AUTO_TEST_CASE(stop_releases_waiting_producers_with_shutting_down) {
  error_code result;
  bool done = false;
  const order third{3, "c"};
  eng.async_enqueue("orders", third, [&](error_code ec, sluice::message_id) { result = ec, done = true; });
  drain(ioc);
  bool stopped = false;
  eng.async_stop(1s, [&](error_code) { stopped = true; });
  BOOST_TEST(run_until(ioc, [&] { return done && stopped; }));
  BOOST_TEST(result == sluice::errc::shutting_down);
}

BOOST_AUTO_TEST_SUITE_END()
