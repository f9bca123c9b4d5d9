// Per-queue timer structure (see timekeeper.hpp).
#include "sluice/detail/timekeeper.hpp"

#include "sluice/detail/queue_runtime.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <vector>

namespace sluice::detail {

namespace asio = boost::asio;

timekeeper::timekeeper(const asio::any_io_executor& ex, sluice::clock& clock, queue_runtime& queue)
    : clock_(clock), queue_(queue), strand_(asio::make_strand(ex)), alarm_(strand_, clock), rearm_(strand_) {}

timekeeper::~timekeeper() {
  std::lock_guard lock(mutex_);
  while (!heap_.empty()) delete heap_.pop().m;
}

void timekeeper::schedule(std::unique_ptr<message> m, sys_time due, origin why) {
  if (queue_.live().enabled()) queue_.live().scheduled(*m, due);
  bool earlier = false;
  {
    std::lock_guard lock(mutex_);
    heap_.push(due, waiting{m.get(), why});
    (void)m.release();
    if (why == origin::delayed_enqueue) delayed_.fetch_add(1, std::memory_order_relaxed);
    earlier = due < armed_;
    if (earlier) armed_ = due;  // later schedules before run() looks again need no re-arm of their own
  }
  if (!earlier) return;                              // run() already waits for something sooner
  rearm_.notify_one();                               // run() parked with nothing scheduled
  asio::post(strand_, [this] { alarm_.cancel(); });  // run() waits for a later moment: re-arm
}

std::size_t timekeeper::scheduled() const {
  std::lock_guard lock(mutex_);
  return heap_.size();
}

void timekeeper::stop() {
  stopping_.store(true, std::memory_order_release);
  rearm_.close();
  asio::post(strand_, [this] { alarm_.cancel(); });
}

asio::awaitable<void> timekeeper::run() {
  std::vector<message*> due;
  while (!stopping_.load(std::memory_order_acquire)) {
    sys_time next = idle;
    rearm_.prepare();  // before looking, so a schedule() after the look wakes us
    {
      std::lock_guard lock(mutex_);
      const sys_time now = clock_.now();
      while (!heap_.empty() && heap_.earliest() <= now) {
        const waiting w = heap_.pop();
        if (w.why == origin::delayed_enqueue) delayed_.fetch_sub(1, std::memory_order_relaxed);
        due.push_back(w.m);
      }
      if (!heap_.empty()) next = heap_.earliest();
      armed_ = due.empty() ? next : sys_time::min();  // publishing first; look again after
    }
    if (!due.empty()) {
      rearm_.cancel_prepare();
      for (message* m : due) queue_.publish_forced(std::unique_ptr<message>(m));
      due.clear();
      continue;
    }
    if (next == idle) {
      auto [ec] = co_await rearm_.async_wait(asio::as_tuple(asio::use_awaitable));
      (void)ec;  // notified, or closed by stop(): the loop decides
      continue;
    }
    rearm_.cancel_prepare();
    auto [ec] = co_await alarm_.async_wait_until(next, asio::as_tuple(asio::use_awaitable));
    (void)ec;  // due, or cancelled by an earlier schedule() or stop(): look again
  }
}

}  // namespace sluice::detail
