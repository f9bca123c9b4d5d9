// engine::async_flush: completes once everything the engine recorded before the call is durable
// (fdatasync'ed in fsync mode, written in buffered mode); at once in memory.
// Thread-safety: from any thread.
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

namespace sluice::detail {

class engine_core;

using flush_handler = boost::asio::any_completion_handler<void(boost::system::error_code)>;

void start_flush(engine_core& core, flush_handler handler);

}  // namespace sluice::detail
