// Listing the messages an engine holds, by state, for operators (engine::list_messages and
// engine::find_message): live summaries from each queue's live_index, dead letters from its
// dead-letter store, merged oldest first.
#pragma once

#include "sluice/message_info.hpp"

#include <cstddef>
#include <optional>
#include <vector>

namespace sluice::detail {

class engine_core;

[[nodiscard]] std::vector<message_info> list_messages(const engine_core& core, const message_filter& filter,
                                                      std::size_t limit, std::size_t offset);
[[nodiscard]] std::optional<message_info> find_message(const engine_core& core, const message_id& id);

}  // namespace sluice::detail
