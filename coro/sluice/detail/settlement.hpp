// What happens to a delivery once its handler has returned or thrown. Success acknowledges the
// message; failure records the exception's type and text. This is the extension point where
// retries with backoff, dead-lettering and the journal's ack/fail records attach.
// Thread-safety: called concurrently by workers of every queue.
#pragma once

#include "sluice/detail/delivery_stats.hpp"
#include "sluice/message/failure.hpp"
#include "sluice/message/message.hpp"

#include <chrono>
#include <exception>
#include <memory>

namespace sluice::detail {

class engine_core;
class queue_runtime;

// The exception's demangled type and message; never throws.
[[nodiscard]] failure describe(const std::exception_ptr& error) noexcept;

class settlement {
 public:
  explicit settlement(engine_core& core) noexcept : core_(core) {}

  // `stats` belongs to the calling worker (single writer).
  void succeeded(queue_runtime& queue, delivery_stats& stats, std::unique_ptr<message> m,
                 std::chrono::nanoseconds took) noexcept;
  void failed(queue_runtime& queue, delivery_stats& stats, std::unique_ptr<message> m, failure why,
              std::chrono::nanoseconds took) noexcept;

 private:
  engine_core& core_;
};

}  // namespace sluice::detail
