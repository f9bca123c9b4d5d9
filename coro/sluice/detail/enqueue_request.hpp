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

#include <string>

namespace sluice::detail {

class engine_core;

struct enqueue_request {
  std::string queue;
  std::string type;
  std::string payload;
  enqueue_options options;
  // Set when a handler enqueues through its context (chaining); copied, so a deferred operation
  // may outlive the parent delivery.
  bool has_parent = false;
  message_id parent_id;
  std::string parent_correlation_id;
};

using enqueue_handler = boost::asio::any_completion_handler<void(boost::system::error_code, message_id)>;

void start_enqueue(engine_core& core, enqueue_request request, enqueue_handler handler);
[[nodiscard]] boost::system::result<message_id> try_enqueue(engine_core& core, enqueue_request request);

template <class Token>
auto async_enqueue(engine_core& core, enqueue_request request, Token&& token) {
  return boost::asio::async_initiate<Token, void(boost::system::error_code, message_id)>(
      [](auto handler, engine_core* c, enqueue_request r) {
        start_enqueue(*c, std::move(r), enqueue_handler(std::move(handler)));
      },
      token, &core, std::move(request));
}

}  // namespace sluice::detail
