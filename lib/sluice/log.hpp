// Logging hook: the engine reports through a sink the application supplies (its own logger),
// never to a global. Payload contents are never logged.
// Thread-safety: the sink may be called from any thread the engine runs on; make it thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace sluice {

enum class log_level : std::uint8_t { debug, info, warn, error };

using log_sink = std::function<void(log_level, std::string_view)>;

// Writes warn and error lines to stderr; the default when the application gives no sink.
void stderr_log_sink(log_level level, std::string_view line);

}  // namespace sluice
