// Runtime scaling: workers are added and retired between min and max; a retiring worker
// finishes its current message first; no message is lost or run twice.
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <map>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

// Handlers park on real timers that never expire by themselves; release() lets them finish.
struct held_handlers {
  std::vector<asio::steady_timer*> parked;
  bool hold = true;
  void release() {
    hold = false;
    for (auto* t : parked) t->cancel();
  }
};

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};
  held_handlers held;
  std::map<int, int> runs;  // order id -> times handled

  fixture() {
    sluice::queue_options q;
    q.min_workers = 1;
    q.max_workers = 4;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context& ctx) -> asio::awaitable<void> {
      if (held.hold) {
        asio::steady_timer t(ctx.get_executor(), asio::steady_timer::time_point::max());
        held.parked.push_back(&t);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        std::erase(held.parked, &t);
      }
      ++runs[o.id];
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() {
    held.release();
    stop_engine(eng, ioc);
  }
  std::uint64_t workers() { return queue(eng.stats(), "orders").workers; }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_scale_suite, fixture)

BOOST_AUTO_TEST_CASE(scale_is_bounded_by_min_and_max) {
  BOOST_TEST(eng.scale("orders", 0) == sluice::errc::invalid_argument);
  BOOST_TEST(eng.scale("orders", 5) == sluice::errc::invalid_argument);
  BOOST_TEST(eng.scale("nope", 2) == sluice::errc::unknown_queue);
  BOOST_TEST(!eng.scale("orders", 4));
  drain(ioc);
  BOOST_TEST(workers() == 4U);
}

BOOST_AUTO_TEST_CASE(scaling_up_runs_more_messages_at_once) {
  for (int i = 0; i < 4; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}).has_value());
  drain(ioc);
  BOOST_TEST(held.parked.size() == 1U);  // one worker: one message in flight
  BOOST_REQUIRE(!eng.scale("orders", 3));
  drain(ioc);
  BOOST_TEST(held.parked.size() == 3U);
  BOOST_TEST(queue(eng.stats(), "orders").in_flight == 3U);
}

BOOST_AUTO_TEST_CASE(a_retiring_worker_finishes_its_current_message_first) {
  BOOST_REQUIRE(!eng.scale("orders", 3));
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}).has_value());
  drain(ioc);
  BOOST_REQUIRE(held.parked.size() == 3U);
  BOOST_REQUIRE(!eng.scale("orders", 1));
  drain(ioc);
  BOOST_TEST(workers() == 3U);  // all busy: nobody leaves mid-message
  BOOST_TEST(runs.empty());
  held.release();
  BOOST_TEST(run_until(ioc, [&] { return runs.size() == 3 && workers() == 1; }));
  for (int i = 3; i < 20; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}).has_value());
  BOOST_TEST(run_until(ioc, [&] { return runs.size() == 20; }));
  for (const auto& [id, n] : runs) BOOST_TEST(n == 1, "order " << id << " ran " << n << " times");
}

BOOST_AUTO_TEST_CASE(scaling_back_up_cancels_pending_retirements) {
  BOOST_REQUIRE(!eng.scale("orders", 4));
  for (int i = 0; i < 4; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}).has_value());
  drain(ioc);
  BOOST_REQUIRE(!eng.scale("orders", 1));  // three retirements pending (all busy)
  BOOST_REQUIRE(!eng.scale("orders", 3));  // two of them are taken back
  held.release();
  BOOST_TEST(run_until(ioc, [&] { return runs.size() == 4 && workers() == 3; }));
  drain(ioc);
  BOOST_TEST(workers() == 3U);
}

BOOST_AUTO_TEST_CASE(repeated_scaling_under_load_loses_and_repeats_nothing) {
  held.hold = false;
  int next = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 7; ++i, ++next) BOOST_REQUIRE(eng.try_enqueue("orders", order{next, "x"}).has_value());
    BOOST_REQUIRE(!eng.scale("orders", 1 + static_cast<std::size_t>(round % 4)));
    ioc.restart();
    ioc.poll_one();  // interleave scaling with partially run work
  }
  BOOST_TEST(run_until(ioc, [&] { return static_cast<int>(runs.size()) == next; }));
  drain(ioc);
  for (const auto& [id, n] : runs) BOOST_TEST_REQUIRE(n == 1, "order " << id << " ran " << n << " times");
  BOOST_TEST(queue(eng.stats(), "orders").processed == static_cast<std::uint64_t>(next));
}

BOOST_AUTO_TEST_SUITE_END()
