// The engine's side of tracing (engine_options::tracing): stamps each new message with a W3C
// traceparent (continuing its parent's trace, or starting one, sampled at the configured ratio),
// and reports publish and process spans to the sink. Off (no sink): every member returns at once.
// Thread-safety: all members are safe from any thread (ids come from an atomic generator).
#pragma once

#include "sluice/message/failure.hpp"
#include "sluice/message/message.hpp"
#include "sluice/options.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::detail {

class tracer {
 public:
  tracer(tracing_options options, std::uint64_t seed);

  [[nodiscard]] bool enabled() const noexcept { return static_cast<bool>(options_.sink); }

  // A new message: its traceparent header names its publish span. `parent` is the enqueuing
  // handler's process traceparent; empty = the message's own traceparent header, if any.
  void stamp(message& m, std::string_view parent);
  // The traceparent a handler's follow-up messages continue: its delivery's process span.
  [[nodiscard]] std::string process_traceparent(const message& m) const;

  // The enqueue of m completed at `end` (durable, or failed with `error`).
  void published(std::string_view queue, const message& m, sys_time end, const std::string* error) const noexcept;
  // Delivery attempt m.attempt ran from start to end; `error`: why it failed (nullptr = it did not).
  void processed(std::string_view queue, const message& m, sys_time start, sys_time end,
                 const failure* error) const noexcept;

 private:
  [[nodiscard]] std::uint64_t next_id() noexcept;
  void report(std::string_view queue, const message& m, trace::span_kind kind, sys_time start, sys_time end,
              const std::string* publish_error, const failure* process_error) const noexcept;

  tracing_options options_;
  std::atomic<std::uint64_t> state_;
};

}  // namespace sluice::detail
