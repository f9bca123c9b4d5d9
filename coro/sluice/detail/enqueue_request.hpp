// The non-template core of every enqueue. The public templates (engine::async_enqueue,
// context::async_enqueue, try_enqueue) prepare an enqueue_request at the call: the queue and
// handler are looked up, the payload is copied into an envelope (a recycled one when the queue
// has one), the message gets its id and time. The operation then admits it when it starts.
//
// Completion: any Asio completion token. With asio::use_awaitable (plain or as_tuple) an enqueue
// that can complete at once (in memory, with room in the queue, or refused) resumes the awaiting
// coroutine without a trip through the executor: the awaitable returned finishes inside the
// co_await. Anything that has to wait (for the journal, or for room) goes through the same
// asynchronous path as the other tokens.
#pragma once

#include "sluice/message/message.hpp"
#include "sluice/message/message_id.hpp"
#include "sluice/options.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace sluice::detail {

class engine_core;
class queue_runtime;

// The delivery a chained enqueue comes from.
struct parent_info {
  message_id id;
  std::string correlation_id;
  std::string traceparent;  // the parent delivery's process span, when tracing
};

// An enqueue prepared at the call; the operation owns it (a deferred operation may start long
// after the caller's strings are gone).
struct enqueue_request {
  boost::system::error_code error;  // preparation failed: the enqueue completes with it
  queue_runtime* queue = nullptr;
  std::unique_ptr<message> m;
  dedup_mode dedup = dedup_mode::replace_pending;
  full_policy on_full = full_policy::wait;
  bool child = false;           // enqueued by a handler (allowed while the engine drains)
  bool waits_for_room = false;  // admission was tried and found the queue full
};

// Validates and builds the message (moves what it keeps out of `options`).
[[nodiscard]] enqueue_request prepare_enqueue(engine_core& core, std::string_view queue, std::string_view type,
                                              std::string_view payload, enqueue_options& options,
                                              const parent_info* parent = nullptr);

using enqueue_handler = boost::asio::any_completion_handler<void(boost::system::error_code, message_id)>;

void start_enqueue(engine_core& core, enqueue_request request, enqueue_handler handler);
// Finishes the enqueue here when it can without waiting (in memory with room, refused, or
// failed); nothing when it must wait for the journal or for room (the request is kept for
// start_enqueue).
[[nodiscard]] std::optional<boost::system::result<message_id>> enqueue_at_once(engine_core& core,
                                                                               enqueue_request& request);
[[nodiscard]] boost::asio::awaitable<message_id> enqueue_awaitable(engine_core& core, enqueue_request request);
[[nodiscard]] boost::asio::awaitable<std::tuple<boost::system::error_code, message_id>> enqueue_awaitable_tuple(
    engine_core& core, enqueue_request request);
// The synchronous path (try_enqueue): never waits; a full queue is errc::queue_full.
[[nodiscard]] boost::system::result<message_id> try_enqueue(engine_core& core, enqueue_request request);

template <class Token>
auto async_enqueue(engine_core& core, enqueue_request request, Token&& token) {
  namespace asio = boost::asio;
  using awaitable_token = asio::use_awaitable_t<asio::any_io_executor>;
  using T = std::decay_t<Token>;
  if constexpr (std::is_same_v<T, awaitable_token>) {
    return enqueue_awaitable(core, std::move(request));
  } else if constexpr (std::is_same_v<T, asio::as_tuple_t<awaitable_token>>) {
    return enqueue_awaitable_tuple(core, std::move(request));
  } else {
    return asio::async_initiate<Token, void(boost::system::error_code, message_id)>(
        [](auto handler, engine_core* c, enqueue_request r) {
          start_enqueue(*c, std::move(r), enqueue_handler(std::move(handler)));
        },
        token, &core, std::move(request));
  }
}

}  // namespace sluice::detail
