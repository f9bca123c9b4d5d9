// A finished span as the engine reports it to a span sink (engine_options::tracing): the
// OpenTelemetry messaging conventions' "publish <queue>" (producer) and "process <queue>"
// (consumer) spans, with their attributes and links. Exporters (adapters/sluice/otel) turn spans
// into OTLP.
#pragma once

#include "sluice/time/clock.hpp"
#include "sluice/trace/trace_context.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace sluice::trace {

enum class span_kind : std::uint8_t { producer, consumer };

using attribute_value = std::variant<std::string, std::int64_t, bool, double>;
using attribute = std::pair<std::string, attribute_value>;

struct span_link {
  trace_id trace;
  std::uint64_t span = 0;
};

struct span {
  trace_id trace;
  std::uint64_t id = 0;
  std::uint64_t parent = 0;  // 0: a root span
  std::string name;
  span_kind kind = span_kind::producer;
  sys_time start{};
  sys_time end{};
  bool error = false;
  std::string status_message;  // why, when error
  std::vector<attribute> attributes;
  std::vector<span_link> links;
};

}  // namespace sluice::trace
