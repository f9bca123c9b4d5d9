// What a handler sees of its delivery: the message metadata, the executor it runs on, and
// async_enqueue for chaining follow-up messages (they inherit the correlation id and name this
// message as their cause). Cancellation (stop deadline, later timeouts) reaches the handler
// through its coroutine's cancellation state, so an awaited socket, timer or channel operation
// completes with operation_aborted.
// Thread-safety: a context belongs to one delivery; use it from the handler's coroutine only.
// Lifetime: valid until the handler's coroutine returns.
#pragma once

#include "sluice/codec.hpp"
#include "sluice/detail/delivery_outcome.hpp"
#include "sluice/detail/enqueue_api.hpp"
#include "sluice/detail/enqueue_request.hpp"
#include "sluice/message/message.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <atomic>
#include <cstdint>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class delivery_lease;

class context : public detail::enqueue_api<context> {
 public:
  // ex, outcome, lease and lease_lost must outlive the context (the worker's own executor and
  // counter; the delivery's outcome and lease, null when its handler has no timeout or lease).
  context(detail::engine_core& core, message& m, std::string_view queue, const boost::asio::any_io_executor& ex,
          detail::delivery_outcome& outcome, delivery_lease* lease, std::atomic<std::uint64_t>& lease_lost) noexcept
      : core_(&core),
        message_(&m),
        queue_(queue),
        executor_(&ex),
        outcome_(&outcome),
        lease_(lease),
        lease_lost_(&lease_lost),
        epoch_(m.lease_epoch) {}

  [[nodiscard]] const message_id& id() const noexcept { return message_->id; }
  [[nodiscard]] std::string_view queue() const noexcept { return queue_; }
  [[nodiscard]] std::string_view type() const noexcept { return message_->type; }
  [[nodiscard]] std::uint32_t attempt() const noexcept { return message_->attempt; }
  // This checkout's fencing token: every delivery of a message gets a higher one.
  // Times an operator replayed this message out of the dead-letter queue (0 for a fresh one).
  [[nodiscard]] std::uint32_t replays() const noexcept { return message_->replays; }
  [[nodiscard]] std::uint64_t lease_epoch() const noexcept { return epoch_; }
  [[nodiscard]] std::string correlation_id() const { return message_->effective_correlation_id(); }
  [[nodiscard]] const message_id& causation_id() const noexcept { return message_->causation_id; }
  [[nodiscard]] const std::vector<header>& headers() const noexcept { return message_->headers; }
  [[nodiscard]] sys_time enqueued_at() const noexcept { return message_->enqueued_at; }
  [[nodiscard]] const boost::asio::any_io_executor& get_executor() const noexcept { return *executor_; }

  // Runs the message again after `delay` without spending an attempt; return normally after
  // calling it (a later call replaces the delay). For "not yet" conditions, not failures.
  void snooze(std::chrono::milliseconds delay) noexcept { outcome_->snooze = delay; }

  // A failure of this delivery (an exception the handler throws after this call) is permanent:
  // the message goes to the dead-letter queue without retries, as for validation errors.
  // Throwing sluice::permanent_error does the same.
  void mark_permanent_failure() noexcept { outcome_->permanent = true; }

  // Keeps this delivery's claim for at least `d` from now: moves the lease, and the handler's
  // timeout unless it has fired already, to now + d (never earlier). For long work, and required
  // when the handler runs with heartbeat off. Completion signature void(error_code):
  // errc::lease_lost once the delivery was revoked (stuck or expired; counted in lease_lost).
  // Asynchronous because with persistence the extension is journaled.
  template <class Token>
  auto async_extend_lease(std::chrono::milliseconds d, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
        [this](auto handler, std::chrono::milliseconds by) {
          const boost::system::error_code ec = extend_lease(by);
          const auto ex = boost::asio::get_associated_executor(handler, *executor_);
          boost::asio::post(ex, boost::asio::append(std::move(handler), ec));
        },
        token, d);
  }

  // Chained enqueue; completes with the child's id once it is admitted (durable, when
  // persistence is on). Allowed while the engine drains for stop, so in-flight work can finish.
  // async_enqueue and async_enqueue_raw: the same overloads as engine's (detail/enqueue_api.hpp,
  // inherited). With g++ 12 the message, options and payload must not be temporaries.

 private:
  friend class detail::enqueue_api<context>;
  template <typed_message T, class Token>
  auto enqueue_typed(std::string_view queue, const T& value, enqueue_options options, Token&& token) {
    const std::string payload = encode(value);
    return detail::async_enqueue(*core_, child_request(queue, message_traits<T>::type_name(), payload, options),
                                 std::forward<Token>(token));
  }
  template <class Token>
  auto enqueue_raw(std::string_view queue, std::string_view type, std::string_view payload, enqueue_options options,
                   Token&& token) {
    return detail::async_enqueue(*core_, child_request(queue, type, payload, options), std::forward<Token>(token));
  }
  [[nodiscard]] detail::enqueue_request child_request(std::string_view queue, std::string_view type,
                                                      std::string_view payload, enqueue_options& options) const;

  [[nodiscard]] boost::system::error_code extend_lease(std::chrono::milliseconds d) noexcept;

  detail::engine_core* core_;
  message* message_;
  std::string_view queue_;
  const boost::asio::any_io_executor* executor_;
  detail::delivery_outcome* outcome_;
  delivery_lease* lease_;
  std::atomic<std::uint64_t>* lease_lost_;
  std::uint64_t epoch_;
};

}  // namespace sluice
