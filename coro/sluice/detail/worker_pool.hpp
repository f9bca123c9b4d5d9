// The workers of one queue: coroutines, each on its own strand of the engine's executor, that
// take ready messages and run their handlers. Idle workers park on the queue's ready signal and
// are woken, never polled. The pool scales at run time between the queue's min and max; a worker
// told to retire finishes its current message first, so scaling never loses or repeats one.
// Thread-safety: all public members are safe from any thread.
#pragma once

#include "sluice/detail/delivery_stats.hpp"
#include "sluice/retry/backoff.hpp"
#include "sluice/stats.hpp"
#include "sluice/time/clock.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <list>
#include <memory>
#include <mutex>
#include <optional>

namespace sluice {
struct message;
}
namespace sluice::persist {
class durable_store;
}

namespace sluice::detail {

class engine_core;
class queue_runtime;

class worker_pool {
 public:
  worker_pool(engine_core& core, queue_runtime& queue);
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  void start();  // spawns min_workers
  // Sets the number of workers; errc::invalid_argument outside [min_workers, max_workers],
  // errc::shutting_down once stopping.
  [[nodiscard]] boost::system::error_code scale(std::size_t workers);
  // Stop taking messages: idle workers exit now, busy ones after their current message.
  void begin_stop() noexcept;
  // The stop deadline passed: cancel every running handler through its cancellation slot.
  void cancel_in_flight();

  // For the lease monitor: acts on every delivery deadline due at `now` (cancels timed-out
  // handlers, renews leases, revokes stuck or expired deliveries, requeueing their messages and
  // replacing their workers); returns the earliest deadline still ahead.
  [[nodiscard]] sys_time expire_due(sys_time now);

  [[nodiscard]] std::size_t live() const noexcept;
  // Fills processed, failed, in_flight, workers and the latency summaries of `out` (counters and
  // latencies since the last reset_metrics()).
  void collect(queue_stats& out) const;
  // From now on collect() counts from the current figures (the workers keep counting: a
  // baseline is subtracted, nothing races their single-writer counters).
  void reset_metrics();

 private:
  struct worker;

  boost::asio::awaitable<void> run(worker* w);
  // Runs one message; `started` is when the worker took it. Returns when the handler finished:
  // the finish time, or nullopt when the delivery had been revoked (the worker then exits).
  boost::asio::awaitable<std::optional<sys_time>> deliver(worker* w, std::unique_ptr<message> m, sys_time started);
  // Notes m's checkout in w's slot of the checkout ledger and records it, fire and forget (a
  // process crash from here on still counts the attempt); false without a ledger slot.
  bool note_checkout(persist::durable_store& store, worker& w, const message& m);
  // Records m's checkout and, in fsync mode, waits until it is written; false if that failed.
  boost::asio::awaitable<bool> journal_checkout(persist::durable_store& store, const message& m);
  // Raises the cancellation of w's delivery `epoch` (0 = whatever runs) on w's strand.
  void post_cancel_locked(const worker& w, std::uint64_t epoch);
  [[nodiscard]] bool should_exit(worker* w) noexcept;
  void spawn_locked();
  void on_exit(worker* w, std::exception_ptr error) noexcept;
  void finish_exit(worker* w, const std::exception_ptr& error) noexcept;

  engine_core& core_;
  queue_runtime& queue_;
  mutable std::mutex mutex_;
  std::list<std::unique_ptr<worker>> workers_;  // live workers; erased on their own strand
  delivery_stats retired_;                      // figures of workers that have exited
  delivery_stats monitor_stats_;                // written by the lease monitor (under mutex_)
  std::unique_ptr<delivery_stats> baseline_;    // figures at the last reset (under mutex_)
  random_source monitor_random_;                // retry jitter of revoked deliveries (under mutex_)
  std::size_t live_ = 0;                        // spawned and not yet exited or retired
  std::atomic<std::size_t> retire_budget_{0};   // workers that should exit at the next chance
  std::atomic<bool> stopping_{false};
  std::uint64_t next_id_ = 0;
};

}  // namespace sluice::detail
