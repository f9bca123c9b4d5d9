// The one timer structure of a queue: messages waiting for a moment (retry backoff, snoozes,
// later delayed and scheduled delivery) sit in a deadline heap, and one coroutine with one alarm
// waits for the earliest and publishes what is due. With nothing scheduled it parks on a signal
// and no timer is armed, so an idle queue costs nothing.
// Thread-safety: schedule() and the readers are safe from any thread; run() is one coroutine.
#pragma once

#include "sluice/detail/wake_signal.hpp"
#include "sluice/message/message.hpp"
#include "sluice/time/alarm.hpp"
#include "sluice/time/deadline_heap.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace sluice::detail {

class queue_runtime;

class timekeeper {
 public:
  timekeeper(const boost::asio::any_io_executor& ex, sluice::clock& clock, queue_runtime& queue);
  ~timekeeper();  // frees messages still scheduled
  timekeeper(const timekeeper&) = delete;
  timekeeper& operator=(const timekeeper&) = delete;

  // Why a message waits: delayed enqueues count against max_scheduled; the engine's own
  // reschedules (retries, snoozes) are never refused.
  enum class origin : std::uint8_t { delayed_enqueue, reschedule };

  // Holds m until `due`, then publishes it (forced: it is already the engine's).
  void schedule(std::unique_ptr<message> m, sys_time due, origin why = origin::reschedule);

  // The coroutine; spawn it on executor(). Returns after stop().
  boost::asio::awaitable<void> run();
  void stop();
  [[nodiscard]] const boost::asio::strand<boost::asio::any_io_executor>& executor() const noexcept { return strand_; }

  [[nodiscard]] std::size_t scheduled() const;
  // Delayed enqueues still waiting (the part max_scheduled bounds).
  [[nodiscard]] std::size_t delayed() const noexcept { return delayed_.load(std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t expiries() const noexcept { return alarm_.expiries(); }

 private:
  static constexpr sys_time idle = sys_time::max();

  sluice::clock& clock_;
  queue_runtime& queue_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  alarm alarm_;        // used on strand_ only
  wake_signal rearm_;  // wakes run() when the heap stops being empty
  mutable std::mutex mutex_;
  struct waiting {
    message* m;
    origin why;
  };
  deadline_heap<sys_time, waiting> heap_;  // guarded by mutex_
  std::atomic<std::size_t> delayed_{0};
  sys_time armed_ = idle;  // guarded by mutex_: what run() waits for
  std::atomic<bool> stopping_{false};
};

}  // namespace sluice::detail
