// Handler type erasure: every handler, typed or raw, becomes a handler_fn that the workers call
// with the message and its context. Typed handlers decode the JSON payload first; a payload that
// does not decode fails the delivery with sluice::decode_error.
#pragma once

#include "sluice/codec.hpp"
#include "sluice/message/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <concepts>
#include <functional>
#include <string>
#include <string_view>

namespace sluice {

class context;

using handler_fn = std::function<boost::asio::awaitable<void>(message&, context&)>;

// A raw handler receives the payload bytes, valid until the handler returns (copy what it keeps);
// ctx.type() tells the message type.
template <class F>
concept raw_message_handler = std::invocable<const F&, std::string_view, context&> &&
    std::same_as<std::invoke_result_t<const F&, std::string_view, context&>, boost::asio::awaitable<void>>;

template <class F, class T>
concept message_handler = std::invocable<const F&, T, context&> &&
    std::same_as<std::invoke_result_t<const F&, T, context&>, boost::asio::awaitable<void>>;

namespace detail {

// fn lives in the handler registry for the engine's lifetime, so the coroutine may refer to it.
template <class T, class F>
boost::asio::awaitable<void> invoke_typed(const F& fn, message& m, context& ctx) {
  T value = decode<T>(m.payload);
  co_await fn(std::move(value), ctx);
}

template <class T, class F>
handler_fn make_typed_handler(F fn) {
  return [fn = std::move(fn)](message& m, context& ctx) { return invoke_typed<T>(fn, m, ctx); };
}

template <class F>
handler_fn make_raw_handler(F fn) {
  return [fn = std::move(fn)](message& m, context& ctx) { return fn(std::string_view(m.payload), ctx); };
}

}  // namespace detail
}  // namespace sluice
