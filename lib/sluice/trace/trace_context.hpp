// W3C Trace Context for messages: the `traceparent` header a message carries
// ("00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>"), so that a chain of messages
// (order -> payment -> notification) is one trace, and span ids derived from a message id and an
// attempt, so that a retry's span can link to the previous attempt's without storing it.
// Thread-safety: values; no shared state.
#pragma once

#include "sluice/message/message_id.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::trace {

struct trace_id {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  [[nodiscard]] constexpr bool empty() const noexcept { return hi == 0 && lo == 0; }
  friend constexpr bool operator==(const trace_id&, const trace_id&) = default;
};

struct trace_context {
  trace_id trace;
  std::uint64_t span = 0;  // the span this context names as parent
  bool sampled = false;

  // nullopt for anything but a version-00 traceparent with non-zero ids (per the W3C spec, an
  // invalid header is ignored: the message starts a new trace).
  [[nodiscard]] static std::optional<trace_context> parse(std::string_view traceparent) noexcept;
  [[nodiscard]] std::string to_traceparent() const;
};

// Lowercase hex, 16 or 32 characters (the OTLP/JSON form of ids).
[[nodiscard]] std::string to_hex(std::uint64_t v);
[[nodiscard]] std::string to_hex(const trace_id& t);

// The span id of delivery `attempt` (1, 2, ...) of message `id` after `replays` operator replays
// (a replay may reset the attempt count): never zero, and the same in every process, so attempt
// n can link to attempt n-1.
[[nodiscard]] std::uint64_t attempt_span_id(const message_id& id, std::uint32_t replays,
                                            std::uint32_t attempt) noexcept;

}  // namespace sluice::trace
