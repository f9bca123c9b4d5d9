// OrderFlow's built-in load (see load.hpp).
#include "load.hpp"

#include "orderflow_messages.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>
#include <cstdio>
#include <string>

namespace orderflow {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

asio::awaitable<void> produce(sluice::engine& eng, long count, double per_second, std::atomic<long>& next_id,
                              load_progress& progress) {
  asio::steady_timer pace(co_await asio::this_coro::executor);
  const auto gap = per_second > 0
                       ? std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(1.0 / per_second))
                       : steady::duration::zero();
  auto next = steady::now();
  for (long i = 0; i < count && !progress.stopping.load(); ++i) {
    if (gap > steady::duration::zero()) {
      next += gap;
      pace.expires_at(next);
      auto waited = co_await pace.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)waited;
    }
    const long id = next_id.fetch_add(1, std::memory_order_relaxed);
    const order_placed o{id, "sku-" + std::to_string(id % 97), 1 + static_cast<int>(id % 3), 1999,
                         steady::now().time_since_epoch().count()};
    const sluice::enqueue_options options;
    auto [ec, mid] = co_await eng.async_enqueue("orders", o, options, asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (!progress.stopping.load()) std::fprintf(stderr, "orderflow: enqueue failed: %s\n", ec.message().c_str());
      break;
    }
    progress.enqueued.fetch_add(1, std::memory_order_relaxed);
  }
  progress.producers_left.fetch_sub(1);
}

bool queues_empty(const sluice::engine& eng) {
  for (const auto& q : eng.stats().queues) {
    if (q.pending + q.in_flight + q.scheduled != 0) return false;
  }
  return true;
}

asio::awaitable<void> report(sluice::engine& eng, long total, load_progress& progress, const chain_figures& figures,
                             std::function<void()> done) {
  const bool tty = isatty(fileno(stdout)) != 0;
  asio::steady_timer tick(co_await asio::this_coro::executor);
  long last = 0;
  auto last_at = steady::now();
  for (;;) {
    tick.expires_after(tty ? 250ms : 1s);
    auto waited = co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
    if (std::get<0>(waited) || progress.stopping.load()) co_return;  // shutting down
    const bool finished = progress.producers_left.load() == 0 && queues_empty(eng);
    const long settled = figures.notified.load() + figures.declined.load();
    const auto now = steady::now();
    const double rate = static_cast<double>(settled - last) / std::chrono::duration<double>(now - last_at).count();
    last = settled;
    last_at = now;
    std::printf("%sorders enqueued %ld/%ld, delivered %ld, declined %ld, retried faults %ld (%.0f orders/s)%s",
                tty ? "\r" : "", progress.enqueued.load(), total, figures.notified.load(), figures.declined.load(),
                figures.transient_faults.load(), rate, tty ? "   " : "\n");
    std::fflush(stdout);
    if (finished) break;
  }
  if (tty) std::printf("\n");
  progress.finished = steady::now();
  done();
}

}  // namespace

void start_load(const asio::any_io_executor& ex, sluice::engine& eng, const load_plan& plan, std::atomic<long>& next_id,
                load_progress& progress, const chain_figures& figures, std::function<void()> done) {
  progress.started = steady::now();
  progress.producers_left.store(plan.producers);
  for (int p = 0; p < plan.producers; ++p) {
    const long share = plan.orders / plan.producers + (p < plan.orders % plan.producers ? 1 : 0);
    asio::co_spawn(ex, produce(eng, share, plan.per_second / plan.producers, next_id, progress), asio::detached);
  }
  asio::co_spawn(ex, report(eng, plan.orders, progress, figures, std::move(done)), asio::detached);
}

}  // namespace orderflow
