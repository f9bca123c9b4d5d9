// Per-queue deadline watcher for running deliveries (see lease_monitor.hpp).
#include "sluice/detail/lease_monitor.hpp"

#include "sluice/detail/worker_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace sluice::detail {

namespace asio = boost::asio;

namespace {
constexpr sys_time::rep never_rep = sys_time::max().time_since_epoch().count();
}

lease_monitor::lease_monitor(const asio::any_io_executor& ex, sluice::clock& clock, worker_pool& pool)
    : clock_(clock), pool_(pool), strand_(asio::make_strand(ex)), alarm_(strand_, clock), rearm_(strand_) {}

void lease_monitor::note(sys_time deadline) noexcept {
  if (deadline.time_since_epoch().count() >= armed_.load(std::memory_order_seq_cst)) return;
  // acq_rel: the scan that clears the flag synchronises with every note that found it set, so it
  // sees their deadlines even though only the first one posted.
  if (poked_.exchange(true, std::memory_order_acq_rel)) return;
  poke();
}

void lease_monitor::poke() {
  rearm_.notify_one();                               // run() parked with nothing to wait for
  asio::post(strand_, [this] { alarm_.cancel(); });  // run() waits for a later moment: look again
}

void lease_monitor::stop() {
  stopping_.store(true, std::memory_order_release);
  rearm_.close();
  asio::post(strand_, [this] { alarm_.cancel(); });
}

asio::awaitable<void> lease_monitor::run() {
  while (!stopping_.load(std::memory_order_acquire)) {
    (void)poked_.exchange(false, std::memory_order_acq_rel);
    armed_.store(never_rep, std::memory_order_seq_cst);  // while scanning, any new deadline pokes
    rearm_.prepare();
    const sys_time next = pool_.expire_due(clock_.now());
    armed_.store(next.time_since_epoch().count(), std::memory_order_seq_cst);
    if (next == sys_time::max()) {
      auto [ec] = co_await rearm_.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;  // poked, or closed by stop(): the loop decides
      continue;
    }
    rearm_.cancel_prepare();
    auto [ec] = co_await alarm_.async_wait_until(next, asio::as_tuple(asio::use_awaitable));
    (void)ec;  // due, or cancelled by a poke or stop(): look again
  }
}

}  // namespace sluice::detail
