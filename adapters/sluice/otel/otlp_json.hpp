// Spans as an OTLP/HTTP JSON body (an ExportTraceServiceRequest, opentelemetry-proto's JSON
// mapping): lowerCamelCase keys, trace and span ids as lowercase hex, 64-bit integers (times,
// intValue) as decimal strings, span kind PRODUCER 4 and CONSUMER 5, status code 1 (ok) or 2
// (error, with its message). One resource (service.name) and one scope ("sluice").
#pragma once

#include <sluice/trace/span.hpp>

#include <string>
#include <vector>

namespace sluice::otel {

struct resource_info {
  std::string service_name = "sluice";
  std::string service_instance;  // empty: not sent
};

[[nodiscard]] std::string otlp_json(const std::vector<trace::span>& spans, const resource_info& resource);

}  // namespace sluice::otel
