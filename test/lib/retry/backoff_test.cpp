// Retry backoff: each strategy's base delays, the cap, each jitter mode's bounds, and that a
// seed replays the same delays.
#include "sluice/retry/backoff.hpp"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

using namespace std::chrono_literals;
using sluice::backoff_policy;
using sluice::backoff_strategy;
using sluice::jitter_mode;
using ms = std::chrono::milliseconds;

namespace {

backoff_policy policy(backoff_strategy s, jitter_mode j = jitter_mode::none) {
  backoff_policy p;
  p.strategy = s;
  p.initial = 100ms;
  p.max = 1000ms;
  p.jitter = j;
  return p;
}

std::vector<std::int64_t> base_delays(const backoff_policy& p, int n) {
  std::vector<std::int64_t> out;
  for (int i = 1; i <= n; ++i) out.push_back(sluice::backoff_base_delay(p, static_cast<std::uint32_t>(i)).count());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(backoff_suite)

BOOST_AUTO_TEST_CASE(fixed_linear_and_exponential_grow_as_named_and_stop_at_the_cap) {
  BOOST_TEST(base_delays(policy(backoff_strategy::fixed), 4) == (std::vector<std::int64_t>{100, 100, 100, 100}),
             boost::test_tools::per_element());
  BOOST_TEST(base_delays(policy(backoff_strategy::linear), 12) ==
                 (std::vector<std::int64_t>{100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000, 1000}),
             boost::test_tools::per_element());
  BOOST_TEST(base_delays(policy(backoff_strategy::exponential), 6) ==
                 (std::vector<std::int64_t>{100, 200, 400, 800, 1000, 1000}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(explicit_intervals_repeat_the_last_one) {
  auto p = policy(backoff_strategy::intervals);
  p.intervals = {10ms, 50ms, 500ms};
  p.max = 10'000ms;
  BOOST_TEST(base_delays(p, 5) == (std::vector<std::int64_t>{10, 50, 500, 500, 500}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(huge_attempt_numbers_do_not_overflow) {
  auto p = policy(backoff_strategy::exponential);
  p.max = std::chrono::hours(1);
  BOOST_TEST(sluice::backoff_base_delay(p, 10'000).count() == std::chrono::milliseconds(std::chrono::hours(1)).count());
  BOOST_TEST(sluice::backoff_base_delay(p, 0).count() == 100);  // 0 is treated as the first retry
}

BOOST_AUTO_TEST_CASE(each_jitter_mode_stays_within_its_bounds) {
  sluice::random_source rng(42);
  for (int retry = 1; retry <= 6; ++retry) {
    const auto r = static_cast<std::uint32_t>(retry);
    const auto base = sluice::backoff_base_delay(policy(backoff_strategy::exponential), r).count();
    for (int i = 0; i < 1000; ++i) {
      const auto full = sluice::backoff_delay(policy(backoff_strategy::exponential, jitter_mode::full), r, rng).count();
      BOOST_TEST_REQUIRE((full >= 0 && full <= base));
      const auto equal =
          sluice::backoff_delay(policy(backoff_strategy::exponential, jitter_mode::equal), r, rng).count();
      BOOST_TEST_REQUIRE((equal >= base / 2 && equal <= base));
      auto pp = policy(backoff_strategy::exponential, jitter_mode::percentage);
      pp.jitter_percent = 10;
      const auto pct = sluice::backoff_delay(pp, r, rng).count();
      BOOST_TEST_REQUIRE((pct >= base * 9 / 10 - 1 && pct <= base * 11 / 10 + 1));
    }
  }
}

BOOST_AUTO_TEST_CASE(full_jitter_spreads_retries_across_the_window) {
  // The point of jitter: a herd failing together does not retry together.
  sluice::random_source rng(7);
  const auto p = policy(backoff_strategy::fixed, jitter_mode::full);
  int buckets[10] = {};
  for (int i = 0; i < 10'000; ++i) ++buckets[std::min<std::int64_t>(9, sluice::backoff_delay(p, 1, rng).count() / 10)];
  for (int b : buckets) BOOST_TEST((b > 800 && b < 1200));
}

BOOST_AUTO_TEST_CASE(a_seed_replays_the_same_delays) {
  const auto p = policy(backoff_strategy::exponential, jitter_mode::full);
  sluice::random_source a(2024);
  sluice::random_source b(2024);
  for (std::uint32_t r = 1; r < 50; ++r)
    BOOST_TEST(sluice::backoff_delay(p, r, a).count() == sluice::backoff_delay(p, r, b).count());
}

BOOST_AUTO_TEST_CASE(invalid_policies_are_named) {
  auto p = policy(backoff_strategy::exponential);
  BOOST_TEST(sluice::validate(p).empty());
  p.max = 10ms;
  BOOST_TEST(sluice::validate(p) == "max backoff is below the initial backoff");
  p = policy(backoff_strategy::intervals);
  BOOST_TEST(sluice::validate(p) == "intervals strategy needs intervals");
  p = policy(backoff_strategy::exponential);
  p.multiplier = 0.5;
  BOOST_TEST(sluice::validate(p) == "multiplier must be >= 1");
  p = policy(backoff_strategy::fixed, jitter_mode::percentage);
  p.jitter_percent = 150;
  BOOST_TEST(sluice::validate(p) == "jitter percent must be within [0, 100]");
}

BOOST_AUTO_TEST_SUITE_END()
