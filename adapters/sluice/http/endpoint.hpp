// An HTTP endpoint (the CLI's admin API, the OTLP collector): "http://host[:port][/prefix]" parsed into its parts.
// Plain HTTP only (the admin server speaks no TLS); IPv6 hosts go in brackets ("http://[::1]:8080").
// Thread-safety: value types and a pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::http {

struct endpoint {
  std::string host;         // a name or an address, without brackets
  std::uint16_t port = 80;  // the default when the URL names none
  std::string prefix;       // "" or "/path" without a trailing '/': prepended to every request

  // "http://host:port/prefix", as shown in messages.
  [[nodiscard]] std::string to_string() const;
};

// An endpoint, or why the text is not one (empty when `value` holds).
struct endpoint_or_error {
  std::optional<endpoint> value;
  std::string error;
};

// Accepts "http://host", "http://host:port", "http://host:port/prefix/" (scheme case-insensitive).
// Refuses https (with a message saying why), other schemes, a missing scheme, userinfo, a query
// or fragment, an empty host and a port outside 1..65535.
[[nodiscard]] endpoint_or_error parse_endpoint(std::string_view url);

}  // namespace sluice::http
