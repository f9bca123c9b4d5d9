// engine::async_snapshot: asks the snapshot thread for a snapshot now and completes with its
// report on the handler's executor (errc::not_running unless the engine runs, errc::invalid_argument
// when it has no snapshots: in memory, or persistence_options::snapshots off).
// Thread-safety: from any thread.
#pragma once

#include "sluice/stats.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/system/error_code.hpp>

namespace sluice::detail {

class engine_core;

using snapshot_handler = boost::asio::any_completion_handler<void(boost::system::error_code, snapshot_report)>;

void start_snapshot(engine_core& core, snapshot_handler handler);

}  // namespace sluice::detail
