// OrderFlow's handlers (see handlers.hpp).
#include "handlers.hpp"

#include "orderflow_messages.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>
#include <string>

namespace orderflow {

namespace asio = boost::asio;

namespace {

// A repeatable coin per (order, step, attempt): the same run injects the same faults, so a demo
// or a test can be replayed exactly; a retry flips a fresh coin.
bool coin(double rate, long order_id, std::uint64_t step, std::uint32_t attempt) {
  if (rate <= 0) return false;
  std::uint64_t x = static_cast<std::uint64_t>(order_id) * 0x9E3779B97F4A7C15ULL ^ (step << 56) ^ attempt;
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDULL;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ULL;
  x ^= x >> 33;
  return static_cast<double>(x >> 11) / static_cast<double>(1ULL << 53) < rate;
}

asio::awaitable<void> place(order_placed o, sluice::context& ctx) {
  if (o.quantity <= 0) throw sluice::permanent_error("order " + std::to_string(o.id) + " has no items");
  const payment_requested pay{o.id, o.quantity * o.unit_price_cents, o.placed_at_ns};
  co_await ctx.async_enqueue("payments", pay, asio::use_awaitable);
}

asio::awaitable<void> pay(const failure_rates& rates, chain_figures& fig, payment_requested p, sluice::context& ctx) {
  if (coin(rates.transient, p.order_id, 1, ctx.attempt())) {
    fig.transient_faults.fetch_add(1, std::memory_order_relaxed);
    throw std::runtime_error("payment gateway timeout for order " + std::to_string(p.order_id));
  }
  if (ctx.replays() == 0 && coin(rates.permanent, p.order_id, 2, 0)) {
    fig.declined.fetch_add(1, std::memory_order_relaxed);
    if (fig.on_declined) fig.on_declined(p.order_id);
    throw sluice::permanent_error("card declined for order " + std::to_string(p.order_id));
  }
  const shipment_requested ship{p.order_id, "parcel", 1, p.placed_at_ns};
  co_await ctx.async_enqueue("shipping", ship, asio::use_awaitable);
}

asio::awaitable<void> ship(const failure_rates& rates, chain_figures& fig, shipment_requested s, sluice::context& ctx) {
  if (coin(rates.transient / 2, s.order_id, 3, ctx.attempt())) {
    fig.transient_faults.fetch_add(1, std::memory_order_relaxed);
    throw std::runtime_error("carrier API unavailable (503) for order " + std::to_string(s.order_id));
  }
  const notification_requested note{s.order_id, "your order is on its way", s.placed_at_ns};
  co_await ctx.async_enqueue("notifications", note, asio::use_awaitable);
}

asio::awaitable<void> notify(chain_figures& fig, notification_requested n) {
  const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
  // Orders from an earlier process carry another process's clock: no latency for them.
  if (n.placed_at_ns >= fig.started_at_ns) fig.end_to_end.record(std::chrono::nanoseconds(now - n.placed_at_ns));
  fig.notified.fetch_add(1, std::memory_order_relaxed);
  if (fig.on_notified) fig.on_notified(n.order_id);
  co_return;
}

}  // namespace

boost::system::error_code register_chain(sluice::engine& eng, const sluice::queue_options& queues, failure_rates rates,
                                         chain_figures& figures) {
  for (const char* name : {"orders", "payments", "shipping", "notifications"}) {
    if (auto ec = eng.declare_queue(name, queues)) return ec;
  }
  sluice::handler_options retrying;
  retrying.max_retries = 5;
  retrying.backoff.strategy = sluice::backoff_strategy::exponential;
  retrying.backoff.initial = std::chrono::milliseconds(100);
  retrying.backoff.max = std::chrono::seconds(5);
  retrying.backoff.jitter = sluice::jitter_mode::full;
  auto* fig = &figures;
  if (auto ec = eng.handle<order_placed>("orders", place, retrying)) return ec;
  if (auto ec = eng.handle<payment_requested>(
          "payments", [rates, fig](payment_requested p, sluice::context& c) { return pay(rates, *fig, p, c); },
          retrying))
    return ec;
  if (auto ec = eng.handle<shipment_requested>(
          "shipping",
          [rates, fig](shipment_requested s, sluice::context& c) { return ship(rates, *fig, std::move(s), c); },
          retrying))
    return ec;
  return eng.handle<notification_requested>(
      "notifications", [fig](notification_requested n, sluice::context&) { return notify(*fig, std::move(n)); },
      retrying);
}

}  // namespace orderflow
