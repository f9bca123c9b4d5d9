// In-memory engine throughput and latency against a raw Asio concurrent_channel doing the same
// job in the same run:
//   throughput: enqueue -> handler -> ack of 200,000 16-byte messages on 1 and 2 io threads;
//               producers are coroutines that use the non-blocking call first and await only
//               when the queue (channel) is full; each message runs a handler coroutine that
//               counts it (the channel consumer co_awaits the same kind of coroutine).
//   latency:    enqueue-to-handler-start, one message at a time (ping-pong, so no queueing):
//               same thread (producer and worker share one io thread) and cross thread (a
//               foreign thread enqueues; the io thread is parked and must be woken).
#include "sluice/sluice.hpp"
#include "sluice/stats/latency_histogram.hpp"

#include <benchmark/benchmark.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using boost::system::error_code;
using channel = asio::experimental::concurrent_channel<void(error_code, std::string)>;
using steady = std::chrono::steady_clock;

namespace {

constexpr int total_messages = 200'000;
constexpr std::size_t queue_capacity = 8192;
const std::string payload(16, 'x');

sluice::engine_options quiet() {
  sluice::engine_options o;
  o.log = [](sluice::log_level, std::string_view) {};
  return o;
}

void run_threads(asio::io_context& ioc, int threads) {
  std::vector<std::thread> extra;
  for (int t = 1; t < threads; ++t) extra.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : extra) t.join();
}

// --- throughput -------------------------------------------------------------------------------

asio::awaitable<void> engine_producer(sluice::engine& eng, int count) {
  for (int i = 0; i < count; ++i) {
    if (eng.try_enqueue_raw("bench", "bench.msg", payload)) continue;
    const sluice::enqueue_options opts;  // a local: g++ 12 mis-destroys temporaries inside co_await
    auto [ec, id] =
        co_await eng.async_enqueue_raw("bench", "bench.msg", payload, opts, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

// range(0): io threads; failing_percent: messages whose first attempt fails and is retried
// (fixed 0 ms backoff, so the retry goes through the timekeeper at once).
// watched: handlers run under the default timeout and lease (the lease monitor's bookkeeping on
// every delivery); unwatched: timeout and lease 0.
// tracked: engine_options::track_messages (the default), the operators' per-message summaries.
void bm_engine_throughput_with(benchmark::State& state, int failing_percent, bool watched, bool tracked = true) {
  const int threads = static_cast<int>(state.range(0));
  double overflows = 0;
  double wakeups = 0;
  for (auto _ : state) {
    asio::io_context ioc(threads);
    auto options = quiet();
    options.default_handler.backoff.strategy = sluice::backoff_strategy::fixed;
    options.default_handler.backoff.initial = std::chrono::milliseconds(0);
    options.default_handler.backoff.max = std::chrono::milliseconds(0);
    if (!watched) {
      options.default_handler.timeout = std::chrono::milliseconds(0);
      options.default_handler.lease_duration = std::chrono::milliseconds(0);
    }
    options.track_messages = tracked;
    sluice::engine eng(ioc.get_executor(), options);
    sluice::queue_options q;
    q.capacity = queue_capacity;
    q.min_workers = q.max_workers = static_cast<std::size_t>(threads);
    (void)eng.declare_queue("bench", q);
    std::atomic<int> handled{0};
    std::atomic<unsigned> sequence{0};
    (void)eng.handle_raw("bench", "bench.msg", [&](std::string_view p, sluice::context& ctx) -> asio::awaitable<void> {
      benchmark::DoNotOptimize(p.data());
      if (failing_percent > 0 && ctx.attempt() == 1 &&
          sequence.fetch_add(1, std::memory_order_relaxed) % 100 < static_cast<unsigned>(failing_percent)) {
        throw std::runtime_error("transient");
      }
      if (handled.fetch_add(1, std::memory_order_relaxed) + 1 == total_messages) {
        eng.async_stop(std::chrono::seconds(1), [](error_code) {});
      }
      co_return;
    });
    (void)eng.start();
    for (int p = 0; p < threads; ++p) {
      asio::co_spawn(asio::make_strand(ioc), engine_producer(eng, total_messages / threads), asio::detached);
    }
    run_threads(ioc, threads);
    if (handled.load() != total_messages) state.SkipWithError("lost messages");
    overflows += static_cast<double>(eng.stats().queues[0].ring_overflows);
    wakeups += static_cast<double>(eng.stats().queues[0].worker_wakeups);
  }
  state.SetItemsProcessed(state.iterations() * total_messages);
  state.counters["ring_overflows"] = overflows;  // publishes that found their slot held
  state.counters["worker_wakeups_per_run"] = wakeups / static_cast<double>(state.iterations());
}

void bm_engine_throughput_failing(benchmark::State& state, int failing_percent) {
  bm_engine_throughput_with(state, failing_percent, true);
}
void bm_engine_throughput(benchmark::State& state) { bm_engine_throughput_with(state, 0, true); }
void bm_engine_throughput_unwatched(benchmark::State& state) { bm_engine_throughput_with(state, 0, false); }
void bm_engine_throughput_untracked(benchmark::State& state) { bm_engine_throughput_with(state, 0, true, false); }

asio::awaitable<void> channel_producer(channel& ch, int count) {
  for (int i = 0; i < count; ++i) {
    if (ch.try_send(error_code{}, payload)) continue;
    auto [ec] = co_await ch.async_send(error_code{}, payload, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

// The same work the engine's handler does: a coroutine per message that looks at the payload.
asio::awaitable<void> channel_handler(std::string_view p, std::atomic<int>& handled) {
  benchmark::DoNotOptimize(p.data());
  handled.fetch_add(1, std::memory_order_relaxed);
  co_return;
}

asio::awaitable<void> channel_consumer(channel& ch, std::atomic<int>& handled) {
  for (;;) {
    std::string msg;
    if (!ch.try_receive([&](error_code, std::string m) { msg = std::move(m); })) {
      auto [ec, m] = co_await ch.async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      msg = std::move(m);
    }
    co_await channel_handler(msg, handled);
    if (handled.load(std::memory_order_relaxed) == total_messages) ch.close();
  }
}

void bm_channel_throughput(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    asio::io_context ioc(threads);
    channel ch(ioc, queue_capacity);
    std::atomic<int> handled{0};
    for (int c = 0; c < threads; ++c)
      asio::co_spawn(asio::make_strand(ioc), channel_consumer(ch, handled), asio::detached);
    for (int p = 0; p < threads; ++p) {
      asio::co_spawn(asio::make_strand(ioc), channel_producer(ch, total_messages / threads), asio::detached);
    }
    run_threads(ioc, threads);
    if (handled.load() != total_messages) state.SkipWithError("lost messages");
  }
  state.SetItemsProcessed(state.iterations() * total_messages);
}

// --- latency ----------------------------------------------------------------------------------

std::string stamp() {
  const auto t = steady::now().time_since_epoch().count();
  std::string s(sizeof(t), '\0');
  std::memcpy(s.data(), &t, sizeof(t));
  return s;
}

std::chrono::nanoseconds since(std::string_view s) {
  steady::rep t0;
  std::memcpy(&t0, s.data(), sizeof(t0));
  return std::chrono::nanoseconds(steady::now().time_since_epoch().count() - t0);
}

void report(benchmark::State& state, const sluice::latency_histogram& h) {
  const auto s = h.summarize();
  state.counters["p50_us"] = std::chrono::duration<double, std::micro>(s.p50).count();
  state.counters["p99_us"] = std::chrono::duration<double, std::micro>(s.p99).count();
}

// The raw channel's consumer for both latency baselines: record, then tell the producer.
template <class Done>
asio::awaitable<void> record_latency(channel& ch, sluice::latency_histogram& h, Done done) {
  for (;;) {
    auto [ec, p] = co_await ch.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    h.record(since(p));
    done();
  }
}

// Same thread: a producer coroutine and the worker share one io thread.
void bm_engine_latency_same_thread(benchmark::State& state) {
  asio::io_context ioc(1);
  sluice::engine eng(ioc.get_executor(), quiet());
  sluice::latency_histogram h;
  asio::experimental::concurrent_channel<void(error_code)> pong(ioc, 1);
  (void)eng.handle_raw("bench", "bench.msg", [&](std::string_view p, sluice::context&) -> asio::awaitable<void> {
    h.record(since(p));
    pong.try_send(error_code{});
    co_return;
  });
  (void)eng.start();
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (auto _ : state) {
          const std::string p = stamp();
          const sluice::enqueue_options opts;
          co_await eng.async_enqueue_raw("bench", "bench.msg", p, opts, asio::use_awaitable);
          co_await pong.async_receive(asio::use_awaitable);
        }
        co_await eng.async_stop(std::chrono::seconds(1), asio::use_awaitable);
      },
      asio::detached);
  ioc.run();
  report(state, h);
}

void bm_channel_latency_same_thread(benchmark::State& state) {
  asio::io_context ioc(1);
  channel ch(ioc, queue_capacity);
  sluice::latency_histogram h;
  asio::experimental::concurrent_channel<void(error_code)> pong(ioc, 1);
  asio::co_spawn(ioc, record_latency(ch, h, [&pong] { pong.try_send(error_code{}); }), asio::detached);
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        for (auto _ : state) {
          std::string p = stamp();  // a local: g++ 12 mis-destroys temporaries inside co_await
          co_await ch.async_send(error_code{}, std::move(p), asio::use_awaitable);
          co_await pong.async_receive(asio::use_awaitable);
        }
        ch.close();
      },
      asio::detached);
  ioc.run();
  report(state, h);
}

// Spin (this is the benchmark thread, not an executor thread) so the consumer goes idle.
void gap(std::chrono::microseconds d) {
  const auto until = steady::now() + d;
  while (steady::now() < until) {
  }
}

// Cross thread: the benchmark thread enqueues with try_enqueue. Arg 0: back to back, so the
// consumer often has not gone to sleep yet ("hot"); arg 50: 50 us between messages, so it has
// and every delivery includes waking its thread ("idle").
void bm_engine_latency_cross_thread(benchmark::State& state) {
  asio::io_context ioc(1);
  sluice::engine eng(ioc.get_executor(), quiet());
  sluice::latency_histogram h;
  std::atomic<bool> done{false};
  (void)eng.handle_raw("bench", "bench.msg", [&](std::string_view p, sluice::context&) -> asio::awaitable<void> {
    h.record(since(p));
    done.store(true, std::memory_order_release);
    co_return;
  });
  (void)eng.start();
  std::thread io([&] { ioc.run(); });
  const std::chrono::microseconds pause(state.range(0));
  for (auto _ : state) {
    done.store(false, std::memory_order_relaxed);
    gap(pause);
    if (!eng.try_enqueue_raw("bench", "bench.msg", stamp())) state.SkipWithError("enqueue failed");
    while (!done.load(std::memory_order_acquire)) {
    }
  }
  eng.async_stop(std::chrono::seconds(1), [](error_code) {});
  io.join();
  report(state, h);
  state.counters["parked_wakeups"] = static_cast<double>(eng.stats().queues[0].worker_wakeups);
}

void bm_channel_latency_cross_thread(benchmark::State& state) {
  asio::io_context ioc(1);
  channel ch(ioc, queue_capacity);
  sluice::latency_histogram h;
  std::atomic<bool> done{false};
  asio::co_spawn(ioc, record_latency(ch, h, [&done] { done.store(true, std::memory_order_release); }), asio::detached);
  std::thread io([&] { ioc.run(); });
  const std::chrono::microseconds pause(state.range(0));
  for (auto _ : state) {
    done.store(false, std::memory_order_relaxed);
    gap(pause);
    if (!ch.try_send(error_code{}, stamp())) state.SkipWithError("send failed");
    while (!done.load(std::memory_order_acquire)) {
    }
  }
  ch.close();
  io.join();
  report(state, h);
}

}  // namespace

BENCHMARK(bm_engine_throughput)->Name("e2e/sluice")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
// The cost of the operators' message index (track_messages, on by default) against the same
// engine without it.
BENCHMARK(bm_engine_throughput_untracked)
    ->Name("e2e/sluice_untracked")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// The cost of retries: 10% of first attempts fail, against all-success in the same run.
BENCHMARK_CAPTURE(bm_engine_throughput_failing, retrying, 10)
    ->Name("e2e_retrying/sluice")
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK_CAPTURE(bm_engine_throughput_failing, success, 0)
    ->Name("e2e_retrying/all_success")
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
// The cost of timeouts and leases: default handler options against handlers without either.
BENCHMARK(bm_engine_throughput)->Name("e2e_leases/sluice")->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_engine_throughput_unwatched)
    ->Name("e2e_leases/no_timeout_no_lease")
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(bm_channel_throughput)->Name("e2e/raw_channel")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(bm_engine_latency_same_thread)->Name("latency_same_thread/sluice")->Iterations(20'000)->UseRealTime();
BENCHMARK(bm_channel_latency_same_thread)->Name("latency_same_thread/raw_channel")->Iterations(20'000)->UseRealTime();
BENCHMARK(bm_engine_latency_cross_thread)
    ->Name("latency_cross_thread/sluice")
    ->Arg(0)
    ->Arg(50)
    ->Iterations(10'000)
    ->UseRealTime();
BENCHMARK(bm_channel_latency_cross_thread)
    ->Name("latency_cross_thread/raw_channel")
    ->Arg(0)
    ->Arg(50)
    ->Iterations(10'000)
    ->UseRealTime();
