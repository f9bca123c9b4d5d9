// The engine's side of tracing (see tracer.hpp).
#include "sluice/detail/tracer.hpp"

#include "sluice/trace/trace_context.hpp"

#include <algorithm>

namespace sluice::detail {

namespace {

constexpr std::string_view traceparent_header = "traceparent";

std::optional<trace::trace_context> context_of(const message& m) {
  for (const auto& [name, value] : m.headers) {
    if (name == traceparent_header) return trace::trace_context::parse(value);
  }
  return std::nullopt;
}

std::vector<trace::attribute> messaging_attributes(std::string_view queue, const message& m, const char* operation) {
  return {{"messaging.system", std::string("sluice")},
          {"messaging.destination.name", std::string(queue)},
          {"messaging.operation.type", std::string(operation)},
          {"messaging.message.id", m.id.to_string()},
          {"messaging.message.conversation_id", m.effective_correlation_id()}};
}

}  // namespace

tracer::tracer(tracing_options options, std::uint64_t seed) : options_(std::move(options)), state_(seed | 1U) {
  options_.sample_ratio = std::clamp(options_.sample_ratio, 0.0, 1.0);
}

std::uint64_t tracer::next_id() noexcept {
  // splitmix64 over an atomic counter: distinct, well-mixed, never zero.
  std::uint64_t x = state_.fetch_add(0x9E3779B97F4A7C15ULL, std::memory_order_relaxed);
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x == 0 ? 1 : x;
}

void tracer::stamp(message& m, std::string_view parent) {
  if (!enabled()) return;
  std::optional<trace::trace_context> from = parent.empty() ? context_of(m) : trace::trace_context::parse(parent);
  trace::trace_context mine;
  if (from) {
    mine.trace = from->trace;
    mine.sampled = from->sampled;
    m.publish_parent_span = from->span;
  } else {
    mine.trace = {next_id(), next_id()};
    mine.sampled = static_cast<double>(next_id() >> 11) / static_cast<double>(1ULL << 53) < options_.sample_ratio;
    m.publish_parent_span = 0;
  }
  mine.span = next_id();
  std::string value = mine.to_traceparent();
  auto it =
      std::find_if(m.headers.begin(), m.headers.end(), [](const header& h) { return h.first == traceparent_header; });
  if (it != m.headers.end()) {
    it->second = std::move(value);
  } else {
    m.headers.emplace_back(std::string(traceparent_header), std::move(value));
  }
}

std::string tracer::process_traceparent(const message& m) const {
  if (!enabled()) return {};
  auto ctx = context_of(m);
  if (!ctx) return {};
  ctx->span = trace::attempt_span_id(m.id, m.replays, m.attempt);
  return ctx->to_traceparent();
}

void tracer::published(std::string_view queue, const message& m, sys_time end,
                       const std::string* error) const noexcept {
  report(queue, m, trace::span_kind::producer, m.enqueued_at, end, error, nullptr);
}

void tracer::processed(std::string_view queue, const message& m, sys_time start, sys_time end,
                       const failure* error) const noexcept {
  report(queue, m, trace::span_kind::consumer, start, end, nullptr, error);
}

void tracer::report(std::string_view queue, const message& m, trace::span_kind kind, sys_time start, sys_time end,
                    const std::string* publish_error, const failure* process_error) const noexcept {
  if (!enabled()) return;
  try {
    const auto ctx = context_of(m);
    if (!ctx || !ctx->sampled) return;
    const bool publish = kind == trace::span_kind::producer;
    trace::span s;
    s.trace = ctx->trace;
    // A publish span is named by the message's traceparent; a process span is its child.
    s.id = publish ? ctx->span : trace::attempt_span_id(m.id, m.replays, m.attempt);
    s.parent = publish ? m.publish_parent_span : ctx->span;
    s.name = (publish ? "publish " : "process ") + std::string(queue);
    s.kind = kind;
    s.start = start;
    s.end = std::max(end, start);
    s.attributes = messaging_attributes(queue, m, publish ? "publish" : "process");
    if (!publish) {
      s.attributes.emplace_back("sluice.attempt", static_cast<std::int64_t>(m.attempt));
      if (m.attempt > 1) s.links.push_back({ctx->trace, trace::attempt_span_id(m.id, m.replays, m.attempt - 1)});
    }
    if (publish_error) {
      s.error = true;
      s.status_message = *publish_error;
    } else if (process_error) {
      s.error = true;
      s.status_message = process_error->error_type + ": " + process_error->what;
    }
    options_.sink(std::move(s));
  } catch (...) {
    // A failing sink or no memory: the span is lost, never the message or the delivery.
  }
}

}  // namespace sluice::detail
