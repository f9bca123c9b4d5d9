// Dead letters: list with filters and paging, get, replay one or a filtered set (keeping or
// resetting attempts), quarantine after max_replays unless forced, purge, error-type statistics,
// and eviction of the oldest letter when the queue's dead-letter capacity is reached.
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
  sluice::engine eng{ioc.get_executor(), options()};
  bool healthy = false;  // once true, handlers succeed
  int handled = 0;

  static sluice::engine_options options_for(sluice::manual_clock& c) {
    auto o = manual_options(c);
    o.random_seed = 7;
    o.max_replays = 2;
    o.default_handler.max_retries = 0;  // first failure dead-letters
    return o;
  }
  sluice::engine_options options() { return options_for(clock); }

  fixture() {
    sluice::queue_options q;
    q.dead_letter_capacity = 3;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context&) -> asio::awaitable<void> {
      if (!healthy) {
        if (o.item == "timeout") throw std::runtime_error("connection timeout to payments");
        throw std::invalid_argument("bad sku " + o.item);
      }
      ++handled;
      co_return;
    }));
    BOOST_REQUIRE(!eng.handle<payment>("payments", [this](payment, sluice::context&) -> asio::awaitable<void> {
      if (!healthy) throw std::runtime_error("connection timeout to bank");
      ++handled;
      co_return;
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() { stop_engine(eng, ioc); }
  sluice::message_id fail_order(int id, const std::string& item) {
    auto r = eng.try_enqueue("orders", order{id, item});
    BOOST_REQUIRE(r.has_value());
    drain(ioc);
    clock.advance(1s);  // distinct dead-letter times
    return *r;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_dead_letter_suite, fixture)

BOOST_AUTO_TEST_CASE(list_filters_by_queue_error_and_time_and_pages) {
  const auto t0 = clock.now();
  fail_order(1, "timeout");
  fail_order(2, "x");
  BOOST_REQUIRE(eng.try_enqueue("payments", payment{3}).has_value());
  drain(ioc);
  BOOST_TEST(eng.dead_letters().size() == 3U);
  sluice::dead_letter_filter by_queue;
  by_queue.queue = "payments";
  BOOST_TEST(eng.dead_letters(by_queue).size() == 1U);
  sluice::dead_letter_filter by_error;
  by_error.error_contains = "timeout";
  BOOST_TEST(eng.dead_letters(by_error).size() == 2U);
  by_error.error_contains = "invalid_argument";  // matches the type too
  BOOST_TEST(eng.dead_letters(by_error).size() == 1U);
  sluice::dead_letter_filter by_time;
  by_time.from = t0 + 1s;
  by_time.to = t0 + 2s;
  const auto window = eng.dead_letters(by_time);
  BOOST_REQUIRE(window.size() == 1U);
  BOOST_TEST(window[0].cause.what == "bad sku x");
  const auto page = eng.dead_letters({}, 1, 1);  // second letter of the orders queue
  BOOST_REQUIRE(page.size() == 1U);
  BOOST_TEST(page[0].cause.what == "bad sku x");
  const auto types = eng.dead_letter_error_types();
  BOOST_TEST(types.at("std::runtime_error") == 2U);
  BOOST_TEST(types.at("std::invalid_argument") == 1U);
}

BOOST_AUTO_TEST_CASE(replaying_one_letter_runs_its_message_again) {
  const auto id = fail_order(1, "x");
  BOOST_REQUIRE(eng.find_dead_letter(id).has_value());
  healthy = true;
  BOOST_TEST(!eng.replay_dead_letter(id));
  BOOST_TEST(run_until(ioc, [&] { return handled == 1; }));
  BOOST_TEST(!eng.find_dead_letter(id).has_value());
  BOOST_TEST(eng.replay_dead_letter(id) == sluice::errc::not_found);
  BOOST_TEST(queue(eng.stats(), "orders").dead_letters == 0U);
}

BOOST_AUTO_TEST_CASE(replays_are_counted_and_quarantine_after_max_replays_unless_forced) {
  const auto id = fail_order(1, "x");
  for (std::uint32_t i = 1; i <= 2; ++i) {  // replayed and failing again, twice
    BOOST_TEST(!eng.replay_dead_letter(id));
    drain(ioc);
    const auto letter = eng.find_dead_letter(id);
    BOOST_REQUIRE(letter.has_value());
    BOOST_TEST(letter->envelope.replays == i);
  }
  BOOST_TEST(eng.replay_dead_letter(id) == sluice::errc::quarantined);
  BOOST_TEST(eng.find_dead_letter(id).has_value());  // still there
  healthy = true;
  sluice::replay_options force;
  force.quarantined = sluice::replay_quarantined::force;
  BOOST_TEST(!eng.replay_dead_letter(id, force));
  BOOST_TEST(run_until(ioc, [&] { return handled == 1; }));
}

BOOST_AUTO_TEST_CASE(replay_keeps_or_resets_the_attempt_count) {
  const auto id = fail_order(1, "x");  // attempt 1 failed, max_retries 0
  BOOST_TEST(!eng.replay_dead_letter(id));
  drain(ioc);
  auto letter = eng.find_dead_letter(id);
  BOOST_REQUIRE(letter.has_value());
  BOOST_TEST(letter->envelope.attempt == 2U);  // kept: attempts only grow
  sluice::replay_options reset;
  reset.attempts = sluice::replay_attempts::reset;
  BOOST_TEST(!eng.replay_dead_letter(id, reset));
  drain(ioc);
  letter = eng.find_dead_letter(id);
  BOOST_REQUIRE(letter.has_value());
  BOOST_TEST(letter->envelope.attempt == 1U);  // a fresh budget
}

BOOST_AUTO_TEST_CASE(replaying_a_filtered_set_reports_what_it_did) {
  fail_order(1, "timeout");
  fail_order(2, "timeout");
  fail_order(3, "x");
  healthy = true;
  sluice::dead_letter_filter f;
  f.error_contains = "timeout";
  const auto report = eng.replay_dead_letters(f);
  BOOST_TEST(report.replayed == 2U);
  BOOST_TEST(report.quarantined == 0U);
  BOOST_TEST(run_until(ioc, [&] { return handled == 2; }));
  BOOST_TEST(eng.dead_letters().size() == 1U);
}

BOOST_AUTO_TEST_CASE(purge_removes_matching_or_all_letters) {
  fail_order(1, "timeout");
  fail_order(2, "x");
  sluice::dead_letter_filter f;
  f.error_contains = "bad sku";
  BOOST_TEST(eng.purge_dead_letters(f) == 1U);
  BOOST_TEST(eng.dead_letters().size() == 1U);
  BOOST_TEST(eng.purge_dead_letters() == 1U);
  BOOST_TEST(eng.dead_letters().empty());
}

BOOST_AUTO_TEST_CASE(a_full_dead_letter_queue_evicts_its_oldest_letter) {
  const auto first = fail_order(1, "x");
  fail_order(2, "x");
  fail_order(3, "x");
  fail_order(4, "x");  // capacity 3
  BOOST_TEST(!eng.find_dead_letter(first).has_value());
  const auto s = queue(eng.stats(), "orders");
  BOOST_TEST(s.dead_letters == 3U);
  BOOST_TEST(s.dead_lettered == 4U);
  BOOST_TEST(s.dead_letters_evicted == 1U);
}

BOOST_AUTO_TEST_SUITE_END()
