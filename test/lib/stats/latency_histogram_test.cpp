// latency_histogram: bucket geometry, quantiles within the stated precision, reset.
#include "sluice/stats/latency_histogram.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <random>
#include <vector>

using sluice::latency_histogram;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(latency_histogram_suite)

BOOST_AUTO_TEST_CASE(buckets_tile_the_value_range_without_gaps) {
  for (std::size_t i = 0; i + 1 < latency_histogram::bucket_count; ++i) {
    BOOST_TEST_REQUIRE(latency_histogram::upper_bound_of(i) + 1 == latency_histogram::lower_bound_of(i + 1));
    BOOST_TEST_REQUIRE(latency_histogram::index_of(latency_histogram::lower_bound_of(i)) == i);
    BOOST_TEST_REQUIRE(latency_histogram::index_of(latency_histogram::upper_bound_of(i)) == i);
  }
}

BOOST_AUTO_TEST_CASE(quantiles_are_within_three_percent) {
  latency_histogram h;
  std::mt19937_64 rng(12345);
  std::vector<std::int64_t> values;
  std::lognormal_distribution<double> dist(10.0, 1.5);  // ~22 us median, long tail
  for (int i = 0; i < 100'000; ++i) {
    const auto v = static_cast<std::int64_t>(dist(rng));
    values.push_back(v);
    h.record(std::chrono::nanoseconds(v));
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.95, 0.99}) {
    const auto exact = static_cast<double>(values[static_cast<std::size_t>(q * values.size()) - 1]);
    const auto approx = static_cast<double>(h.quantile(q).count());
    BOOST_TEST(approx >= exact);
    BOOST_TEST(approx <= exact * 1.0313 + 1);
  }
  const auto s = h.summarize();
  BOOST_TEST(s.count == 100'000U);
  BOOST_TEST(s.p50 <= s.p95);
  BOOST_TEST(s.p95 <= s.p99);
  BOOST_TEST(s.p99 <= s.max);
}

BOOST_AUTO_TEST_CASE(small_values_are_exact_and_negative_values_count_as_zero) {
  latency_histogram h;
  h.record(17ns);
  h.record(-5ns);
  BOOST_TEST(h.count() == 2U);
  BOOST_TEST(h.quantile(1.0).count() == 17);
  BOOST_TEST(h.quantile(0.5).count() == 0);
}

BOOST_AUTO_TEST_CASE(reset_forgets_everything) {
  latency_histogram h;
  h.record(1ms);
  h.reset();
  BOOST_TEST(h.count() == 0U);
  BOOST_TEST(h.summarize().p99.count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
