// W3C Trace Context for messages (see trace_context.hpp).
#include "sluice/trace/trace_context.hpp"

namespace sluice::trace {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

std::optional<std::uint64_t> parse_hex(std::string_view s) noexcept {
  std::uint64_t v = 0;
  for (char c : s) {
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= static_cast<std::uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= static_cast<std::uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;  // the spec allows lowercase only
    }
  }
  return v;
}

std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

std::optional<trace_context> trace_context::parse(std::string_view s) noexcept {
  // 00-<32>-<16>-<2>: 55 characters.
  if (s.size() != 55 || s[2] != '-' || s[35] != '-' || s[52] != '-' || s.substr(0, 2) != "00") return std::nullopt;
  const auto hi = parse_hex(s.substr(3, 16));
  const auto lo = parse_hex(s.substr(19, 16));
  const auto span = parse_hex(s.substr(36, 16));
  const auto flags = parse_hex(s.substr(53, 2));
  if (!hi || !lo || !span || !flags || (*hi == 0 && *lo == 0) || *span == 0) return std::nullopt;
  return trace_context{{*hi, *lo}, *span, (*flags & 1U) != 0};
}

std::string trace_context::to_traceparent() const {
  return "00-" + to_hex(trace) + "-" + to_hex(span) + (sampled ? "-01" : "-00");
}

std::string to_hex(std::uint64_t v) {
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) out[static_cast<std::size_t>(i)] = hex_digits[v & 0xF];
  return out;
}

std::string to_hex(const trace_id& t) { return to_hex(t.hi) + to_hex(t.lo); }

std::uint64_t attempt_span_id(const message_id& id, std::uint32_t replays, std::uint32_t attempt) noexcept {
  const std::uint64_t v = mix(
      id.hi ^ mix(id.lo ^ (static_cast<std::uint64_t>(attempt) << 32 | static_cast<std::uint64_t>(replays) << 1 | 1U)));
  return v == 0 ? 1 : v;
}

}  // namespace sluice::trace
