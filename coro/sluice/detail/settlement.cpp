// Delivery outcomes (see settlement.hpp).
#include "sluice/detail/settlement.hpp"

#include "sluice/detail/engine_core.hpp"
#include "sluice/detail/queue_runtime.hpp"

#include <boost/core/demangle.hpp>

#include <typeinfo>

namespace sluice::detail {

failure describe(const std::exception_ptr& error) noexcept {
  try {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return failure{boost::core::demangle(typeid(e).name()), e.what()};
    } catch (...) {
      return failure{"unknown exception", "a handler threw an object not derived from std::exception"};
    }
  } catch (...) {
    return failure{"unknown exception", ""};  // only if allocating the strings failed
  }
}

void settlement::succeeded(queue_runtime& queue, delivery_stats& stats, std::unique_ptr<message> m,
                           std::chrono::nanoseconds took) noexcept {
  stats.processing.record_single_writer(took);
  delivery_stats::bump(stats.processed);
  queue.recycle(std::move(m));
}

void settlement::failed(queue_runtime& queue, delivery_stats& stats, std::unique_ptr<message> m, failure why,
                        std::chrono::nanoseconds took) noexcept {
  stats.processing.record_single_writer(took);
  delivery_stats::bump(stats.failed);
  try {
    queue.record_failure(failure_record{m->id, m->type, m->attempt, std::move(why), core_.clock().now()});
  } catch (...) {
    core_.log(log_level::warn, "could not record a handler failure (out of memory)");
  }
  queue.recycle(std::move(m));
}

}  // namespace sluice::detail
