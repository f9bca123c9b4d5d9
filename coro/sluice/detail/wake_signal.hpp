// An awaitable wake-up signal in the style of an eventcount: waiters announce themselves with
// prepare(), re-check their condition (the ring, the capacity), and then either cancel_prepare()
// or park with async_wait(). Notifiers change the condition first and then call notify_one():
// one fence and one relaxed load when nobody waits, so the producer fast path stays lock-free.
// A notification that arrives between prepare() and async_wait() is kept as a token, so no
// wake-up is ever lost; an idle engine has no pending timers and no spurious wake-ups.
//
// Thread-safety: all members are safe from any thread. A parked wait completes through its
// handler's associated executor (never inline in notify_*), keeps that executor's outstanding
// work, and honours the handler's cancellation slot (completing with operation_aborted).
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <type_traits>

namespace sluice::detail {

class wake_signal {
 public:
  using wait_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

  // fallback runs completions of handlers that have no associated executor of their own.
  explicit wake_signal(boost::asio::any_io_executor fallback) : fallback_(std::move(fallback)) {}
  wake_signal(const wake_signal&) = delete;
  wake_signal& operator=(const wake_signal&) = delete;
  // Precondition: nobody is parked (close() the signal and let the waits complete first).
  ~wake_signal();

  // Announce the intent to wait. Must be followed by exactly one cancel_prepare() or
  // async_wait(), after the caller has re-checked its condition.
  void prepare() noexcept;
  void cancel_prepare() noexcept;

  // Completes with success when notified, operation_aborted when closed or cancelled.
  template <class Token>
  auto async_wait(Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler) {
          // Keep the handler's own executor (a worker's strand) un-erased when we can: the wake-up
          // is then one post onto that strand instead of a post plus a dispatch.
          auto ex = boost::asio::get_associated_executor(handler, fallback_);
          if constexpr (std::is_convertible_v<decltype(ex), boost::asio::any_io_executor>) {
            park(wait_handler(std::move(handler)), boost::asio::any_io_executor(std::move(ex)));
          } else {
            park(wait_handler(std::move(handler)), boost::asio::any_io_executor{});
          }
        },
        token);
  }

  // Call after making the condition true. Returns whether a waiter will wake.
  bool notify_one() noexcept {
    std::atomic_thread_fence(std::memory_order_seq_cst);  // pairs with the fence in prepare()
    if (interest_.load(std::memory_order_relaxed) == 0) return false;
    return notify_one_slow();
  }
  // Cheaper form for notifiers whose condition change was itself a seq_cst read-modify-write on
  // the variable waiters re-check after prepare() (whose fence then orders the two): no fence.
  bool notify_one_after_seq_cst_rmw() noexcept {
    if (interest_.load(std::memory_order_seq_cst) == 0) return false;
    return notify_one_slow();
  }

  void notify_all() noexcept;
  // notify_all for a notifier whose condition change was a seq_cst read-modify-write (see above).
  void notify_all_after_seq_cst_rmw() noexcept {
    if (interest_.load(std::memory_order_seq_cst) != 0) notify_all();
  }

  // Every parked and future wait completes with operation_aborted.
  void close() noexcept;

  // Parked waits released by a notification (not counting tokens consumed without parking).
  [[nodiscard]] std::uint64_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }
  [[nodiscard]] int parked() const noexcept;

 private:
  struct waiter;
  class cancel_handler;

  // target: the handler's executor, or empty to go through its type-erased associated executor.
  void park(wait_handler handler, boost::asio::any_io_executor target);
  bool notify_one_slow() noexcept;
  void cancel_waiter(waiter* w) noexcept;
  void complete(waiter* w, boost::system::error_code ec) noexcept;
  void complete_now(wait_handler handler, const boost::asio::any_io_executor& target,
                    boost::system::error_code ec) noexcept;
  void link_back(waiter* w) noexcept;
  void unlink(waiter* w) noexcept;

  boost::asio::any_io_executor fallback_;
  std::atomic<int> interest_{0};  // prepared + parked; read without the lock by notifiers
  std::atomic<std::uint64_t> wakeups_{0};
  mutable std::mutex mutex_;
  int prepared_ = 0;  // announced, neither parked nor cancelled
  int tokens_ = 0;    // notifications owed to prepared waiters (tokens_ <= prepared_)
  bool closed_ = false;
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

}  // namespace sluice::detail
