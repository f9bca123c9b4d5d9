// The engine on a multi-threaded io_context: coroutine producers, foreign threads using
// try_enqueue, and scaling while messages flow. Every message runs exactly once.
// Run under ThreadSanitizer in CI (label: concurrency).
#include "test_support.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace sluice_test;
using namespace std::chrono_literals;
using boost::system::error_code;

namespace {

constexpr int coroutine_producers = 4;
constexpr int thread_producers = 2;
constexpr int per_producer = 5'000;
constexpr int total = (coroutine_producers + thread_producers) * per_producer;

// Enqueues orders first .. first + count - 1, one at a time, counting failed enqueues.
asio::awaitable<void> produce(sluice::engine& eng, int first, int count, std::atomic<int>& failures) {
  for (int i = first; i < first + count; ++i) {
    const order o{i, "t"};
    auto [ec, id] = co_await eng.async_enqueue("orders", o, asio::as_tuple(asio::use_awaitable));
    if (ec) failures.fetch_add(1);
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(engine_threads_suite)

BOOST_AUTO_TEST_CASE(every_message_runs_exactly_once_across_threads_and_scaling) {
  asio::io_context ioc(2);
  sluice::engine_options opts;
  opts.log = [](sluice::log_level, std::string_view) {};
  sluice::engine eng(ioc.get_executor(), opts);
  sluice::queue_options q;
  q.capacity = 256;  // small: producers hit backpressure and wait
  q.min_workers = 1;
  q.max_workers = 6;
  BOOST_REQUIRE(!eng.declare_queue("orders", q));
  std::vector<std::atomic<int>> runs(total);
  std::atomic<int> handled{0};
  std::atomic<long long> sum{0};
  BOOST_REQUIRE(!eng.handle<order>("orders", [&](order o, sluice::context& ctx) -> asio::awaitable<void> {
    runs[static_cast<std::size_t>(o.id)].fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(o.id, std::memory_order_relaxed);
    if (o.id % 97 == 0) co_await asio::post(ctx.get_executor(), asio::use_awaitable);  // suspend sometimes
    handled.fetch_add(1, std::memory_order_relaxed);
  }));
  BOOST_REQUIRE(!eng.start());

  std::atomic<int> failures{0};
  for (int p = 0; p < coroutine_producers; ++p) {
    asio::co_spawn(ioc, produce(eng, p * per_producer, per_producer, failures), asio::detached);
  }
  auto work = asio::make_work_guard(ioc);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) threads.emplace_back([&] { ioc.run(); });
  for (int p = 0; p < thread_producers; ++p) {
    threads.emplace_back([&, p] {
      const int first = (coroutine_producers + p) * per_producer;
      for (int i = first; i < first + per_producer;) {
        auto r = eng.try_enqueue("orders", order{i, "t"});
        if (r) {
          ++i;
        } else if (r.error() != sluice::errc::queue_full) {
          failures.fetch_add(1);
          ++i;
        } else {
          std::this_thread::yield();  // a foreign thread may spin; executor threads never do
        }
      }
    });
  }
  // Scale up and down while messages flow.
  for (int round = 0; round < 200 && handled.load() < total; ++round) {
    BOOST_REQUIRE(!eng.scale("orders", 1 + static_cast<std::size_t>(round % 6)));
    std::this_thread::sleep_for(1ms);
  }
  BOOST_REQUIRE(!eng.scale("orders", 6));
  for (int i = 0; i < 60'000 && handled.load() < total; ++i) std::this_thread::sleep_for(1ms);  // hang guard only

  std::promise<void> stopped;
  eng.async_stop(5s, [&](error_code) { stopped.set_value(); });
  stopped.get_future().wait();
  work.reset();
  for (auto& t : threads) t.join();

  BOOST_TEST(failures.load() == 0);
  BOOST_TEST(handled.load() == total);
  BOOST_TEST(sum.load() == static_cast<long long>(total) * (total - 1) / 2);
  int wrong = 0;
  for (auto& r : runs) wrong += r.load() != 1;
  BOOST_TEST(wrong == 0);
  const auto s = queue(eng.stats(), "orders");
  BOOST_TEST(s.processed == static_cast<std::uint64_t>(total));
  BOOST_TEST(s.enqueued == static_cast<std::uint64_t>(total));
  BOOST_TEST(s.pending == 0U);
}

// A queue kept full by producers that try first and await when full, drained by two workers on
// two threads: nothing admitted is lost. (The slot-reuse race this once hit about once per ten
// million messages is proven deterministically by mpmc_ring_suite's paused-consumer test.)
BOOST_AUTO_TEST_CASE(a_full_queue_drained_by_two_threads_loses_nothing) {
  constexpr int messages = 50'000;
  for (int round = 0; round < 3; ++round) {
    asio::io_context ioc(2);
    sluice::engine_options opts;
    opts.log = [](sluice::log_level, std::string_view) {};
    sluice::engine eng(ioc.get_executor(), opts);
    sluice::queue_options q;
    q.capacity = 4096;
    q.min_workers = q.max_workers = 2;
    BOOST_REQUIRE(!eng.declare_queue("orders", q));
    std::atomic<int> handled{0};
    BOOST_REQUIRE(!eng.handle_raw("orders", "raw", [&](std::string_view, sluice::context&) -> asio::awaitable<void> {
      if (handled.fetch_add(1) + 1 == messages) eng.async_stop(5s, [](error_code) {});
      co_return;
    }));
    BOOST_REQUIRE(!eng.start());
    for (int p = 0; p < 2; ++p) {
      asio::co_spawn(
          asio::make_strand(ioc),
          [&eng]() -> asio::awaitable<void> {
            for (int i = 0; i < messages / 2; ++i) {
              if (eng.try_enqueue_raw("orders", "raw", "0123456789abcdef")) continue;
              const sluice::enqueue_options wait;
              co_await eng.async_enqueue_raw("orders", "raw", "0123456789abcdef", wait, asio::use_awaitable);
            }
          },
          asio::detached);
    }
    std::thread second([&] { ioc.run_for(60s); });
    ioc.run_for(60s);  // returns when the engine has stopped; the bound is a hang guard only
    second.join();
    BOOST_TEST_REQUIRE(handled.load() == messages, "round " << round);
  }
}

// Retries under threads: 10% of messages fail their first attempt and come back through the
// timekeeper (real clock, 1 ms backoff); each still succeeds exactly once.
BOOST_AUTO_TEST_CASE(retried_messages_succeed_exactly_once_across_threads) {
  constexpr int messages = 20'000;
  asio::io_context ioc(2);
  sluice::engine_options opts;
  opts.log = [](sluice::log_level, std::string_view) {};
  opts.default_handler.max_retries = 3;
  opts.default_handler.backoff.strategy = sluice::backoff_strategy::fixed;
  opts.default_handler.backoff.initial = 1ms;
  opts.default_handler.backoff.max = 1ms;
  sluice::engine eng(ioc.get_executor(), opts);
  sluice::queue_options q;
  q.capacity = 512;
  q.min_workers = q.max_workers = 3;
  BOOST_REQUIRE(!eng.declare_queue("orders", q));
  std::vector<std::atomic<int>> successes(messages);
  std::atomic<int> done{0};
  BOOST_REQUIRE(!eng.handle<order>("orders", [&](order o, sluice::context& ctx) -> asio::awaitable<void> {
    if (o.id % 10 == 0 && ctx.attempt() == 1) throw std::runtime_error("transient");
    successes[static_cast<std::size_t>(o.id)].fetch_add(1);
    if (done.fetch_add(1) + 1 == messages) eng.async_stop(5s, [](error_code) {});
    co_return;
  }));
  BOOST_REQUIRE(!eng.start());
  std::atomic<int> failures{0};
  asio::co_spawn(ioc, produce(eng, 0, messages, failures), asio::detached);
  std::thread second([&] { ioc.run_for(60s); });
  ioc.run_for(60s);  // returns when the engine has stopped; the bound is a hang guard only
  second.join();
  BOOST_TEST(failures.load() == 0);
  int wrong = 0;
  for (auto& s : successes) wrong += s.load() != 1;
  BOOST_TEST(wrong == 0);
  const auto s = queue(eng.stats(), "orders");
  BOOST_TEST(s.failed == static_cast<std::uint64_t>(messages / 10));
  BOOST_TEST(s.retried == static_cast<std::uint64_t>(messages / 10));
  BOOST_TEST(s.dead_letters == 0U);
}

// Timeouts and stuck handlers under threads (real clock): 10% of first attempts hang ignoring
// their cancellation (stuck, retried on a replacement worker, their late outcome rejected), 10%
// wait cancellably past their timeout. Every message is acknowledged exactly once.
BOOST_AUTO_TEST_CASE(timed_out_and_stuck_deliveries_settle_exactly_once_across_threads) {
  constexpr int messages = 1'000;
  asio::io_context ioc(2);
  sluice::engine_options opts;
  opts.log = [](sluice::log_level, std::string_view) {};
  sluice::engine eng(ioc.get_executor(), opts);
  sluice::queue_options q;
  q.capacity = 256;
  q.min_workers = q.max_workers = 3;
  BOOST_REQUIRE(!eng.declare_queue("orders", q));
  sluice::handler_options h = fixed_backoff(5, 1ms);
  h.timeout = 20ms;
  h.stuck_grace = 20ms;
  std::atomic<int> first_attempts{0};
  BOOST_REQUIRE(!eng.handle<order>(
      "orders",
      [&](order o, sluice::context& ctx) -> asio::awaitable<void> {
        if (ctx.attempt() > 1) co_return;
        first_attempts.fetch_add(1);
        if (o.id % 10 == 0) {  // hung: ignores the cancellation for 1 s (far past timeout + grace,
          // so a lease monitor delayed by a loaded sanitizer run still finds it running)
          co_await asio::this_coro::throw_if_cancelled(false);
          asio::steady_timer t(ctx.get_executor(), 1s);
          auto [ec] = co_await t.async_wait(
              asio::bind_cancellation_slot(asio::cancellation_slot(), asio::as_tuple(asio::use_awaitable)));
          (void)ec;
        } else if (o.id % 10 == 1) {  // slow: cancelled by the timeout
          asio::steady_timer t(ctx.get_executor(), 10s);
          co_await t.async_wait(asio::use_awaitable);
        }
      },
      h));
  BOOST_REQUIRE(!eng.start());
  std::atomic<int> failures{0};
  asio::co_spawn(ioc, produce(eng, 0, messages, failures), asio::detached);
  auto work = asio::make_work_guard(ioc);
  std::thread second([&] { ioc.run(); });
  std::thread first([&] { ioc.run(); });
  for (int i = 0; i < 60'000 && queue(eng.stats(), "orders").processed < messages; ++i) {
    std::this_thread::sleep_for(1ms);  // hang guard only
  }
  std::promise<void> stopped;
  eng.async_stop(5s, [&](error_code) { stopped.set_value(); });
  stopped.get_future().wait();  // waits for the hung handlers too
  work.reset();
  first.join();
  second.join();
  BOOST_TEST(failures.load() == 0);
  const auto s = queue(eng.stats(), "orders");
  BOOST_TEST(first_attempts.load() == messages);
  BOOST_TEST(s.processed == static_cast<std::uint64_t>(messages));
  BOOST_TEST(s.pending == 0U);
  BOOST_TEST(s.scheduled == 0U);
  BOOST_TEST(s.dead_letters == 0U);
  BOOST_TEST(s.stuck >= static_cast<std::uint64_t>(messages / 10));
  BOOST_TEST(s.lease_lost == s.stuck);  // every hung handler returned and was rejected
  BOOST_TEST(s.timed_out >= static_cast<std::uint64_t>(messages / 5));
  BOOST_TEST(s.stuck_running == 0U);
}

BOOST_AUTO_TEST_SUITE_END()
