// queue_runtime: messages that cannot take a ring slot wait in an ordered overflow and are all
// delivered, in publish order; forced publishes exceed capacity, and producers wait meanwhile.
#include "sluice/detail/queue_runtime.hpp"
#include "../test_support.hpp"
#include "sluice/detail/engine_core.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

BOOST_AUTO_TEST_SUITE(queue_runtime_suite)

BOOST_AUTO_TEST_CASE(messages_beyond_the_ring_wait_in_order_and_all_run) {
  sluice::manual_clock clock;
  asio::io_context ioc;
  sluice::detail::engine_core core(ioc.get_executor(), manual_options(clock));
  sluice::queue_options q;
  q.capacity = 4;  // ring: bit_ceil(4 + 1 worker) = 8 slots
  q.min_workers = q.max_workers = 1;
  BOOST_REQUIRE(!core.declare_queue("q", q));
  std::vector<std::string> seen;
  BOOST_REQUIRE(!core.add_handler(
      "q", "t", sluice::detail::make_raw_handler([&](std::string_view p, sluice::context&) -> asio::awaitable<void> {
        seen.emplace_back(p);
        co_return;
      })));
  sluice::detail::queue_runtime* queue = nullptr;
  for (int i = 0; i < 20; ++i) {
    sluice::enqueue_options opts;
    auto made = core.make_message("q", "t", std::to_string(i), opts, nullptr, queue);
    BOOST_REQUIRE(made.has_value());
    queue->publish_forced(std::move(*made));
  }
  auto s = queue->stats();
  BOOST_TEST(s.pending == 20U);         // forced: beyond capacity
  BOOST_TEST(s.ring_overflows == 12U);  // 8 fitted the ring
  BOOST_TEST(s.enqueued == 20U);
  BOOST_TEST(!queue->try_admit());  // producers wait until depth < capacity

  BOOST_REQUIRE(!core.start());
  BOOST_TEST(run_until(ioc, [&] { return seen.size() == 20; }));
  for (int i = 0; i < 20; ++i) BOOST_TEST(seen[static_cast<std::size_t>(i)] == std::to_string(i));
  BOOST_TEST(queue->stats().pending == 0U);
  BOOST_TEST(queue->stats().enqueued == 20U);
  BOOST_TEST(queue->try_admit());

  bool stopped = false;
  core.stop(1s, [&](error_code) { stopped = true; });
  BOOST_TEST(run_until(ioc, [&] { return stopped; }));
}

BOOST_AUTO_TEST_SUITE_END()
