// mpmc_ring: FIFO order, capacity, element lifetimes, batches, and a conserved-sum stress test
// with several producers and consumers (run under ThreadSanitizer in CI).
#include "sluice/ring/mpmc_ring.hpp"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

namespace {

struct counted {
  static inline std::atomic<int> alive{0};
  static inline std::atomic<int> constructed{0};
  int value = 0;
  counted() noexcept : counted(0) {}
  explicit counted(int v) noexcept : value(v) { ++alive, ++constructed; }
  counted(const counted& o) noexcept : value(o.value) { ++alive, ++constructed; }
  counted(counted&& o) noexcept : value(o.value) { ++alive, ++constructed; }
  counted& operator=(const counted&) noexcept = default;
  counted& operator=(counted&&) noexcept = default;
  ~counted() { --alive; }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(mpmc_ring_suite)

BOOST_AUTO_TEST_CASE(capacity_must_be_a_power_of_two) {
  BOOST_CHECK_THROW(sluice::mpmc_ring<int>(3), std::invalid_argument);
  BOOST_CHECK_THROW(sluice::mpmc_ring<int>(1), std::invalid_argument);
  BOOST_CHECK_EQUAL(sluice::mpmc_ring<int>(8).capacity(), 8U);
}

BOOST_AUTO_TEST_CASE(pops_in_push_order_and_reports_full_and_empty) {
  sluice::mpmc_ring<int> ring(4);
  for (int i = 0; i < 4; ++i) BOOST_TEST(ring.try_push(int{i}));
  BOOST_TEST(!ring.try_push(99));
  BOOST_TEST(ring.size_approx() == 4U);
  for (int lap = 0; lap < 3; ++lap) {  // wrap around several times
    int out = -1;
    BOOST_TEST(ring.try_pop(out));
    BOOST_TEST(out == lap);
    BOOST_TEST(ring.try_push(lap + 4));
  }
  std::vector<int> rest;
  int out = 0;
  while (ring.try_pop(out)) rest.push_back(out);
  BOOST_TEST(rest == (std::vector<int>{3, 4, 5, 6}), boost::test_tools::per_element());
  BOOST_TEST(!ring.try_pop(out));
}

BOOST_AUTO_TEST_CASE(elements_are_destroyed_exactly_once) {
  counted::alive = 0;
  {
    sluice::mpmc_ring<counted> ring(8);
    for (int i = 0; i < 6; ++i) BOOST_TEST(ring.try_emplace(i));
    counted out;
    BOOST_TEST(ring.try_pop(out));
    BOOST_TEST(out.value == 0);
    BOOST_TEST(counted::alive == 6);  // 5 in the ring + out
  }
  BOOST_TEST(counted::alive == 0);  // the destructor released what was left
}

BOOST_AUTO_TEST_CASE(move_only_payloads_pass_through) {
  sluice::mpmc_ring<std::unique_ptr<int>> ring(2);
  BOOST_TEST(ring.try_push(std::make_unique<int>(7)));
  std::unique_ptr<int> out;
  BOOST_TEST(ring.try_pop(out));
  BOOST_TEST(*out == 7);
  BOOST_TEST(ring.try_push(std::make_unique<int>(8)));  // left in the ring: freed by the destructor
}

BOOST_AUTO_TEST_CASE(batches_push_and_pop_a_prefix_when_space_is_short) {
  sluice::mpmc_ring<std::unique_ptr<int>> ring(4);
  std::vector<std::unique_ptr<int>> in;
  for (int i = 0; i < 6; ++i) in.push_back(std::make_unique<int>(i));
  BOOST_TEST(ring.try_push_batch(in.data(), in.size()) == 4U);
  BOOST_TEST(!in[0]);
  BOOST_TEST(in[4] != nullptr);  // not pushed: untouched
  std::vector<std::unique_ptr<int>> out(3);
  BOOST_TEST(ring.try_pop_batch(out.data(), out.size()) == 3U);
  BOOST_TEST(*out[0] == 0);
  BOOST_TEST(*out[2] == 2);
  BOOST_TEST(ring.try_push_batch(in.data() + 4, 2) == 2U);
  std::vector<std::unique_ptr<int>> rest(8);
  BOOST_TEST(ring.try_pop_batch(rest.data(), rest.size()) == 3U);
  BOOST_TEST(*rest[0] == 3);
  BOOST_TEST(*rest[2] == 5);
  BOOST_TEST(ring.try_pop_batch(rest.data(), rest.size()) == 0U);
}

// A consumer that has claimed a slot keeps it until its pop completes, even after later pops
// finished: the ring then reports "full" at that position while fewer elements are live. The
// engine sizes its rings as capacity + workers because of this (see queue_runtime.cpp).
// The element's move constructor blocks, pausing the consumer exactly between claim and release.
BOOST_AUTO_TEST_CASE(a_consumer_paused_mid_pop_keeps_its_slot) {
  struct gated {
    int value = 0;
    std::binary_semaphore* entered = nullptr;  // set on the element to pause on
    std::binary_semaphore* release = nullptr;
    gated() = default;
    gated(int v, std::binary_semaphore* e, std::binary_semaphore* r) noexcept : value(v), entered(e), release(r) {}
    gated(gated&& o) noexcept : value(o.value), entered(o.entered), release(o.release) {
      if (entered) {
        o.entered = nullptr;
        entered->release();
        release->acquire();
      }
    }
    gated& operator=(gated&& o) noexcept {
      value = o.value;
      entered = release = nullptr;
      return *this;
    }
  };
  std::binary_semaphore entered(0);
  std::binary_semaphore release(0);
  sluice::mpmc_ring<gated> ring(4);
  BOOST_TEST(ring.try_emplace(0, &entered, &release));  // position 0 pauses its consumer
  for (int i = 1; i < 4; ++i) BOOST_TEST(ring.try_emplace(i, nullptr, nullptr));

  std::thread slow([&] {
    gated out;
    BOOST_TEST(ring.try_pop(out));
    BOOST_TEST(out.value == 0);
  });
  entered.acquire();  // the slow consumer holds position 0's slot
  gated out;
  BOOST_TEST(ring.try_pop(out));
  BOOST_TEST(out.value == 1);  // a later pop completes first
  // Two elements live plus one pop in progress: three of four slots, yet position 4 maps to the
  // held slot, so the push fails. Room must account for pops in progress.
  BOOST_TEST(!ring.try_emplace(4, nullptr, nullptr));
  release.release();
  slow.join();
  BOOST_TEST(ring.try_emplace(4, nullptr, nullptr));
}

// Every value pushed is popped exactly once: the sums and the per-value counts match.
BOOST_AUTO_TEST_CASE(concurrent_producers_and_consumers_conserve_every_element) {
  constexpr int producers = 4;
  constexpr int consumers = 4;
  constexpr std::uint64_t per_producer = 100'000;
  sluice::mpmc_ring<std::uint64_t> ring(64);
  std::atomic<std::uint64_t> popped_sum{0};
  std::atomic<std::uint64_t> popped_count{0};
  std::vector<std::atomic<std::uint8_t>> seen(producers * per_producer);
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (std::uint64_t i = 0; i < per_producer;) {
        // Alternate single and batch pushes to exercise both claim paths.
        if (i % 3 == 0 && i + 4 <= per_producer) {
          std::uint64_t batch[4];
          for (std::uint64_t k = 0; k < 4; ++k) batch[k] = p * per_producer + i + k;
          std::size_t done = 0;
          while (done < 4) done += ring.try_push_batch(batch + done, 4 - done);
          i += 4;
        } else if (ring.try_push(p * per_producer + i)) {
          ++i;
        }
      }
    });
  }
  for (int c = 0; c < consumers; ++c) {
    threads.emplace_back([&, c] {
      std::uint64_t local_sum = 0;
      std::uint64_t local_count = 0;
      while (popped_count.load(std::memory_order_relaxed) < producers * per_producer) {
        std::uint64_t batch[8];
        std::size_t n = 0;
        if (c % 2 == 0) {
          n = ring.try_pop_batch(batch, 8);
        } else {
          n = ring.try_pop(batch[0]) ? 1 : 0;
        }
        for (std::size_t k = 0; k < n; ++k) {
          local_sum += batch[k];
          seen[batch[k]].fetch_add(1, std::memory_order_relaxed);
        }
        local_count += n;
        popped_count.fetch_add(n, std::memory_order_relaxed);
      }
      popped_sum.fetch_add(local_sum);
      (void)local_count;
    });
  }
  for (auto& t : threads) t.join();
  const std::uint64_t n = producers * per_producer;
  BOOST_TEST(popped_count.load() == n);
  BOOST_TEST(popped_sum.load() == n * (n - 1) / 2);
  std::size_t wrong = 0;
  for (auto& s : seen) wrong += s.load() != 1;
  BOOST_TEST(wrong == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
