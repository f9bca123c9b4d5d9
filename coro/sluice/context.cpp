// Handler context (see context.hpp).
#include "sluice/context.hpp"

namespace sluice {

detail::enqueue_request context::child_request(std::string_view queue, std::string_view type, std::string payload,
                                               enqueue_options options) const {
  detail::enqueue_request r;
  r.queue = queue;
  r.type = type;
  r.payload = std::move(payload);
  r.options = std::move(options);
  r.parent = detail::parent_info{message_->id, message_->effective_correlation_id()};
  return r;
}

}  // namespace sluice
