// Awaitable wake-up signal (see wake_signal.hpp for the protocol).
#include "sluice/detail/wake_signal.hpp"

#include <boost/asio/any_completion_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include <cassert>
#include <memory>

namespace sluice::detail {

namespace asio = boost::asio;

struct wake_signal::waiter {
  wait_handler handler;
  asio::any_io_executor target;            // the handler's executor, work tracked (may be empty)
  asio::any_completion_executor executor;  // the handler's, type-erased, work tracked (when no target)
  asio::cancellation_slot slot;
  waiter* prev = nullptr;
  waiter* next = nullptr;
  bool linked = false;
};

class wake_signal::cancel_handler {
 public:
  cancel_handler(wake_signal* s, waiter* w) noexcept : signal_(s), waiter_(w) {}
  void operator()(asio::cancellation_type type) const noexcept {
    if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                 asio::cancellation_type::total)) != asio::cancellation_type::none) {
      signal_->cancel_waiter(waiter_);
    }
  }

 private:
  wake_signal* signal_;
  waiter* waiter_;
};

wake_signal::~wake_signal() { assert(head_ == nullptr && "wake_signal destroyed with parked waiters"); }

void wake_signal::prepare() noexcept {
  std::lock_guard lock(mutex_);
  ++prepared_;
  interest_.fetch_add(1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // announce before re-checking
}

void wake_signal::cancel_prepare() noexcept {
  std::lock_guard lock(mutex_);
  assert(prepared_ > 0);
  --prepared_;
  interest_.fetch_sub(1, std::memory_order_relaxed);
  if (tokens_ > prepared_) --tokens_;  // the token meant for us: we are awake anyway
}

void wake_signal::park(wait_handler handler, asio::any_io_executor target) {
  auto slot = asio::get_associated_cancellation_slot(handler);
  std::unique_lock lock(mutex_);
  assert(prepared_ > 0 && "async_wait without prepare()");
  --prepared_;
  if (closed_ || tokens_ > 0) {
    const bool aborted = closed_;
    if (!aborted) --tokens_;
    interest_.fetch_sub(1, std::memory_order_relaxed);
    lock.unlock();
    complete_now(std::move(handler), target, aborted ? asio::error::operation_aborted : boost::system::error_code{});
    return;
  }
  auto* w = new waiter{};
  if (target) {
    w->target = asio::prefer(target, asio::execution::outstanding_work.tracked);
  } else {
    w->executor =
        asio::prefer(asio::get_associated_executor(handler, fallback_), asio::execution::outstanding_work.tracked);
  }
  w->handler = std::move(handler);
  w->slot = slot;
  link_back(w);
  // Initiation runs in the waiter's own execution context, where its slot may be emitted, so
  // installing the handler here cannot race with an emit.
  if (slot.is_connected()) slot.template emplace<cancel_handler>(this, w);
}

bool wake_signal::notify_one_slow() noexcept {
  std::unique_lock lock(mutex_);
  if (waiter* w = head_) {
    unlink(w);
    interest_.fetch_sub(1, std::memory_order_relaxed);
    lock.unlock();
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    complete(w, {});
    return true;
  }
  if (tokens_ < prepared_) {
    ++tokens_;
    return true;
  }
  return false;
}

void wake_signal::notify_all() noexcept {
  waiter* list = nullptr;
  {
    std::lock_guard lock(mutex_);
    tokens_ = prepared_;
    while (waiter* w = head_) {
      unlink(w);
      interest_.fetch_sub(1, std::memory_order_relaxed);
      w->next = list;
      list = w;
    }
  }
  while (list) {
    waiter* w = list;
    list = w->next;
    wakeups_.fetch_add(1, std::memory_order_relaxed);
    complete(w, {});
  }
}

void wake_signal::close() noexcept {
  waiter* list = nullptr;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    while (waiter* w = head_) {
      unlink(w);
      interest_.fetch_sub(1, std::memory_order_relaxed);
      w->next = list;
      list = w;
    }
  }
  while (list) {
    waiter* w = list;
    list = w->next;
    complete(w, asio::error::operation_aborted);
  }
}

int wake_signal::parked() const noexcept {
  std::lock_guard lock(mutex_);
  int n = 0;
  for (waiter* w = head_; w; w = w->next) ++n;
  return n;
}

void wake_signal::cancel_waiter(waiter* w) noexcept {
  {
    std::lock_guard lock(mutex_);
    if (!w->linked) return;  // already released; its completion is queued
    unlink(w);
    interest_.fetch_sub(1, std::memory_order_relaxed);
  }
  complete(w, asio::error::operation_aborted);
}

void wake_signal::complete(waiter* w, boost::system::error_code ec) noexcept {
  // Runs the handler on its own executor; the slot is cleared there, where it may be emitted.
  auto run = [w, ec]() mutable {
    std::unique_ptr<waiter> owned(w);
    if (owned->slot.is_connected()) owned->slot.clear();
    auto handler = std::move(owned->handler);
    owned.reset();
    std::move(handler)(ec);
  };
  if (w->target) {
    const asio::any_io_executor target = w->target;
    asio::post(target, std::move(run));  // one hop, straight onto the waiter's strand
  } else {
    const asio::any_completion_executor ex = w->executor;
    asio::post(fallback_, asio::bind_executor(ex, std::move(run)));
  }
}

void wake_signal::complete_now(wait_handler handler, const asio::any_io_executor& target,
                               boost::system::error_code ec) noexcept {
  asio::post(target ? target : fallback_, asio::append(std::move(handler), ec));
}

void wake_signal::link_back(waiter* w) noexcept {
  w->prev = tail_;
  w->next = nullptr;
  (tail_ ? tail_->next : head_) = w;
  tail_ = w;
  w->linked = true;
}

void wake_signal::unlink(waiter* w) noexcept {
  (w->prev ? w->prev->next : head_) = w->next;
  (w->next ? w->next->prev : tail_) = w->prev;
  w->prev = w->next = nullptr;
  w->linked = false;
}

}  // namespace sluice::detail
