// Listing the messages an engine holds (see message_listing.hpp).
#include "sluice/detail/message_listing.hpp"

#include "sluice/detail/engine_core.hpp"
#include "sluice/detail/queue_runtime.hpp"

#include <algorithm>

namespace sluice::detail {

namespace {

message_info info_of(const dead_letter& d) {
  message_info i;
  i.id = d.envelope.id;
  i.queue = d.queue;
  i.type = d.envelope.type;
  i.state = message_state::dead_letter;
  i.correlation_id = d.envelope.effective_correlation_id();
  i.attempt = d.envelope.attempt;
  i.replays = d.envelope.replays;
  i.payload_bytes = d.envelope.payload.size();
  i.enqueued_at = d.envelope.enqueued_at;
  i.since = d.dead_lettered_at;
  return i;
}

bool matches(const message_filter& f, const message_info& i) {
  return (!f.state || *f.state == i.state) && (f.type.empty() || f.type == i.type) &&
         (f.correlation_id.empty() || f.correlation_id == i.correlation_id);
}

bool older(const message_info& a, const message_info& b) {
  return a.enqueued_at != b.enqueued_at ? a.enqueued_at < b.enqueued_at : a.id < b.id;
}

}  // namespace

std::vector<message_info> list_messages(const engine_core& core, const message_filter& filter, std::size_t limit,
                                        std::size_t offset) {
  std::vector<message_info> all;
  for (const auto& q : core.queues()) {
    if (!filter.queue.empty() && filter.queue != q->name()) continue;
    if (!filter.state || *filter.state != message_state::dead_letter) {
      q->live().for_each([&](const message_info& i) {
        if (!matches(filter, i)) return;
        all.push_back(i);
        all.back().queue = q->name();
      });
    }
    if (!filter.state || *filter.state == message_state::dead_letter) {
      dead_letter_filter letters;
      letters.queue = q->name();
      // At most offset + limit letters per queue are copied (a queue's letters are oldest first).
      const std::size_t wanted = limit > SIZE_MAX - offset ? SIZE_MAX : offset + limit;
      for (const auto& d : q->dead_letters().list(letters, wanted, 0)) {
        message_info i = info_of(d);
        if (matches(filter, i)) all.push_back(std::move(i));
      }
    }
  }
  if (offset >= all.size()) return {};
  const std::size_t end = offset + std::min(limit, all.size() - offset);
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(end), all.end(), older);
  return {std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(offset)),
          std::make_move_iterator(all.begin() + static_cast<std::ptrdiff_t>(end))};
}

std::optional<message_info> find_message(const engine_core& core, const message_id& id) {
  for (const auto& q : core.queues()) {
    if (auto i = q->live().find(id)) {
      i->queue = q->name();
      return i;
    }
    if (auto d = q->dead_letters().get(id)) return info_of(*d);
  }
  return std::nullopt;
}

}  // namespace sluice::detail
