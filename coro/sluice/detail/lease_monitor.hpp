// The lease monitor of one queue: one coroutine with one alarm that waits for the earliest
// deadline of the queue's running deliveries (handler timeouts, stuck grace, lease expiry,
// heartbeats) and has the worker pool act on what is due. With nothing running under a deadline it
// parks on a signal and arms no timer.
//
// Wake-up protocol: a worker that begins a delivery publishes its deadline in the delivery's lease
// (under the lease's mutex) and then calls note(). The monitor, before each scan, clears `poked_`
// and sets `armed_` to "never" (seq_cst), scans, and publishes what it will wait for in `armed_`.
// A deadline earlier than `armed_` pokes the monitor (one post per scan however many workers
// see it), so a scan either sees a new deadline or is followed by another scan; with one fixed
// timeout per handler each new deadline is later than the armed one, so the common case costs
// one atomic load.
// Thread-safety: note() and stop() from any thread; run() is one coroutine on executor().
#pragma once

#include "sluice/detail/wake_signal.hpp"
#include "sluice/time/alarm.hpp"
#include "sluice/time/clock.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>

namespace sluice::detail {

class worker_pool;

class lease_monitor {
 public:
  lease_monitor(const boost::asio::any_io_executor& ex, sluice::clock& clock, worker_pool& pool);
  lease_monitor(const lease_monitor&) = delete;
  lease_monitor& operator=(const lease_monitor&) = delete;

  // A delivery began (or was renewed) with this deadline.
  void note(sys_time deadline) noexcept;

  boost::asio::awaitable<void> run();  // returns after stop()
  void stop();
  [[nodiscard]] const boost::asio::strand<boost::asio::any_io_executor>& executor() const noexcept { return strand_; }
  [[nodiscard]] std::uint64_t expiries() const noexcept { return alarm_.expiries(); }

 private:
  void poke();

  sluice::clock& clock_;
  worker_pool& pool_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  alarm alarm_;        // used on strand_ only
  wake_signal rearm_;  // wakes run() parked with no deadline
  std::atomic<sys_time::rep> armed_{sys_time::max().time_since_epoch().count()};
  std::atomic<bool> poked_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace sluice::detail
