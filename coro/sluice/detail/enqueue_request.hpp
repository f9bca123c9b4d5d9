// The non-template core of every enqueue: the public templates (engine::async_enqueue,
// context::async_enqueue, try_enqueue) build an enqueue_request and hand it to start_enqueue()
// with a type-erased completion handler, so the engine's body lives in .cpp files.
#pragma once

#include "sluice/message/message_id.hpp"
#include "sluice/options.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace sluice::detail {

class engine_core;

// The delivery a chained enqueue comes from (copied, so a deferred operation may outlive it).
struct parent_info {
  message_id id;
  std::string correlation_id;
  std::string traceparent;  // the parent delivery's process span, when tracing
};

// An asynchronous enqueue owns its arguments: a deferred operation may start long after the
// caller's strings are gone.
struct enqueue_request {
  std::string queue;
  std::string type;
  std::string payload;
  enqueue_options options;
  std::optional<parent_info> parent;  // set when a handler enqueues through its context
};

using enqueue_handler = boost::asio::any_completion_handler<void(boost::system::error_code, message_id)>;

void start_enqueue(engine_core& core, enqueue_request request, enqueue_handler handler);
// The synchronous path borrows its arguments for the duration of the call.
[[nodiscard]] boost::system::result<message_id> try_enqueue(engine_core& core, std::string_view queue,
                                                            std::string_view type, std::string_view payload,
                                                            enqueue_options options);

template <class Token>
auto async_enqueue(engine_core& core, enqueue_request request, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, message_id)>(
      [](auto handler, engine_core* c, enqueue_request r) {
        start_enqueue(*c, std::move(r), enqueue_handler(std::move(handler)));
      },
      token, &core, std::move(request));
}

}  // namespace sluice::detail
