// Handler context (see context.hpp).
#include "sluice/context.hpp"

#include "sluice/detail/engine_core.hpp"
#include "sluice/error.hpp"
#include "sluice/lease/delivery_lease.hpp"

namespace sluice {

detail::enqueue_request context::child_request(std::string_view queue, std::string_view type, std::string_view payload,
                                               enqueue_options& options) const {
  const detail::parent_info parent{message_->id, message_->effective_correlation_id(),
                                   core_->tracing().process_traceparent(*message_)};
  return detail::prepare_enqueue(*core_, queue, type, payload, options, &parent);
}

boost::system::error_code context::extend_lease(std::chrono::milliseconds d) noexcept {
  if (lease_ == nullptr) return {};  // no timeout, no lease: nothing can take the message away
  const sys_time until = core_->clock().now() + std::max(d, std::chrono::milliseconds(0));
  if (lease_->extend(epoch_, until) == delivery_lease::extend_result::lost) {
    lease_lost_->fetch_add(1, std::memory_order_relaxed);
    return make_error_code(errc::lease_lost);
  }
  return {};
}

}  // namespace sluice
