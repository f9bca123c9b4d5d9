// Deduplication, one test per rule: reject; replace_pending (waiting and in flight);
// coalesce_after_inflight (exactly one follow-up with the latest payload); release on ack and
// dead letter; the window; a newer message superseding a retry; key state for operators.
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;
using phase = sluice::dedup_key_state::phase;

namespace {

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), options()};
  std::vector<std::string> ran;  // items, in delivery order
  bool hold = false;             // park handlers until released
  asio::steady_timer* parked = nullptr;
  std::function<void(const order&, sluice::context&)> behaviour;

  sluice::engine_options options() {
    auto o = manual_options(clock);
    o.default_handler = fixed_backoff(3, 1s);
    return o;
  }

  fixture() {
    sluice::queue_options q;
    q.dedup_window = 10s;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context& ctx) -> asio::awaitable<void> {
      if (hold) {
        asio::steady_timer t(ctx.get_executor(), 1h);
        parked = &t;
        co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
        parked = nullptr;
      }
      ran.push_back(o.item);
      if (behaviour) behaviour(o, ctx);
    }));
  }
  ~fixture() {
    hold = false;
    if (parked) parked->cancel();
    stop_engine(eng, ioc);
  }
  boost::system::result<sluice::message_id> put(const std::string& item, sluice::dedup_mode mode) {
    sluice::enqueue_options o;
    o.dedup_key = "order-1";
    o.dedup = mode;
    return eng.try_enqueue("orders", order{1, item}, o);
  }
  void release() {
    hold = false;
    if (parked) parked->cancel();
    drain(ioc);
  }
  std::optional<sluice::dedup_key_state> key() { return eng.inspect_dedup_key("orders", "order-1"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_dedup_suite, fixture)

BOOST_AUTO_TEST_CASE(reject_mode_refuses_a_live_key) {
  BOOST_REQUIRE(put("a", sluice::dedup_mode::reject).has_value());
  BOOST_TEST(put("b", sluice::dedup_mode::reject).error() == sluice::errc::duplicate_rejected);
  BOOST_TEST(queue(eng.stats(), "orders").dedup_rejected == 1U);
}

BOOST_AUTO_TEST_CASE(replace_pending_delivers_once_with_the_newest_payload_in_the_first_place) {
  BOOST_REQUIRE(eng.try_enqueue("orders", order{0, "before"}).has_value());
  const auto first = put("v1", sluice::dedup_mode::replace_pending);
  BOOST_REQUIRE(eng.try_enqueue("orders", order{2, "after"}).has_value());
  const auto second = put("v2", sluice::dedup_mode::replace_pending);
  const auto third = put("v3", sluice::dedup_mode::replace_pending);
  BOOST_REQUIRE(first && second && third);
  BOOST_TEST((*second == *first));  // one message: its id and place are kept
  BOOST_TEST((*third == *first));
  BOOST_TEST((key()->what == phase::pending));
  BOOST_REQUIRE(!eng.start());
  drain(ioc);
  BOOST_TEST(ran == (std::vector<std::string>{"before", "v3", "after"}), boost::test_tools::per_element());
  BOOST_TEST(queue(eng.stats(), "orders").dedup_replaced == 2U);
}

BOOST_AUTO_TEST_CASE(replace_pending_while_in_flight_queues_one_successor) {
  hold = true;
  BOOST_REQUIRE(!eng.start());
  const auto first = put("v1", sluice::dedup_mode::replace_pending);
  drain(ioc);
  BOOST_REQUIRE(parked != nullptr);
  BOOST_TEST((key()->what == phase::in_flight));
  const auto second = put("v2", sluice::dedup_mode::replace_pending);
  const auto third = put("v3", sluice::dedup_mode::replace_pending);
  BOOST_TEST((*second != *first));  // a new message: the first one is already running
  BOOST_TEST((*third == *second));  // which the next replace updates
  BOOST_TEST(key()->successor_pending);
  release();
  BOOST_TEST(ran == (std::vector<std::string>{"v1", "v3"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(coalesce_keeps_exactly_one_follow_up_with_the_latest_payload) {
  hold = true;
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(put("v1", sluice::dedup_mode::coalesce_after_inflight).has_value());
  drain(ioc);
  BOOST_REQUIRE(parked != nullptr);
  const auto a = put("v2", sluice::dedup_mode::coalesce_after_inflight);
  const auto b = put("v3", sluice::dedup_mode::coalesce_after_inflight);
  const auto c = put("v4", sluice::dedup_mode::coalesce_after_inflight);
  BOOST_TEST((*a == *b && *b == *c));
  BOOST_TEST(key()->follow_up_held);
  drain(ioc);
  BOOST_TEST(ran.empty());  // the follow-up waits: never alongside the in-flight one
  hold = false;
  release();
  BOOST_TEST(ran == (std::vector<std::string>{"v1", "v4"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_key_is_kept_for_the_window_after_its_message_is_acknowledged) {
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(put("v1", sluice::dedup_mode::replace_pending).has_value());
  drain(ioc);
  BOOST_TEST(ran.size() == 1U);
  BOOST_TEST((key()->what == phase::retained));
  BOOST_TEST(put("v2", sluice::dedup_mode::replace_pending).error() == sluice::errc::duplicate_rejected);
  clock.advance(10s);
  BOOST_TEST(!key().has_value());
  BOOST_REQUIRE(put("v3", sluice::dedup_mode::replace_pending).has_value());
  drain(ioc);
  BOOST_TEST(ran == (std::vector<std::string>{"v1", "v3"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_dead_lettered_message_releases_its_key) {
  behaviour = [](const order&, sluice::context&) { throw sluice::permanent_error("no"); };
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(put("v1", sluice::dedup_mode::reject).has_value());
  drain(ioc);
  BOOST_TEST(eng.dead_letters().size() == 1U);
  BOOST_TEST((key()->what == phase::retained));  // released into its window
  clock.advance(10s);
  behaviour = nullptr;
  BOOST_REQUIRE(put("v2", sluice::dedup_mode::reject).has_value());
}

BOOST_AUTO_TEST_CASE(a_newer_message_supersedes_the_retry_of_a_failed_one) {
  hold = true;
  behaviour = [](const order& o, sluice::context&) {
    if (o.item == "v1") throw std::runtime_error("transient");
  };
  BOOST_REQUIRE(!eng.start());
  BOOST_REQUIRE(put("v1", sluice::dedup_mode::replace_pending).has_value());
  drain(ioc);
  BOOST_REQUIRE(put("v2", sluice::dedup_mode::replace_pending).has_value());  // queued behind v1
  hold = false;
  release();  // v1 fails; its retry is superseded by v2, which runs instead
  clock.advance(5s);
  drain(ioc);
  BOOST_TEST(ran == (std::vector<std::string>{"v1", "v2"}), boost::test_tools::per_element());
  const auto s = queue(eng.stats(), "orders");
  BOOST_TEST(s.scheduled == 0U);
  BOOST_TEST(s.dead_letters == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
