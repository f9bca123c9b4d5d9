// Spans as an OTLP/HTTP JSON body (see otlp_json.hpp).
#include "sluice/otel/otlp_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>

namespace sluice::otel {

namespace {

namespace json = boost::json;

std::string unix_nanos(sys_time t) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return std::to_string(ns < 0 ? 0 : ns);
}

json::object any_value(const trace::attribute_value& v) {
  return std::visit(
      [](const auto& x) -> json::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return {{"stringValue", x}};
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return {{"intValue", std::to_string(x)}};
        } else if constexpr (std::is_same_v<T, bool>) {
          return {{"boolValue", x}};
        } else {
          return {{"doubleValue", x}};
        }
      },
      v);
}

json::array attributes(const std::vector<trace::attribute>& attrs) {
  json::array out;
  for (const auto& [key, value] : attrs) out.push_back(json::object{{"key", key}, {"value", any_value(value)}});
  return out;
}

json::object span_json(const trace::span& s) {
  json::object o{{"traceId", trace::to_hex(s.trace)},
                 {"spanId", trace::to_hex(s.id)},
                 {"name", s.name},
                 {"kind", s.kind == trace::span_kind::producer ? 4 : 5},
                 {"startTimeUnixNano", unix_nanos(s.start)},
                 {"endTimeUnixNano", unix_nanos(s.end)},
                 {"attributes", attributes(s.attributes)}};
  if (s.parent != 0) o["parentSpanId"] = trace::to_hex(s.parent);
  if (!s.links.empty()) {
    json::array links;
    for (const auto& l : s.links) {
      links.push_back(json::object{{"traceId", trace::to_hex(l.trace)}, {"spanId", trace::to_hex(l.span)}});
    }
    o["links"] = std::move(links);
  }
  if (s.error) {
    o["status"] = json::object{{"code", 2}, {"message", s.status_message.empty() ? "failed" : s.status_message}};
  } else {
    o["status"] = json::object{{"code", 1}};
  }
  return o;
}

}  // namespace

std::string otlp_json(const std::vector<trace::span>& spans, const resource_info& resource) {
  std::vector<trace::attribute> resource_attrs{{"service.name", resource.service_name}};
  if (!resource.service_instance.empty()) resource_attrs.emplace_back("service.instance.id", resource.service_instance);
  json::array list;
  list.reserve(spans.size());
  for (const auto& s : spans) list.push_back(span_json(s));
  json::object scope_spans{{"scope", json::object{{"name", "sluice"}}}, {"spans", std::move(list)}};
  json::object resource_spans{{"resource", json::object{{"attributes", attributes(resource_attrs)}}},
                              {"scopeSpans", json::array{std::move(scope_spans)}}};
  return json::serialize(json::object{{"resourceSpans", json::array{std::move(resource_spans)}}});
}

}  // namespace sluice::otel
