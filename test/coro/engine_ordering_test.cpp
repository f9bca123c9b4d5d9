// Ordering keys: one at a time and in enqueue order per key, different keys in parallel; a
// retrying message holds its key; a dead-lettered one releases it; held messages count against
// capacity.
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
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
  sluice::engine eng{ioc.get_executor(), options()};
  std::vector<std::string> started;
  std::vector<asio::steady_timer*> parked;
  bool hold = false;
  std::function<void(const order&, sluice::context&)> behaviour;

  sluice::engine_options options() {
    auto o = manual_options(clock);
    o.default_handler = fixed_backoff(2, 1s);
    return o;
  }

  fixture() {
    sluice::queue_options q;
    q.capacity = 4;
    q.min_workers = q.max_workers = 3;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context& ctx) -> asio::awaitable<void> {
      started.push_back(o.item);
      if (hold) {
        asio::steady_timer t(ctx.get_executor(), 1h);
        parked.push_back(&t);
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        std::erase(parked, &t);
      }
      if (behaviour) behaviour(o, ctx);
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() {
    release();
    stop_engine(eng, ioc);
  }
  void put(const std::string& key, const std::string& item) {
    sluice::enqueue_options o;
    o.ordering_key = key;
    BOOST_REQUIRE(eng.try_enqueue("orders", order{1, item}, o).has_value());
  }
  void release() {
    hold = false;
    for (auto* t : std::vector(parked)) t->cancel();
    drain(ioc);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_ordering_suite, fixture)

BOOST_AUTO_TEST_CASE(one_key_runs_one_at_a_time_in_order_while_other_keys_run_alongside) {
  hold = true;
  put("A", "A1");
  put("A", "A2");
  put("B", "B1");
  drain(ioc);
  // Three workers, but A2 waits for A1: A1 and B1 run together.
  BOOST_TEST(started == (std::vector<std::string>{"A1", "B1"}), boost::test_tools::per_element());
  BOOST_TEST(queue(eng.stats(), "orders").ordering_held == 1U);
  release();
  BOOST_TEST(started == (std::vector<std::string>{"A1", "B1", "A2"}), boost::test_tools::per_element());
  BOOST_TEST(queue(eng.stats(), "orders").ordering_held == 0U);
}

BOOST_AUTO_TEST_CASE(a_retrying_message_holds_back_later_ones_with_its_key) {
  behaviour = [](const order& o, sluice::context& ctx) {
    if (o.item == "A1" && ctx.attempt() == 1) throw std::runtime_error("transient");
  };
  put("A", "A1");
  put("A", "A2");
  put("B", "B1");
  drain(ioc);
  BOOST_TEST(started == (std::vector<std::string>{"A1", "B1"}), boost::test_tools::per_element());
  clock.advance(1s);  // A1's retry
  drain(ioc);
  BOOST_TEST(started == (std::vector<std::string>{"A1", "B1", "A1", "A2"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_dead_lettered_message_releases_its_key) {
  behaviour = [](const order& o, sluice::context&) {
    if (o.item == "A1") throw sluice::permanent_error("bad");
  };
  put("A", "A1");
  put("A", "A2");
  drain(ioc);
  BOOST_TEST(started == (std::vector<std::string>{"A1", "A2"}), boost::test_tools::per_element());
  BOOST_TEST(eng.dead_letters().size() == 1U);
}

BOOST_AUTO_TEST_CASE(held_messages_count_against_capacity) {
  hold = true;
  put("A", "A1");
  drain(ioc);  // A1 taken: in flight
  put("A", "A2");
  put("A", "A3");
  put("A", "A4");
  put("A", "A5");  // capacity 4: held messages keep their admission
  sluice::enqueue_options o;
  o.ordering_key = "A";
  BOOST_TEST(eng.try_enqueue("orders", order{1, "A6"}, o).error() == sluice::errc::queue_full);
  release();
  hold = false;
  drain(ioc);
  BOOST_TEST(started == (std::vector<std::string>{"A1", "A2", "A3", "A4", "A5"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
