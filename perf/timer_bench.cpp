// Scheduled delivery at scale: 1,000,000 messages due at random moments within 200 ms, through
// the engine (one deadline heap and one alarm per queue) against the same workload as one Asio
// steady_timer per message (each holding a 16-byte payload), measured in the same run:
// schedule cost per item, time until the last one has fired, and heap bytes per scheduled item.
#include "sluice/sluice.hpp"

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

namespace {

constexpr int items = 1'000'000;

std::size_t heap_in_use() { return mallinfo2().uordblks; }

std::vector<std::chrono::milliseconds> delays() {
  std::mt19937 rng(1);
  std::vector<std::chrono::milliseconds> d(items);
  for (auto& x : d) x = std::chrono::milliseconds(rng() % 200);
  return d;
}

void report(benchmark::State& state, steady::duration scheduling, steady::duration total, std::size_t bytes) {
  state.counters["schedule_ns_per_item"] = std::chrono::duration<double, std::nano>(scheduling).count() / items;
  state.counters["all_fired_ms"] = std::chrono::duration<double, std::milli>(total).count();
  state.counters["heap_bytes_per_item"] = static_cast<double>(bytes) / items;
}

void bm_sluice_scheduled(benchmark::State& state) {
  const auto d = delays();
  for (auto _ : state) {
    asio::io_context ioc(1);
    sluice::engine_options o;
    o.log = [](sluice::log_level, std::string_view) {};
    sluice::engine eng(ioc.get_executor(), o);
    sluice::queue_options q;
    q.max_scheduled = items;
    (void)eng.declare_queue("jobs", q);
    std::atomic<int> fired{0};
    (void)eng.handle_raw("jobs", "job", [&](std::string_view, sluice::context&) -> asio::awaitable<void> {
      if (fired.fetch_add(1) + 1 == items) eng.async_stop(std::chrono::seconds(1), [](boost::system::error_code) {});
      co_return;
    });
    (void)eng.start();
    const std::size_t before = heap_in_use();
    const auto t0 = steady::now();
    sluice::enqueue_options opts;
    for (int i = 0; i < items; ++i) {
      opts.delay = d[static_cast<std::size_t>(i)];
      if (!eng.try_enqueue_raw("jobs", "job", "0123456789abcdef", opts)) state.SkipWithError("refused");
    }
    const auto scheduled = steady::now() - t0;
    const std::size_t bytes = heap_in_use() - before;
    ioc.run();
    report(state, scheduled, steady::now() - t0, bytes);
    if (fired.load() != items) state.SkipWithError("lost messages");
  }
}

void bm_timer_per_message(benchmark::State& state) {
  const auto d = delays();
  for (auto _ : state) {
    asio::io_context ioc(1);
    std::vector<std::unique_ptr<asio::steady_timer>> timers;
    timers.reserve(items);
    std::atomic<int> fired{0};
    const std::size_t before = heap_in_use();
    const auto t0 = steady::now();
    for (int i = 0; i < items; ++i) {
      auto& t = timers.emplace_back(std::make_unique<asio::steady_timer>(ioc, d[static_cast<std::size_t>(i)]));
      t->async_wait([&fired, payload = std::string("0123456789abcdef")](boost::system::error_code) {
        benchmark::DoNotOptimize(payload.data());
        fired.fetch_add(1, std::memory_order_relaxed);
      });
    }
    const auto scheduled = steady::now() - t0;
    const std::size_t bytes = heap_in_use() - before;
    ioc.run();
    report(state, scheduled, steady::now() - t0, bytes);
    if (fired.load() != items) state.SkipWithError("lost timers");
  }
}

}  // namespace

BENCHMARK(bm_sluice_scheduled)
    ->Name("scheduled_1M/sluice")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bm_timer_per_message)
    ->Name("scheduled_1M/timer_per_message")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
