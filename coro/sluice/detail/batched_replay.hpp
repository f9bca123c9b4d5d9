// engine::async_replay_dead_letters: replays dead letters in batches, pausing on the engine's
// clock between them, reporting progress after each. A coroutine on its own strand that counts as
// one of the engine's coroutines, so stop() waits for it; stop() also cuts its pause short, and it
// then completes with errc::shutting_down and what it had replayed.
// Thread-safety: start from any thread.
#pragma once

#include "sluice/dead_letters.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

namespace sluice::detail {

class engine_core;

using replay_handler = boost::asio::any_completion_handler<void(boost::system::error_code, replay_report)>;

void start_batched_replay(engine_core& core, dead_letter_filter filter, replay_batch_options options,
                          replay_handler handler);

}  // namespace sluice::detail
