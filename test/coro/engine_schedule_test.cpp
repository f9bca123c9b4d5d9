// Delayed and scheduled delivery: not before its moment (manual clock), the later of delay and
// not_before wins, equal moments keep enqueue order, max_scheduled bounds delayed enqueues (never
// retries), and waiting messages do not take ready capacity.
#include "test_support.hpp"

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
  std::vector<int> ran;

  fixture() {
    sluice::queue_options q;
    q.capacity = 1;
    q.max_scheduled = 3;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context&) -> asio::awaitable<void> {
      ran.push_back(o.id);
      co_return;
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() { stop_engine(eng, ioc); }
  void advance(std::chrono::milliseconds d) { sluice_test::advance(clock, ioc, d); }
  static sluice::enqueue_options after(std::chrono::milliseconds d) {
    sluice::enqueue_options o;
    o.delay = d;
    return o;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_schedule_suite, fixture)

BOOST_AUTO_TEST_CASE(a_delayed_message_runs_at_its_moment_and_not_before) {
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}, after(10s)).has_value());
  drain(ioc);
  BOOST_TEST(queue(eng.stats(), "orders").scheduled == 1U);
  advance(9999ms);
  BOOST_TEST(ran.empty());
  advance(1ms);
  BOOST_TEST(ran == (std::vector<int>{1}), boost::test_tools::per_element());
  BOOST_TEST(queue(eng.stats(), "orders").scheduled == 0U);
}

BOOST_AUTO_TEST_CASE(the_later_of_not_before_and_delay_wins) {
  auto o = after(5s);
  o.not_before = clock.now() + 20s;
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}, o).has_value());
  auto p = after(30s);
  p.not_before = clock.now() + 20s;
  BOOST_REQUIRE(eng.try_enqueue("orders", order{2, "x"}, p).has_value());
  drain(ioc);
  advance(19s);
  BOOST_TEST(ran.empty());
  advance(1s);
  BOOST_TEST(ran == (std::vector<int>{1}), boost::test_tools::per_element());
  advance(10s);
  BOOST_TEST(ran == (std::vector<int>{1, 2}), boost::test_tools::per_element());
  sluice::enqueue_options past;
  past.not_before = clock.now() - 1h;  // in the past: as soon as possible
  BOOST_REQUIRE(eng.try_enqueue("orders", order{3, "x"}, past).has_value());
  drain(ioc);
  BOOST_TEST(ran.back() == 3);
}

BOOST_AUTO_TEST_CASE(messages_due_at_the_same_moment_keep_enqueue_order) {
  for (int i = 1; i <= 3; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}, after(1s)).has_value());
  advance(1s);
  BOOST_TEST(run_until(ioc, [&] { return ran.size() == 3; }));
  BOOST_TEST(ran == (std::vector<int>{1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(max_scheduled_bounds_delayed_enqueues_and_waiting_takes_no_ready_capacity) {
  for (int i = 1; i <= 3; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}, after(1min)).has_value());
  BOOST_TEST(eng.try_enqueue("orders", order{4, "x"}, after(1min)).error() == sluice::errc::queue_full);
  error_code async_result;
  const auto later = after(1min);
  const order o{5, "x"};
  eng.async_enqueue("orders", o, later, [&](error_code ec, sluice::message_id) { async_result = ec; });
  drain(ioc);
  BOOST_TEST(async_result == sluice::errc::queue_full);
  // Capacity 1 is free although three messages wait: an immediate enqueue still fits.
  BOOST_REQUIRE(eng.try_enqueue("orders", order{6, "x"}).has_value());
  drain(ioc);
  BOOST_TEST(ran == (std::vector<int>{6}), boost::test_tools::per_element());
  advance(1min);
  BOOST_TEST(run_until(ioc, [&] { return ran.size() == 4; }));
  BOOST_TEST(queue(eng.stats(), "orders").scheduled == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
