// Batched dead-letter replay: batches with a pause on the engine clock and progress after each,
// dry runs that change nothing, quarantine, a scope fixed at the start (a replayed message that
// fails again is not taken twice by one run), and a stop that cuts the pause short.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <vector>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), options()};
  bool healthy = false;
  int handled = 0;
  std::optional<std::pair<error_code, sluice::replay_report>> done;
  std::vector<std::size_t> progress;

  sluice::engine_options options() {
    auto o = manual_options(clock);
    o.max_replays = 2;
    o.default_handler.max_retries = 0;
    return o;
  }
  fixture() {
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context&) -> asio::awaitable<void> {
      if (!healthy) throw std::runtime_error("down " + std::to_string(o.id));
      ++handled;
      co_return;
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() { stop_engine(eng, ioc); }
  void dead_letter(int n) {
    for (int i = 0; i < n; ++i) BOOST_REQUIRE(eng.try_enqueue("orders", order{i, "x"}).has_value());
    drain(ioc);
    BOOST_REQUIRE(queue(eng.stats(), "orders").dead_letters == static_cast<std::uint64_t>(n));
  }
  void replay(sluice::replay_batch_options o, sluice::dead_letter_filter f = {}) {
    o.progress = [this](const sluice::replay_report& r) { progress.push_back(r.replayed); };
    eng.async_replay_dead_letters(std::move(f), std::move(o),
                                  [this](error_code ec, sluice::replay_report r) { done.emplace(ec, r); });
    drain(ioc);
  }
  void advance(std::chrono::milliseconds d) { sluice_test::advance(clock, ioc, d); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_replay_suite, fixture)

BOOST_AUTO_TEST_CASE(batches_pause_between_them_on_the_engine_clock) {
  dead_letter(250);
  healthy = true;
  sluice::replay_batch_options o;
  o.batch_size = 100;
  o.delay_between_batches = 1s;
  replay(o);
  BOOST_TEST(handled == 100);  // the first batch at once
  BOOST_TEST(!done.has_value());
  advance(999ms);
  BOOST_TEST(handled == 100);
  advance(1ms);
  BOOST_TEST(handled == 200);
  advance(1s);
  BOOST_TEST(handled == 250);
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(!done->first);
  BOOST_TEST(done->second.replayed == 250U);
  BOOST_TEST(done->second.batches == 3U);
  BOOST_TEST(progress == (std::vector<std::size_t>{100, 200, 250}), boost::test_tools::per_element());
  BOOST_TEST(queue(eng.stats(), "orders").dead_letters == 0U);
}

BOOST_AUTO_TEST_CASE(a_dry_run_counts_and_changes_nothing) {
  dead_letter(5);
  // Two letters reach the quarantine (max_replays = 2): replay them twice, failing each time.
  const auto letters = eng.dead_letters({}, 2);
  for (int round = 0; round < 2; ++round) {
    for (const auto& l : letters) BOOST_REQUIRE(!eng.replay_dead_letter(l.envelope.id));
    drain(ioc);
  }
  sluice::replay_batch_options o;
  o.replay.dry_run = true;
  replay(o);
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(done->second.dry_run);
  BOOST_TEST(done->second.replayed == 3U);
  BOOST_TEST(done->second.quarantined == 2U);
  BOOST_TEST(queue(eng.stats(), "orders").dead_letters == 5U);

  sluice::replay_options sync;
  sync.dry_run = true;
  const auto r = eng.replay_dead_letters({}, sync);
  BOOST_TEST(r.replayed == 3U);
  BOOST_TEST(r.quarantined == 2U);
  BOOST_TEST(queue(eng.stats(), "orders").dead_letters == 5U);
  BOOST_TEST(handled == 0);
}

BOOST_AUTO_TEST_CASE(quarantined_letters_stay_and_are_reported_once) {
  dead_letter(3);
  const auto first = eng.dead_letters({}, 1).front().envelope.id;
  for (int round = 0; round < 2; ++round) {
    BOOST_REQUIRE(!eng.replay_dead_letter(first));
    drain(ioc);
  }
  healthy = true;
  sluice::replay_batch_options o;
  o.batch_size = 1;
  replay(o);
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(done->second.replayed == 2U);
  BOOST_TEST(done->second.quarantined == 1U);
  BOOST_TEST(handled == 2);
  BOOST_TEST(queue(eng.stats(), "orders").dead_letters == 1U);
}

BOOST_AUTO_TEST_CASE(a_replayed_message_failing_again_is_not_taken_twice_by_one_run) {
  dead_letter(10);
  sluice::replay_batch_options o;
  o.batch_size = 5;
  o.delay_between_batches = 1s;
  replay(o);  // the first five run and fail again: dead-lettered after the run started
  BOOST_TEST(queue(eng.stats(), "orders").dead_letters == 10U);
  advance(1s);
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(done->second.replayed == 10U);
  for (const auto& l : eng.dead_letters({}, 100)) BOOST_TEST(l.envelope.replays == 1U);
}

BOOST_AUTO_TEST_CASE(the_filter_and_limit_select_letters) {
  dead_letter(10);
  healthy = true;
  sluice::replay_batch_options o;
  o.limit = 4;
  o.batch_size = 3;
  sluice::dead_letter_filter f;
  f.error_contains = "down";
  replay(o, f);
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(done->second.replayed == 4U);
  BOOST_TEST(done->second.batches == 2U);
  BOOST_TEST(handled == 4);
  f.error_contains = "no such error";
  done.reset();
  replay(o, f);
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(done->second.replayed == 0U);
}

BOOST_AUTO_TEST_CASE(stop_cuts_the_pause_short_and_reports_what_was_replayed) {
  dead_letter(30);
  healthy = true;
  sluice::replay_batch_options o;
  o.batch_size = 10;
  o.delay_between_batches = std::chrono::hours(1);
  replay(o);
  BOOST_TEST(handled == 10);
  bool stopped = false;
  eng.async_stop(1s, [&](error_code) { stopped = true; });
  BOOST_TEST(run_until(ioc, [&] { return stopped; }));
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(done->first == sluice::errc::shutting_down);
  BOOST_TEST(done->second.replayed == 10U);
  // A replay requested after the stop is refused at once.
  done.reset();
  replay(o);
  BOOST_REQUIRE(done.has_value());
  BOOST_TEST(done->first == sluice::errc::shutting_down);
}

BOOST_AUTO_TEST_SUITE_END()
