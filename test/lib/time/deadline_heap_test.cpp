// deadline_heap: earliest first, ties in insertion order, erase_if keeps the heap valid, and a
// randomized comparison against a sorted reference (seed printed, replayable).
#include "sluice/time/deadline_heap.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

using heap = sluice::deadline_heap<std::int64_t, int>;

BOOST_AUTO_TEST_SUITE(deadline_heap_suite)

BOOST_AUTO_TEST_CASE(pops_earliest_first_and_equal_deadlines_in_insertion_order) {
  heap h;
  h.push(30, 1);
  h.push(10, 2);
  h.push(20, 3);
  h.push(10, 4);
  h.push(10, 5);
  BOOST_TEST(h.earliest() == 10);
  std::vector<int> out;
  while (!h.empty()) out.push_back(h.pop());
  BOOST_TEST(out == (std::vector<int>{2, 4, 5, 3, 1}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(erase_if_removes_and_keeps_order) {
  heap h;
  for (int i = 0; i < 100; ++i) h.push((i * 37) % 100, i);
  BOOST_TEST(h.erase_if([](int v) { return v % 2 == 0; }) == 50U);
  std::int64_t last = -1;
  while (!h.empty()) {
    const auto d = h.earliest();
    BOOST_TEST_REQUIRE(d >= last);
    last = d;
    BOOST_TEST_REQUIRE(h.pop() % 2 == 1);
  }
}

BOOST_AUTO_TEST_CASE(matches_a_sorted_reference_under_random_operations) {
  const auto seed = std::random_device{}();
  BOOST_TEST_MESSAGE("deadline_heap seed " << seed);
  std::mt19937 rng(seed);
  heap h;
  std::vector<std::tuple<std::int64_t, std::uint64_t, int>> reference;  // deadline, order, value
  std::uint64_t order = 0;
  for (int step = 0; step < 20'000; ++step) {
    if (reference.empty() || rng() % 3 != 0) {
      const std::int64_t d = rng() % 1000;
      const int v = static_cast<int>(rng());
      h.push(d, v);
      reference.emplace_back(d, order++, v);
    } else {
      const auto it = std::min_element(reference.begin(), reference.end());
      BOOST_TEST_REQUIRE(h.earliest() == std::get<0>(*it), "seed " << seed);
      BOOST_TEST_REQUIRE(h.pop() == std::get<2>(*it), "seed " << seed);
      reference.erase(it);
    }
    BOOST_TEST_REQUIRE(h.size() == reference.size());
  }
}

BOOST_AUTO_TEST_SUITE_END()
