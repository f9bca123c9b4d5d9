// Retries: a failure waits its handler's backoff (on the manual clock) and runs again; spent
// retries or a permanent failure dead-letter the message with its reason, type, text, attempts
// and times; a snooze does not spend an attempt; retry filters (handler_options::retry_if) send
// the failures they refuse to the dead-letter queue at once.
#include "test_support.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>
#include <stdexcept>
#include <system_error>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

struct fixture {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), options()};
  std::map<int, std::vector<std::uint32_t>> attempts;  // order id -> attempts seen
  int fail_until = 0;                                  // fail attempts below this
  std::function<void(sluice::context&, const order&)> behaviour;

  sluice::engine_options options() {
    auto o = manual_options(clock);
    o.random_seed = 42;
    o.default_handler.max_retries = 2;
    o.default_handler.backoff.strategy = sluice::backoff_strategy::exponential;
    o.default_handler.backoff.initial = 100ms;
    o.default_handler.backoff.max = 1s;
    o.default_handler.backoff.jitter = sluice::jitter_mode::none;
    return o;
  }

  fixture() {
    BOOST_REQUIRE(!eng.handle<order>("orders", [this](order o, sluice::context& ctx) -> asio::awaitable<void> {
      attempts[o.id].push_back(ctx.attempt());
      if (behaviour) behaviour(ctx, o);
      if (static_cast<int>(ctx.attempt()) < fail_until) throw std::runtime_error("boom " + std::to_string(o.id));
      co_return;
    }));
    BOOST_REQUIRE(!eng.start());
  }
  ~fixture() { stop_engine(eng, ioc); }
  void advance(std::chrono::milliseconds d) { sluice_test::advance(clock, ioc, d); }
  sluice::queue_stats q() { return queue(eng.stats(), "orders"); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(engine_retry_suite, fixture)

BOOST_AUTO_TEST_CASE(a_failure_runs_again_after_each_backoff_then_succeeds) {
  fail_until = 3;  // attempts 1 and 2 fail
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  drain(ioc);
  BOOST_TEST(attempts[1].size() == 1U);
  BOOST_TEST(q().scheduled == 1U);
  advance(99ms);
  BOOST_TEST(attempts[1].size() == 1U);  // not before the backoff
  advance(1ms);
  BOOST_TEST(attempts[1].size() == 2U);  // 100 ms: first retry
  advance(199ms);
  BOOST_TEST(attempts[1].size() == 2U);
  advance(1ms);
  BOOST_TEST(attempts[1].size() == 3U);  // 200 ms later: exponential
  BOOST_TEST(attempts[1] == (std::vector<std::uint32_t>{1, 2, 3}), boost::test_tools::per_element());
  const auto s = q();
  BOOST_TEST(s.failed == 2U);
  BOOST_TEST(s.retried == 2U);
  BOOST_TEST(s.processed == 1U);
  BOOST_TEST(s.scheduled == 0U);
  BOOST_TEST(s.dead_letters == 0U);
}

BOOST_AUTO_TEST_CASE(spent_retries_dead_letter_with_reason_type_text_attempts_and_times) {
  fail_until = 100;
  const auto t0 = clock.now();
  const auto id = eng.try_enqueue("orders", order{2, "x"});
  BOOST_REQUIRE(id.has_value());
  drain(ioc);
  advance(100ms);
  advance(200ms);  // third and last attempt (max_retries = 2)
  advance(10s);    // nothing more happens
  BOOST_TEST(attempts[2].size() == 3U);
  const auto letter = eng.find_dead_letter(*id);
  BOOST_REQUIRE(letter.has_value());
  BOOST_TEST(letter->queue == "orders");
  BOOST_TEST((letter->reason == sluice::dead_letter_reason::retries_exhausted));
  BOOST_TEST(letter->cause.error_type == "std::runtime_error");
  BOOST_TEST(letter->cause.what == "boom 2");
  BOOST_TEST(letter->envelope.attempt == 3U);
  BOOST_TEST((letter->first_failure_at == t0));
  BOOST_TEST((letter->last_failure_at == t0 + 300ms));
  BOOST_TEST((letter->dead_lettered_at == t0 + 300ms));
  BOOST_TEST(letter->envelope.type == "test.order");
  BOOST_TEST(q().dead_lettered == 1U);
  BOOST_TEST(q().retried == 2U);
}

BOOST_AUTO_TEST_CASE(permanent_failures_skip_the_retries) {
  behaviour = [](sluice::context& ctx, const order& o) {
    if (o.id == 1) throw sluice::permanent_error("invalid address");
    if (o.id == 2) {
      ctx.mark_permanent_failure();
      throw std::invalid_argument("quantity is negative");
    }
  };
  BOOST_REQUIRE(eng.try_enqueue("orders", order{1, "x"}).has_value());
  BOOST_REQUIRE(eng.try_enqueue("orders", order{2, "x"}).has_value());
  BOOST_REQUIRE(eng.try_enqueue_raw("orders", "test.order", "not json").has_value());
  drain(ioc);
  advance(10s);
  const auto letters = eng.dead_letters();
  BOOST_REQUIRE(letters.size() == 3U);
  for (const auto& l : letters) {
    BOOST_TEST((l.reason == sluice::dead_letter_reason::permanent_failure));
    BOOST_TEST(l.envelope.attempt == 1U);
  }
  BOOST_TEST(letters[0].cause.error_type == "sluice::permanent_error");
  BOOST_TEST(letters[1].cause.error_type == "std::invalid_argument");
  BOOST_TEST(letters[2].cause.error_type == "sluice::decode_error");
  BOOST_TEST(q().retried == 0U);
}

BOOST_AUTO_TEST_CASE(a_snooze_runs_again_later_without_spending_an_attempt) {
  behaviour = [](sluice::context& ctx, const order&) {
    if (ctx.attempt() == 1) ctx.snooze(5s);
  };
  BOOST_REQUIRE(eng.try_enqueue("orders", order{3, "x"}).has_value());
  drain(ioc);
  BOOST_TEST(attempts[3].size() == 1U);
  BOOST_TEST(q().snoozed == 1U);
  BOOST_TEST(q().processed == 0U);
  advance(4999ms);
  BOOST_TEST(attempts[3].size() == 1U);
  advance(1ms);
  BOOST_TEST(attempts[3].size() == 2U);
  BOOST_TEST(q().processed == 1U);
}

BOOST_AUTO_TEST_CASE(snoozes_do_not_count_against_the_retry_budget) {
  // Two snoozes, then failures: still 1 + max_retries (3) failing attempts before the DLQ.
  behaviour = [](sluice::context& ctx, const order&) {
    if (ctx.attempt() > 2) throw std::runtime_error("later failure");
    ctx.snooze(1s);
  };
  const auto id = eng.try_enqueue("orders", order{4, "x"});
  BOOST_REQUIRE(id.has_value());
  drain(ioc);
  for (int i = 0; i < 10; ++i) advance(1s);
  BOOST_TEST(attempts[4].size() == 5U);
  const auto letter = eng.find_dead_letter(*id);
  BOOST_REQUIRE(letter.has_value());
  BOOST_TEST(letter->envelope.attempt == 5U);  // attempts never decrease
  BOOST_TEST(letter->envelope.snoozes == 2U);
  BOOST_TEST(q().snoozed == 2U);
  BOOST_TEST(q().failed == 3U);
}

BOOST_AUTO_TEST_SUITE_END()

namespace {

struct missing_stock : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct gateway_timeout : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An engine whose "orders" handler throws what `thrower` says for each order id, with `filter` as
// its retry_if; counts attempts per id.
struct filtered {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::engine eng{ioc.get_executor(), manual_options(clock)};
  std::map<int, int> attempts;
  explicit filtered(sluice::retry_filter filter, std::function<void(int id)> thrower) {
    sluice::handler_options h;
    h.max_retries = 3;
    h.backoff.initial = 10ms;
    h.backoff.jitter = sluice::jitter_mode::none;
    h.retry_if = std::move(filter);
    BOOST_REQUIRE(!eng.handle<order>(
        "orders",
        [this, thrower](order o, sluice::context&) -> asio::awaitable<void> {
          ++attempts[o.id];
          thrower(o.id);
          co_return;
        },
        h));
    BOOST_REQUIRE(!eng.start());
  }
  ~filtered() { stop_engine(eng, ioc); }
  void run(std::initializer_list<int> ids) {
    for (int id : ids) BOOST_REQUIRE(eng.try_enqueue("orders", order{id, "x"}).has_value());
    for (int i = 0; i < 20; ++i) sluice_test::advance(clock, ioc, 100ms);
  }
  [[nodiscard]] std::optional<sluice::dead_letter> letter_of(int id) const {
    for (auto& l : eng.dead_letters()) {
      if (l.envelope.payload.find("\"id\":" + std::to_string(id) + ",") != std::string::npos) return std::move(l);
    }
    return std::nullopt;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_retry_filter_suite)

BOOST_AUTO_TEST_CASE(retry_except_dead_letters_the_listed_types_at_once_and_retries_the_rest) {
  filtered f(sluice::retry_except<std::invalid_argument, missing_stock>(), [](int id) {
    if (id == 1) throw std::invalid_argument("quantity is negative");
    if (id == 2) throw missing_stock("sku 7 is gone");  // a listed type
    if (id == 3) throw std::runtime_error("database busy");
  });
  f.run({1, 2, 3});
  BOOST_TEST(f.attempts[1] == 1);
  BOOST_TEST(f.attempts[2] == 1);
  BOOST_TEST(f.attempts[3] == 4);  // the first attempt and max_retries = 3
  const auto one = f.letter_of(1);
  BOOST_REQUIRE(one.has_value());
  BOOST_TEST((one->reason == sluice::dead_letter_reason::permanent_failure));
  BOOST_TEST(one->cause.what == "quantity is negative");
  const auto three = f.letter_of(3);
  BOOST_REQUIRE(three.has_value());
  BOOST_TEST((three->reason == sluice::dead_letter_reason::retries_exhausted));
}

BOOST_AUTO_TEST_CASE(retry_only_retries_the_listed_types_and_their_derived_types) {
  filtered f(sluice::retry_only<gateway_timeout, std::system_error>(), [](int id) {
    if (id == 1) throw gateway_timeout("payment gateway did not answer");
    if (id == 2) throw std::system_error(std::make_error_code(std::errc::connection_refused));
    if (id == 3) throw std::logic_error("a bug");  // not listed: dead-lettered at once
  });
  f.run({1, 2, 3});
  BOOST_TEST(f.attempts[1] == 4);
  BOOST_TEST(f.attempts[2] == 4);
  BOOST_TEST(f.attempts[3] == 1);
  const auto three = f.letter_of(3);
  BOOST_REQUIRE(three.has_value());
  BOOST_TEST((three->reason == sluice::dead_letter_reason::permanent_failure));
}

BOOST_AUTO_TEST_CASE(a_predicate_decides_and_one_that_throws_retries) {
  int calls = 0;
  filtered f(
      [&calls](const std::exception& e) {
        ++calls;
        if (std::string(e.what()) == "filter breaks") throw std::runtime_error("the filter itself failed");
        return std::string(e.what()) != "give up";
      },
      [](int id) {
        if (id == 1) throw std::runtime_error("give up");
        if (id == 2) throw std::runtime_error("filter breaks");
      });
  f.run({1, 2});
  BOOST_TEST(f.attempts[1] == 1);
  BOOST_TEST(f.attempts[2] == 4);  // a throwing filter counts as "retry"
  BOOST_TEST(calls == 5);          // once per failure
  BOOST_TEST(f.eng.dead_letters().size() == 2U);
}

BOOST_AUTO_TEST_CASE(permanent_errors_stay_permanent_whatever_the_filter_says) {
  filtered f([](const std::exception&) { return true; },
             [](int) -> void { throw sluice::permanent_error("invalid address"); });
  f.run({1});
  BOOST_TEST(f.attempts[1] == 1);
}

BOOST_AUTO_TEST_SUITE_END()
