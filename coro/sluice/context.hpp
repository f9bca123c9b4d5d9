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
#include "sluice/detail/enqueue_request.hpp"
#include "sluice/message/message.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class context {
 public:
  // ex and outcome must outlive the context (the worker's own executor; the delivery's outcome).
  context(detail::engine_core& core, message& m, std::string_view queue, const boost::asio::any_io_executor& ex,
          detail::delivery_outcome& outcome) noexcept
      : core_(&core), message_(&m), queue_(queue), executor_(&ex), outcome_(&outcome) {}

  [[nodiscard]] const message_id& id() const noexcept { return message_->id; }
  [[nodiscard]] std::string_view queue() const noexcept { return queue_; }
  [[nodiscard]] std::string_view type() const noexcept { return message_->type; }
  [[nodiscard]] std::uint32_t attempt() const noexcept { return message_->attempt; }
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

  // Chained enqueue; completes with the child's id once it is admitted (durable, when
  // persistence is on). Allowed while the engine drains for stop, so in-flight work can finish.
  template <typed_message T, class Token>
  auto async_enqueue(std::string_view queue, const T& value, enqueue_options options, Token&& token) {
    detail::enqueue_request r = child_request(queue, {}, {}, std::move(options));
    r.type = message_traits<T>::type_name();
    r.payload = encode(value);
    return detail::async_enqueue(*core_, std::move(r), std::forward<Token>(token));
  }

  template <typed_message T, class Token>
  auto async_enqueue(std::string_view queue, const T& value, Token&& token) {
    return async_enqueue(queue, value, enqueue_options{}, std::forward<Token>(token));
  }

  template <class Token>
  auto async_enqueue_raw(std::string_view queue, std::string_view type, std::string_view payload,
                         enqueue_options options, Token&& token) {
    return detail::async_enqueue(*core_, child_request(queue, type, std::string(payload), std::move(options)),
                                 std::forward<Token>(token));
  }

 private:
  [[nodiscard]] detail::enqueue_request child_request(std::string_view queue, std::string_view type,
                                                      std::string payload, enqueue_options options) const;

  detail::engine_core* core_;
  message* message_;
  std::string_view queue_;
  const boost::asio::any_io_executor* executor_;
  detail::delivery_outcome* outcome_;
};

}  // namespace sluice
